"""SVC001-SVC005: an HTTP model service with health probes, validated input, a model loaded
once, and a visible model version."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from prodcheck.commands.audit import audit_path
from prodcheck.findings import Finding, Severity
from prodcheck.snapshot import Snapshot
from tests.helpers import audit_tree, build_tree, run_rule

Files = dict[str, str]

FASTAPI_APP = """\
    from fastapi import FastAPI
    from pydantic import BaseModel

    app = FastAPI()


    class Customer(BaseModel):
        tenure_months: int


    @app.get("/healthz")
    def healthz():
        return {"status": "ok"}


    @app.get("/readyz")
    def readyz():
        return {"status": "ready"}


    @app.post("/v1/predict")
    def predict(customer: Customer):
        return {"churn": 0.5}
"""

LEGACY_PREDICT = """\
    import pickle

    import pandas as pd
    from flask import Flask, jsonify, request

    app = Flask(__name__)


    @app.route("/predict", methods=["POST"])
    def predict():
        with open("/Users/maria/models/churn_model.pkl", "rb") as handle:
            model = pickle.load(handle)
        payload = request.get_json()
        frame = pd.DataFrame([payload])
        return jsonify({"churn_probability": float(model.predict_proba(frame)[0, 1])})


    if __name__ == "__main__":
        app.run(host="0.0.0.0", port=5000, debug=True)
"""
"""The predict.py of examples/legacy-pilot: both anti-patterns in one handler."""

PYTHON_2 = 'print "serving on 5000"\nfrom flask import Flask\napp = Flask(__name__)\n'


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


def line_text(files: Files, finding: Finding) -> str:
    """The source line a finding points at, as build_tree wrote it."""
    assert finding.path is not None and finding.line is not None, finding
    return dedent(files[finding.path]).lstrip("\n").splitlines()[finding.line - 1].strip()


def flask_app(*routes: str, path: str = "app.py") -> Files:
    """A Flask app with one trivial handler per route."""
    handlers = "".join(
        f'\n\n@app.route("{route}")\ndef handler_{index}():\n    return "ok"\n'
        for index, route in enumerate(routes)
    )
    return {path: f"from flask import Flask\n\napp = Flask(__name__)\n{handlers}"}


# -- SVC001: an HTTP model service exists ----------------------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"src/churn/service/app.py": FASTAPI_APP}, id="fastapi-src-layout"),
        pytest.param({"services/api/app/main.py": FASTAPI_APP}, id="fastapi-monorepo"),
        pytest.param({"app.py": "import fastapi as fa\n\napp = fa.FastAPI()\n"}, id="aliased"),
        pytest.param(
            {"app.py": "from starlette.applications import Starlette\n\napp = Starlette()\n"},
            id="starlette",
        ),
        pytest.param(
            {
                "churn/__init__.py": """\
                    from flask import Flask


                    def create_app():
                        app = Flask(__name__)
                        return app
                """
            },
            id="flask-app-factory",
        ),
        pytest.param({"app.py": "from quart import Quart\n\napp = Quart(__name__)\n"}, id="quart"),
        pytest.param(
            {"app.py": "from litestar import Litestar\n\napp = Litestar(route_handlers=[])\n"},
            id="litestar",
        ),
        pytest.param({"app.py": "from sanic import Sanic\n\napp = Sanic('churn')\n"}, id="sanic"),
        pytest.param(
            {"app.py": "from aiohttp import web\n\napp = web.Application()\n"}, id="aiohttp"
        ),
        pytest.param({"app.py": "import falcon\n\napp = falcon.App()\n"}, id="falcon"),
        pytest.param(
            {"app.py": "import tornado.web\n\napp = tornado.web.Application([])\n"}, id="tornado"
        ),
        pytest.param(
            {
                "site/urls.py": """\
                    from django.urls import path

                    from . import views

                    urlpatterns = [path("predict/", views.predict)]
                """
            },
            id="django",
        ),
        pytest.param(
            {
                "service.py": """\
                    import bentoml


                    @bentoml.service(resources={"cpu": "1"})
                    class Churn:
                        @bentoml.api
                        def predict(self, rows: list[dict]) -> list[float]:
                            return []
                """
            },
            id="bentoml",
        ),
        pytest.param(
            {"service.py": "import bentoml\n\nsvc = bentoml.Service('churn', runners=[])\n"},
            id="bentoml-1",
        ),
        pytest.param(
            {
                "serve_app.py": """\
                    from ray import serve


                    @serve.deployment
                    class Churn:
                        async def __call__(self, request):
                            return {}
                """
            },
            id="ray-serve",
        ),
        pytest.param(
            {
                "server.py": """\
                    import litserve as ls


                    class ChurnAPI(ls.LitAPI):
                        def predict(self, x):
                            return x


                    server = ls.LitServer(ChurnAPI())
                """
            },
            id="litserve",
        ),
        pytest.param(
            {"models/churn/model-settings.json": '{"name": "churn", "implementation": "m.M"}'},
            id="mlserver-model-settings",
        ),
        pytest.param({"settings.json": '{"http_port": 8080, "debug": false}'}, id="mlserver"),
        pytest.param(
            {
                "runtime.py": """\
                    from mlserver import MLModel


                    class Churn(MLModel):
                        async def load(self):
                            return True
                """
            },
            id="mlserver-runtime",
        ),
        pytest.param({"main.py": "import kserve\n\nkserve.ModelServer().start([])\n"}, id="kserve"),
        pytest.param(
            {
                "deploy/isvc.yaml": """\
                    apiVersion: serving.kserve.io/v1beta1
                    kind: InferenceService
                    metadata:
                      name: churn
                    spec:
                      predictor:
                        sklearn:
                          storageUri: gs://models/churn
                """
            },
            id="kserve-manifest",
        ),
        pytest.param(
            {
                "Dockerfile": 'FROM python:3.11-slim\nCMD ["mlflow", "models", "serve", '
                '"-m", "models:/churn@champion", "-p", "8080"]\n'
            },
            id="mlflow-serve-container",
        ),
        pytest.param(
            {
                "docker/serve.Dockerfile": "FROM pytorch/torchserve:0.9.0-cpu\n"
                "CMD torchserve --start\n"
            },
            id="torchserve-container",
        ),
    ],
)
def test_a_model_service_on_any_common_framework_passes(tmp_path: Path, files: Files) -> None:
    assert run_rule("SVC001", tmp_path, files) == []


def test_without_a_service_the_finding_says_where_it_looked(tmp_path: Path) -> None:
    files = {"src/churn/train.py": "import pandas as pd\n\nframe = pd.DataFrame()\n"}
    finding = only(run_rule("SVC001", tmp_path, files))
    assert finding.message.startswith("no HTTP model service found: no non-test Python module")
    assert "FastAPI" in finding.message and "`model-settings.json`" in finding.message
    assert "cannot be shipped" in finding.message
    assert finding.path is None


def test_an_app_only_in_the_tests_is_no_service(tmp_path: Path) -> None:
    files = {"tests/test_api.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}
    finding = only(run_rule("SVC001", tmp_path, files))
    assert (
        "the only apps are in test or documentation code, which serves nobody: "
        "`tests/test_api.py` (FastAPI)" in (finding.message)
    )


def test_a_module_that_imports_a_framework_but_creates_no_app_is_named(tmp_path: Path) -> None:
    files = {
        "serving/handlers.py": "from flask import jsonify\n\n\ndef ok():\n    return jsonify()\n"
    }
    finding = only(run_rule("SVC001", tmp_path, files))
    assert (
        "`serving/handlers.py` imports a web or serving framework but creates no app"
        in finding.message
    )


@pytest.mark.parametrize(
    "files",
    [
        pytest.param({"docs/quickstart.py": FASTAPI_APP}, id="docs-snippet"),
        pytest.param({"README.md": "Run `app = FastAPI()` and `Flask(__name__)`.\n"}, id="readme"),
        pytest.param(
            {"app.py": "# from flask import Flask\n# app = Flask(__name__)\n"}, id="comment"
        ),
        pytest.param({"app.py": 'HELP = "app = FastAPI()"\n'}, id="a-string"),
        pytest.param(
            {".vscode/settings.json": '{"python.testing.pytestEnabled": true}'}, id="vscode"
        ),
        pytest.param({"model-settings.json": '{"name": "churn"}'}, id="settings-no-implementation"),
        pytest.param({"model-settings.json": '["implementation"]'}, id="settings-a-list"),
        pytest.param(
            {
                "Dockerfile": "FROM python:3.11\nRUN pip install mlflow\n"
                'CMD ["python", "train.py"]\n'
            },
            id="container-no-server",
        ),
        pytest.param({"deploy/isvc.yaml": "- kind: InferenceService\n"}, id="manifest-a-list"),
    ],
)
def test_near_misses_are_no_service(tmp_path: Path, files: Files) -> None:
    assert len(run_rule("SVC001", tmp_path, files)) == 1


def test_python_2_code_is_named_as_unchecked_not_a_crash(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, {"app.py": PYTHON_2}, select=["SVC", "PC002", "PC005"])
    assert {f.rule_id for f in result.findings} == {"SVC001", "PC002"}
    finding = next(f for f in result.findings if f.rule_id == "SVC001")
    assert "`app.py` names a web framework but is not valid Python 3" in finding.message


@pytest.mark.parametrize(
    "dockerfile",
    [
        'FROM python:3.11\nCMD ["mlflow", "models", "serve"\n',
        "FROM python:3.11\nCMD mlflow models serve -m 'unterminated\n",
        "\x00\x01binary",
    ],
)
def test_a_broken_dockerfile_is_no_crash(tmp_path: Path, dockerfile: str) -> None:
    result = audit_tree(tmp_path, {"Dockerfile": dockerfile}, select=["SVC001", "PC005"])
    assert [f.rule_id for f in result.findings] in (["SVC001"], [])


# -- SVC002: liveness and readiness endpoints ------------------------------------------------


@pytest.mark.parametrize(
    "routes",
    [
        ("/healthz", "/readyz"),
        ("/health", "/ready"),
        ("/livez", "/readyz"),
        ("/health/live", "/health/readiness"),
        ("/v2/health/live", "/v2/health/ready"),
        ("/api/v1/healthz", "/api/v1/readyz"),
        ("/ping",),
    ],
)
def test_liveness_and_readiness_routes_pass(tmp_path: Path, routes: tuple[str, ...]) -> None:
    assert run_rule("SVC002", tmp_path, flask_app(*routes)) == []


def test_the_template_service_passes(tmp_path: Path) -> None:
    assert run_rule("SVC002", tmp_path, {"src/churn/service/app.py": FASTAPI_APP}) == []


def test_routes_of_a_router_module_count_with_its_prefix(tmp_path: Path) -> None:
    files = {
        "services/api/app/main.py": """\
            from fastapi import FastAPI

            from app.routers import health

            app = FastAPI()
            app.include_router(health.router)
        """,
        "services/api/app/routers/health.py": """\
            from fastapi import APIRouter

            router = APIRouter(prefix="/health")


            @router.get("/live")
            def live():
                return {}


            @router.get("/ready")
            def ready():
                return {}
        """,
    }
    assert run_rule("SVC002", tmp_path, files) == []


def test_a_prefix_router_with_empty_paths_counts_by_prefix(tmp_path: Path) -> None:
    files = {
        "app/main.py": "from fastapi import FastAPI, APIRouter\n\napp = FastAPI()\n"
        'live = APIRouter(prefix="/livez")\nready = APIRouter(prefix="/readyz")\n\n\n'
        '@live.get("")\ndef is_live():\n    return {}\n\n\n'
        '@ready.get("")\ndef is_ready():\n    return {}\n'
    }
    assert run_rule("SVC002", tmp_path, files) == []


def test_routes_on_a_router_imported_from_elsewhere_count(tmp_path: Path) -> None:
    files = {
        "app/main.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        "app/probes.py": """\
            from app.api import router


            @router.get("/healthz")
            def healthz():
                return {}


            @router.get("/readyz")
            def readyz():
                return {}
        """,
    }
    assert run_rule("SVC002", tmp_path, files) == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            """\
            from flask import Blueprint, Flask

            app = Flask(__name__)
            probes = Blueprint("probes", __name__)


            def healthz():
                return "ok"


            probes.add_url_rule("/healthz", view_func=healthz)


            @probes.route("/readyz")
            def readyz():
                return "ok"
            """,
            id="flask-blueprint",
        ),
        pytest.param(
            """\
            from fastapi import FastAPI

            app = FastAPI()


            async def live():
                return {}


            app.add_api_route("/livez", live)
            app.add_api_route("/readyz", live)
            """,
            id="add-api-route",
        ),
        pytest.param(
            """\
            from starlette.applications import Starlette
            from starlette.routing import Route


            async def health(request):
                ...


            app = Starlette(routes=[Route("/health", health), Route("/ready", endpoint=health)])
            """,
            id="starlette-routes",
        ),
        pytest.param(
            """\
            from litestar import Litestar, get


            @get("/health")
            async def health() -> str:
                return "ok"


            @get(path="/ready")
            async def ready() -> str:
                return "ok"


            app = Litestar(route_handlers=[health, ready])
            """,
            id="litestar",
        ),
        pytest.param(
            """\
            from aiohttp import web


            async def health(request):
                return web.Response()


            app = web.Application()
            app.router.add_get("/healthz", health)
            app.router.add_route("GET", "/readyz", health)
            """,
            id="aiohttp",
        ),
        pytest.param(
            """\
            import tornado.web


            class Health(tornado.web.RequestHandler):
                def get(self):
                    self.write("ok")


            app = tornado.web.Application([(r"/healthz", Health), (r"/readyz", Health)])
            """,
            id="tornado",
        ),
    ],
)
def test_routes_registered_by_every_common_mechanism_count(tmp_path: Path, source: str) -> None:
    assert run_rule("SVC002", tmp_path, {"app.py": source}) == []


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(
            """\
            from sanic import Sanic
            from sanic.response import text

            app = Sanic("churn")


            async def probe(request):
                return text("ok")


            app.add_route(probe, "/healthz")
            app.add_route(probe, "/readyz")
            """,
            id="sanic-add-route",
        ),
        pytest.param(
            """\
            import falcon


            class Probe:
                def on_get(self, req, resp):
                    resp.media = {"ok": True}


            app = falcon.App()
            app.add_route("/healthz", Probe())
            app.add_route("/readyz", Probe())
            """,
            id="falcon-add-route",
        ),
    ],
)
def test_routes_registered_handler_first_or_as_resources_count(tmp_path: Path, source: str) -> None:
    assert run_rule("SVC002", tmp_path, {"app.py": source}) == []


def test_flask_restx_resources_count_by_their_class_route(tmp_path: Path) -> None:
    source = """\
        from flask import Flask
        from flask_restx import Api, Namespace, Resource

        app = Flask(__name__)
        probes = Namespace("probes")


        @probes.route("/healthz")
        class Live(Resource):
            def get(self):
                return "ok"


        @probes.route("/readyz")
        class Ready(Resource):
            def get(self):
                return "ok"
    """
    assert run_rule("SVC002", tmp_path, {"app.py": source}) == []


def test_a_route_method_of_another_library_is_no_route(tmp_path: Path) -> None:
    source = """\
        from flask import Flask

        from churn.graph import Graph

        app = Flask(__name__)
        graph = Graph()
        graph.add_route("start", "healthz")
        graph.add_route("healthz", "readyz")
    """
    finding = only(run_rule("SVC002", tmp_path, {"app.py": source}))
    assert "has no liveness endpoint" in finding.message


def test_django_url_patterns_count(tmp_path: Path) -> None:
    files = {
        "site/urls.py": """\
            from django.urls import path, re_path

            from . import views

            urlpatterns = [path("healthz/", views.healthz), re_path(r"^readyz/?$", views.ready)]
        """
    }
    assert run_rule("SVC002", tmp_path, files) == []


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                "service.py": "import bentoml\n\n\n@bentoml.service\nclass Churn:\n"
                "    @bentoml.api\n    def predict(self, x: float) -> float:\n        return x\n"
            },
            id="bentoml",
        ),
        pytest.param(
            {"model-settings.json": '{"implementation": "mlserver_sklearn.SKLearnModel"}'},
            id="mlserver",
        ),
        pytest.param(
            {
                "app.py": "from ray import serve\n\n\n@serve.deployment\n"
                "def churn(request):\n    ...\n"
            },
            id="ray-serve",
        ),
        pytest.param(
            {"server.py": "import litserve as ls\n\nserver = ls.LitServer(None)\n"}, id="litserve"
        ),
        pytest.param(
            {"Dockerfile": "FROM python:3.11\nCMD mlflow models serve -m models:/churn/1\n"},
            id="mlflow-serve",
        ),
    ],
)
def test_frameworks_with_built_in_probes_pass(tmp_path: Path, files: Files) -> None:
    assert run_rule("SVC002", tmp_path, files) == []


def test_a_service_without_probes_names_both_and_points_at_the_app(tmp_path: Path) -> None:
    files = flask_app("/predict")
    finding = only(run_rule("SVC002", tmp_path, files))
    assert "the service in `app.py` has no liveness endpoint (such as `/healthz`) and no " in (
        finding.message
    )
    assert line_text(files, finding) == "app = Flask(__name__)"


def test_a_liveness_route_alone_lacks_readiness(tmp_path: Path) -> None:
    finding = only(run_rule("SVC002", tmp_path, flask_app("/health", "/predict")))
    assert "has a liveness endpoint (`/health` in `app.py`) but no readiness endpoint" in (
        finding.message
    )


def test_a_readiness_route_alone_lacks_liveness(tmp_path: Path) -> None:
    finding = only(run_rule("SVC002", tmp_path, flask_app("/readyz")))
    assert "has a readiness endpoint (`/readyz` in `app.py`) but no liveness endpoint" in (
        finding.message
    )


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                **flask_app("/predict"),
                "tests/test_probes.py": 'from app import app\n\n\n@app.route("/healthz")\n'
                'def healthz():\n    return "ok"\n\n\n@app.route("/readyz")\ndef readyz():\n'
                '    return "ok"\n',
            },
            id="probes-only-in-tests",
        ),
        pytest.param(
            {
                "app.py": "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
                '# @app.route("/healthz")\n'
                '# @app.route("/readyz")\ndef nothing():\n    return None\n'
            },
            id="commented-out",
        ),
        pytest.param(
            {**flask_app("/predict"), "README.md": "Probe `/healthz` and `/readyz`.\n"},
            id="readme",
        ),
    ],
)
def test_probes_that_do_not_exist_in_service_code_do_not_count(
    tmp_path: Path, files: Files
) -> None:
    assert len(run_rule("SVC002", tmp_path, files)) == 1


def test_probes_are_not_judged_without_a_service(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, {"train.py": "print(1)\n"}, select=["SVC001", "SVC002"])
    assert [f.rule_id for f in result.findings] == ["SVC001"]


# -- SVC003: prediction input is validated ---------------------------------------------------


def test_the_legacy_handler_reads_raw_json(tmp_path: Path) -> None:
    files = {"predict.py": LEGACY_PREDICT}
    finding = only(run_rule("SVC003", tmp_path, files))
    assert finding.message.startswith(
        "`predict` in `predict.py` reads its input with `request.get_json()` and uses it "
        "without validating it against a schema"
    )
    assert line_text(files, finding) == "def predict():"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        pytest.param(
            """\
            from fastapi import FastAPI

            app = FastAPI()


            @app.post("/v1/predict")
            def predict(payload: dict):
                return payload
            """,
            "takes its input as `payload: dict`, which FastAPI accepts without checking",
            id="fastapi-dict",
        ),
        pytest.param(
            """\
            from typing import Any

            from fastapi import APIRouter

            router = APIRouter()


            @router.post("/predict")
            async def predict(rows: list[dict[str, Any]]):
                return rows
            """,
            "takes its input as `rows: list[dict[str, Any]]`",
            id="fastapi-list-of-dicts",
        ),
        pytest.param(
            """\
            from typing import Any, Dict, Optional

            from fastapi import FastAPI

            app = FastAPI()


            @app.post("/score")
            def score(features: Optional[Dict[str, Any]] = None):
                return features
            """,
            "`features: Optional[Dict[str, Any]]`",
            id="fastapi-optional-dict",
        ),
        pytest.param(
            """\
            from typing import Annotated, Any

            from fastapi import Body, FastAPI

            app = FastAPI()


            @app.post("/invocations")
            def invocations(body: Annotated[Any, Body()]):
                return body
            """,
            "`body: Annotated[Any, Body()]`",
            id="fastapi-any-body",
        ),
        pytest.param(
            """\
            from fastapi import FastAPI, Request

            app = FastAPI()


            @app.post("/predict")
            async def predict(request: Request):
                data = await request.json()
                return data
            """,
            "reads its input with `request.json()`",
            id="fastapi-request-json",
        ),
        pytest.param(
            """\
            from typing import Any

            from litestar import post


            @post("/predict")
            async def predict(data: dict[str, Any]) -> dict[str, Any]:
                return data
            """,
            "which Litestar accepts without checking",
            id="litestar-dict",
        ),
        pytest.param(
            """\
            from starlette.applications import Starlette
            from starlette.routing import Route


            async def predict(request):
                return await request.form()


            app = Starlette(routes=[Route("/predict", predict, methods=["POST"])])
            """,
            "reads its input with `request.form()`",
            id="starlette-route",
        ),
        pytest.param(
            """\
            from flask import Flask, request

            app = Flask(__name__)


            @app.post("/v1/infer")
            def infer():
                return str(request.json["tenure"])
            """,
            "reads its input with `request.json`",
            id="flask-json-attribute",
        ),
        pytest.param(
            """\
            from flask import request
            from flask.views import MethodView


            class PredictView(MethodView):
                def post(self):
                    return request.get_json(force=True)
            """,
            "`PredictView.post` in `app.py` reads its input with `request.get_json()`",
            id="flask-method-view",
        ),
        pytest.param(
            """\
            from aiohttp import web


            async def predict(request):
                return web.json_response(await request.json())


            app = web.Application()
            app.router.add_post("/predict", predict)
            """,
            "reads its input with `request.json()`",
            id="aiohttp",
        ),
        pytest.param(
            """\
            import json

            import tornado.web


            class PredictHandler(tornado.web.RequestHandler):
                def post(self):
                    self.write(json.loads(self.request.body))
            """,
            "parses the raw body with `json.loads`",
            id="tornado",
        ),
    ],
)
def test_raw_input_to_a_prediction_handler_fails(tmp_path: Path, source: str, says: str) -> None:
    finding = only(run_rule("SVC003", tmp_path, {"app.py": source}))
    assert says in finding.message
    assert line_text({"app.py": source}, finding).startswith(("def ", "async def "))


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(FASTAPI_APP, id="pydantic-parameter"),
        pytest.param(
            """\
            from fastapi import FastAPI
            from pydantic import BaseModel

            app = FastAPI()


            class Row(BaseModel):
                tenure: int


            @app.post("/v1/predict/batch")
            def predict_batch(rows: list[Row], explain: bool = False):
                return rows
            """,
            id="list-of-models",
        ),
        pytest.param(
            """\
            from flask import Flask, request

            from churn.schema import Customer

            app = Flask(__name__)


            @app.post("/predict")
            def predict():
                customer = Customer.model_validate(request.get_json())
                return customer.model_dump()
            """,
            id="flask-model-validate",
        ),
        pytest.param(
            """\
            from flask import Flask, request

            from churn.schema import Customer

            app = Flask(__name__)


            @app.post("/predict")
            def predict():
                return Customer(**request.get_json()).model_dump()
            """,
            id="flask-model-kwargs",
        ),
        pytest.param(
            """\
            from flask import Flask, request

            from churn.schema import CustomerSchema

            app = Flask(__name__)


            @app.post("/predict")
            def predict():
                return CustomerSchema().load(request.get_json())
            """,
            id="marshmallow",
        ),
        pytest.param(
            """\
            import pandas as pd
            from flask import Flask, request

            from churn.schema import customers

            app = Flask(__name__)


            @app.post("/predict")
            def predict():
                frame = customers.validate(pd.DataFrame([request.get_json()]))
                return frame.to_json()
            """,
            id="pandera",
        ),
        pytest.param(
            """\
            from flask import Flask, request
            from flask_pydantic import validate

            app = Flask(__name__)


            @app.post("/predict")
            @validate()
            def predict():
                return request.get_json()
            """,
            id="flask-pydantic-decorator",
        ),
        pytest.param(
            """\
            from flask import Flask, request

            from churn.schema import Customer

            app = Flask(__name__)


            def parse_customer(payload):
                return Customer.model_validate(payload)


            @app.post("/predict")
            def predict():
                return parse_customer(request.get_json()).model_dump()
            """,
            id="helper-in-the-same-module",
        ),
        pytest.param(
            """\
            from typing import Any

            from fastapi import Depends, FastAPI

            from churn.settings import get_settings

            app = FastAPI()


            @app.get("/predict")
            def predict(customer_id: int, threshold: Any, settings: dict = Depends(get_settings)):
                return {}
            """,
            id="fastapi-query-and-dependency-parameters",
        ),
        pytest.param(
            """\
            from fastapi import FastAPI
            from pydantic import BaseModel

            app = FastAPI()


            class PredictRequest(BaseModel):
                tenure: int


            @app.post("/predict")
            def predict(request: PredictRequest):
                return request.json()
            """,
            id="a-model-parameter-named-request",
        ),
        pytest.param(
            """\
            from flask import Flask, request

            app = Flask(__name__)


            @app.post("/feedback")
            def feedback():
                return request.get_json()
            """,
            id="not-a-prediction-handler",
        ),
        pytest.param(
            """\
            from flask import Flask, request

            app = Flask(__name__)


            @app.post("/predict/image")
            def predict_image():
                return request.files["image"].read()
            """,
            id="file-upload",
        ),
        pytest.param(
            """\
            from flask import request


            def predict(model):
                return model.predict(request.get_json())
            """,
            id="not-a-route-handler",
        ),
    ],
)
def test_validated_or_non_prediction_input_passes(tmp_path: Path, source: str) -> None:
    assert run_rule("SVC003", tmp_path, {"app.py": source}) == []


def test_a_falcon_resource_reading_media_fails(tmp_path: Path) -> None:
    source = """\
        import falcon


        class PredictResource:
            def on_post(self, req, resp):
                resp.media = {"churn": len(req.media)}


        app = falcon.App()
        app.add_route("/predict", PredictResource())
    """
    finding = only(run_rule("SVC003", tmp_path, {"app.py": source}))
    assert "`PredictResource.on_post` in `app.py` reads its input with `req.media`" in (
        finding.message
    )


@pytest.mark.parametrize(
    "path", ["tests/test_predict.py", "test_predict.py", "docs/examples/predict.py"]
)
def test_tests_and_docs_are_not_judged(tmp_path: Path, path: str) -> None:
    assert run_rule("SVC003", tmp_path, {path: LEGACY_PREDICT}) == []


def test_python_2_code_gives_no_input_finding(tmp_path: Path) -> None:
    source = (
        'from flask import request\n\n@app.route("/predict")\n'
        "def predict():\n    print request.json\n"
    )
    assert run_rule("SVC003", tmp_path, {"app.py": source}) == []


def test_the_file_rules_run_on_a_changed_file_alone(tmp_path: Path) -> None:
    build_tree(tmp_path, {"predict.py": LEGACY_PREDICT, "other.py": "x = 1\n"})
    result = audit_path(tmp_path, select=["SVC"], files=[tmp_path / "predict.py"])
    assert sorted((f.rule_id, f.line) for f in result.findings) == [("SVC003", 10), ("SVC004", 12)]


# -- SVC004: the model is loaded once --------------------------------------------------------


def test_the_legacy_handler_loads_the_pickle_per_request(tmp_path: Path) -> None:
    files = {"predict.py": LEGACY_PREDICT}
    finding = only(run_rule("SVC004", tmp_path, files))
    assert finding.message.startswith(
        "`predict` in `predict.py` calls `pickle.load` on every request"
    )
    assert line_text(files, finding) == "model = pickle.load(handle)"


@pytest.mark.parametrize(
    ("imports", "load", "shown"),
    [
        ("import joblib", 'joblib.load("model.joblib")', "joblib.load"),
        ("from joblib import load", 'load("model.joblib")', "load"),
        ("import cloudpickle", "cloudpickle.load(open('m', 'rb'))", "cloudpickle.load"),
        ("import dill", "dill.load(open('m', 'rb'))", "dill.load"),
        (
            "import mlflow",
            'mlflow.pyfunc.load_model("models:/churn@champion")',
            "mlflow.pyfunc.load_model",
        ),
        (
            "import mlflow.sklearn",
            'mlflow.sklearn.load_model("runs:/1/model")',
            "mlflow.sklearn.load_model",
        ),
        ("from mlflow.pyfunc import load_model", 'load_model("models:/churn/1")', "load_model"),
        ("import torch", 'torch.load("model.pt")', "torch.load"),
        (
            "import tensorflow as tf",
            'tf.keras.models.load_model("m.keras")',
            "tf.keras.models.load_model",
        ),
        (
            "from tensorflow import keras",
            'keras.models.load_model("m.keras")',
            "keras.models.load_model",
        ),
        ("import xgboost as xgb", 'xgb.Booster(model_file="m.json")', "xgb.Booster"),
        ("import lightgbm as lgb", 'lgb.Booster(model_file="m.txt")', "lgb.Booster"),
        ("import onnxruntime as ort", 'ort.InferenceSession("m.onnx")', "ort.InferenceSession"),
        (
            "from transformers import AutoModel",
            'AutoModel.from_pretrained("m")',
            "AutoModel.from_pretrained",
        ),
        ("from transformers import pipeline", 'pipeline("sentiment-analysis")', "pipeline"),
        ("import skops.io as sio", 'sio.load("m.skops")', "sio.load"),
    ],
)
def test_every_common_loader_in_a_handler_fails(
    tmp_path: Path, imports: str, load: str, shown: str
) -> None:
    source = (
        f"{imports}\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        f'@app.post("/predict")\nasync def predict():\n    model = {load}\n    return model\n'
    )
    finding = only(run_rule("SVC004", tmp_path, {"app.py": source}))
    assert f"`predict` in `app.py` calls `{shown}` on every request" in finding.message
    assert finding.line == 9


def test_a_booster_loaded_into_a_fresh_object_fails(tmp_path: Path) -> None:
    source = """\
        import xgboost as xgb
        from flask import Flask

        app = Flask(__name__)


        @app.route("/score")
        def score():
            booster = xgb.Booster()
            booster.load_model("model.json")
            return "ok"
    """
    finding = only(run_rule("SVC004", tmp_path, {"app.py": source}))
    assert line_text({"app.py": source}, finding) == 'booster.load_model("model.json")'


@pytest.mark.parametrize(
    ("source", "subject"),
    [
        pytest.param(
            """\
            import joblib
            from flask import Flask

            app = Flask(__name__)


            def predict():
                model = joblib.load("m.joblib")
                return "ok"


            app.add_url_rule("/predict", "predict", predict, methods=["POST"])
            """,
            "`predict`",
            id="flask-add-url-rule",
        ),
        pytest.param(
            """\
            import joblib
            from flask.views import MethodView


            class Predict(MethodView):
                def post(self):
                    model = joblib.load("m.joblib")
                    return "ok"
            """,
            "`Predict.post`",
            id="flask-method-view",
        ),
        pytest.param(
            """\
            import joblib
            import litserve as ls


            class Churn(ls.LitAPI):
                def setup(self, device):
                    self.ready = True

                def predict(self, x):
                    model = joblib.load("m.joblib")
                    return model.predict(x)
            """,
            "`Churn.predict`",
            id="litserve-predict",
        ),
        pytest.param(
            """\
            import bentoml
            import joblib


            @bentoml.service
            class Churn:
                @bentoml.api
                def predict(self, rows: list[float]) -> list[float]:
                    model = joblib.load("m.joblib")
                    return model.predict(rows)
            """,
            "`Churn.predict`",
            id="bentoml-api",
        ),
        pytest.param(
            """\
            import joblib
            from ray import serve


            @serve.deployment
            class Churn:
                async def __call__(self, request):
                    model = joblib.load("m.joblib")
                    return {}
            """,
            "`Churn.__call__`",
            id="ray-serve",
        ),
        pytest.param(
            """\
            import joblib
            from fastapi import Depends, FastAPI

            app = FastAPI()


            def get_model():
                return joblib.load("m.joblib")


            @app.post("/predict")
            def predict(model=Depends(get_model)):
                return {}
            """,
            "`get_model`, a FastAPI dependency of `predict`,",
            id="fastapi-dependency",
        ),
    ],
)
def test_a_load_in_any_kind_of_request_handler_fails(
    tmp_path: Path, source: str, subject: str
) -> None:
    finding = only(run_rule("SVC004", tmp_path, {"app.py": source}))
    assert finding.message.startswith(f"{subject} in `app.py` calls `joblib.load`")


@pytest.mark.parametrize(
    "source",
    [
        pytest.param(FASTAPI_APP, id="template"),
        pytest.param(
            """\
            import joblib
            from flask import Flask

            app = Flask(__name__)
            model = joblib.load("m.joblib")


            @app.post("/predict")
            def predict():
                return str(model.predict([[1]]))
            """,
            id="module-level",
        ),
        pytest.param(
            """\
            from contextlib import asynccontextmanager

            import mlflow
            from fastapi import FastAPI


            @asynccontextmanager
            async def lifespan(app):
                app.state.model = mlflow.pyfunc.load_model("models:/churn@champion")
                yield


            app = FastAPI(lifespan=lifespan)


            @app.post("/predict")
            def predict():
                return {}
            """,
            id="lifespan",
        ),
        pytest.param(
            """\
            import joblib
            from fastapi import FastAPI

            app = FastAPI()


            @app.on_event("startup")
            def load():
                app.state.model = joblib.load("m.joblib")
            """,
            id="startup-event",
        ),
        pytest.param(
            """\
            from functools import lru_cache

            import joblib
            from fastapi import Depends, FastAPI

            app = FastAPI()


            @lru_cache
            def get_model():
                return joblib.load("m.joblib")


            @app.post("/predict")
            def predict(model=Depends(get_model)):
                return {}


            @app.post("/predict/batch")
            def predict_batch():
                return get_model()
            """,
            id="cached-helper",
        ),
        pytest.param(
            """\
            import joblib
            from flask import Flask

            app = Flask(__name__)
            _model = None


            @app.post("/predict")
            def predict():
                global _model
                if _model is None:
                    _model = joblib.load("m.joblib")
                return "ok"
            """,
            id="lazy-init-guard",
        ),
        pytest.param(
            """\
            import joblib
            from flask import Flask

            app = Flask(__name__)
            cache = {}


            @app.post("/predict/<name>")
            def predict(name):
                try:
                    model = cache[name]
                except KeyError:
                    model = cache[name] = joblib.load(f"{name}.joblib")
                if name in cache:
                    pass
                else:
                    cache[name] = joblib.load(f"{name}.joblib")
                return str(model)
            """,
            id="cache-miss",
        ),
        pytest.param(
            """\
            import joblib
            from flask import Flask


            def create_app():
                app = Flask(__name__)
                model = joblib.load("m.joblib")

                @app.post("/predict")
                def predict():
                    return str(model.predict([[1]]))

                return app
            """,
            id="app-factory",
        ),
        pytest.param(
            """\
            import mlflow
            from fastapi import FastAPI

            app = FastAPI()


            @app.post("/admin/reload")
            def reload_model():
                app.state.model = mlflow.pyfunc.load_model("models:/churn@champion")
                return {}
            """,
            id="reload-endpoint",
        ),
        pytest.param(
            """\
            import joblib
            from mlserver import MLModel


            class Churn(MLModel):
                async def load(self):
                    self.model = joblib.load("m.joblib")
                    return True

                async def predict(self, payload):
                    return self.model.predict(payload)
            """,
            id="mlserver-load",
        ),
        pytest.param(
            """\
            import json

            import yaml
            from flask import Flask

            from churn.pipeline import pipeline

            app = Flask(__name__)


            @app.post("/predict")
            def predict():
                config = yaml.safe_load(open("c.yaml"))
                return json.dumps(pipeline(json.load(open("x.json")), config))
            """,
            id="not-a-model-loader",
        ),
    ],
)
def test_a_model_loaded_once_passes(tmp_path: Path, source: str) -> None:
    assert run_rule("SVC004", tmp_path, {"app.py": source}) == []


def test_a_handler_that_loads_and_predicts_is_no_reload_endpoint(tmp_path: Path) -> None:
    source = """\
        import joblib
        from flask import Flask

        app = Flask(__name__)


        @app.post("/load_and_predict")
        def load_and_predict():
            model = joblib.load("model.joblib")
            return str(model)
    """
    assert only(run_rule("SVC004", tmp_path, {"app.py": source})).line == 9


def test_a_handler_inside_an_app_factory_is_judged(tmp_path: Path) -> None:
    source = """\
        import torch
        from flask import Flask


        def create_app():
            app = Flask(__name__)

            @app.post("/predict")
            def predict():
                model = torch.load("model.pt")
                return str(model)

            return app
    """
    assert only(run_rule("SVC004", tmp_path, {"app.py": source})).line == 10


def test_each_load_is_its_own_finding(tmp_path: Path) -> None:
    source = """\
        import joblib
        from flask import Flask

        app = Flask(__name__)


        @app.post("/predict")
        def predict():
            encoder = joblib.load("encoder.joblib")
            model = joblib.load("model.joblib")
            return "ok"
    """
    findings = run_rule("SVC004", tmp_path, {"app.py": source})
    assert [f.line for f in findings] == [9, 10]


@pytest.mark.parametrize("path", ["tests/test_app.py", "conftest.py", "docs/serve.py"])
def test_loads_in_tests_and_docs_are_not_judged(tmp_path: Path, path: str) -> None:
    assert run_rule("SVC004", tmp_path, {path: LEGACY_PREDICT}) == []


def test_python_2_code_gives_no_load_finding(tmp_path: Path) -> None:
    source = 'import pickle\n@app.route("/predict")\ndef predict():\n    print pickle.load(f)\n'
    assert run_rule("SVC004", tmp_path, {"app.py": source}) == []


# -- SVC005: the model version is visible ----------------------------------------------------


@pytest.mark.parametrize("route", ["/v1/model", "/info", "/version", "/v2/models/<name>"])
def test_an_info_endpoint_shows_the_version(tmp_path: Path, route: str) -> None:
    assert run_rule("SVC005", tmp_path, flask_app("/healthz", route)) == []


@pytest.mark.parametrize(
    "module",
    [
        pytest.param(
            "from pydantic import BaseModel\n\n\nclass Prediction(BaseModel):\n"
            "    churn: float\n    model_version: str\n",
            id="response-field",
        ),
        pytest.param(
            'def headers(version):\n    return {"X-Model-Version": version}\n', id="response-header"
        ),
        pytest.param(
            "from prometheus_client import Gauge\n\n"
            'MODEL = Gauge("model_info", "served model", ["name", "model_version"])\n',
            id="metric-label",
        ),
        pytest.param(
            'from prometheus_client import Info\n\nMODEL = Info("model", "the served model")\n',
            id="info-metric",
        ),
    ],
)
def test_a_version_named_in_service_code_shows_it(tmp_path: Path, module: str) -> None:
    files = {
        **flask_app("/predict", path="src/churn/service/app.py"),
        "src/churn/service/extras.py": module,
    }
    assert run_rule("SVC005", tmp_path, files) == []


def test_a_service_that_hides_its_version_is_warned(tmp_path: Path) -> None:
    files = flask_app("/healthz", "/predict")
    finding = only(run_rule("SVC005", tmp_path, files))
    assert finding.severity is Severity.WARNING
    assert finding.message.startswith(
        "the service in `app.py` does not show which model version it serves"
    )
    assert line_text(files, finding) == "app = Flask(__name__)"


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                "src/churn/service/settings.py": "import os\n\n"
                'VERSION = os.environ["MODEL_VERSION"]\n'
            },
            id="an-environment-variable-name",
        ),
        pytest.param(
            {
                "src/churn/pipeline/train.py": "import mlflow\n\n"
                'mlflow.log_param("model_version", 3)\n'
            },
            id="pipeline-code",
        ),
        pytest.param(
            {"tests/test_app.py": 'def test_version():\n    assert "model_version"\n'}, id="tests"
        ),
    ],
)
def test_a_version_outside_the_service_does_not_count(tmp_path: Path, files: Files) -> None:
    tree = {**flask_app("/predict", path="src/churn/service/app.py"), **files}
    assert len(run_rule("SVC005", tmp_path, tree)) == 1


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {"model-settings.json": '{"implementation": "mlserver_sklearn.SKLearnModel"}'},
            id="mlserver",
        ),
        pytest.param(
            {"service.py": "import bentoml\n\n\n@bentoml.service\nclass Churn:\n    pass\n"},
            id="bentoml",
        ),
        pytest.param({"main.py": "import kserve\n\nkserve.ModelServer().start([])\n"}, id="kserve"),
    ],
)
def test_frameworks_that_publish_model_metadata_pass(tmp_path: Path, files: Files) -> None:
    assert run_rule("SVC005", tmp_path, files) == []


def test_the_version_is_not_judged_without_a_service(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, {"train.py": "print(1)\n"}, select=["SVC001", "SVC005"])
    assert [f.rule_id for f in result.findings] == ["SVC001"]


# -- the whole family ------------------------------------------------------------------------


def test_the_legacy_pilot_fails_every_service_rule_at_its_lines(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, {"predict.py": LEGACY_PREDICT}, select=["SVC"])
    assert sorted((f.rule_id, f.line) for f in result.findings) == [
        ("SVC002", 6),
        ("SVC003", 10),
        ("SVC004", 12),
        ("SVC005", 6),
    ]


def test_the_projects_legacy_example_is_caught_at_its_lines(tmp_path: Path) -> None:
    example = Path(__file__).parents[2] / "examples" / "legacy-pilot" / "predict.py"
    files = {"predict.py": example.read_text(encoding="utf-8")}
    result = audit_tree(tmp_path, files, select=["SVC003", "SVC004"])
    lines = {f.rule_id: line_text(files, f) for f in result.findings}
    assert lines["SVC003"] == "def predict():"
    assert lines["SVC004"].endswith("pickle.load(handle)")
    assert len(result.findings) == 2


def test_a_complete_service_passes_every_service_rule(tmp_path: Path) -> None:
    app = dedent(FASTAPI_APP) + '\n\n@app.get("/v1/model")\ndef model_info():\n    return {}\n'
    assert audit_tree(tmp_path, {"src/churn/service/app.py": app}, select=["SVC"]).findings == []


def test_only_candidate_modules_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    original = Snapshot.python

    def spy(self: Snapshot, path: str) -> object:
        parsed.append(path)
        return original(self, path)

    monkeypatch.setattr(Snapshot, "python", spy)
    files = {
        f"src/churn/features/f{i}.py": "import numpy as np\n\nx = np.array([1])\n"
        for i in range(30)
    }
    files["src/churn/service/app.py"] = FASTAPI_APP
    audit_tree(tmp_path, files, select=["SVC"])
    assert set(parsed) == {"src/churn/service/app.py"}
