"""Model service: an HTTP service with health probes, validated input, a model loaded once, and
a visible model version.

Everything here reads Python with `ast` and never imports it. One pass over the bytes of every
Python file indexes what it seems to import (`import_roots`); only the modules that import a
web or serving framework are parsed, plus, for the health rule, the few modules whose bytes
say `health` and define routes on a router imported from elsewhere. The file rules (SVC003,
SVC004) judge a module alone, so the pre-commit hook can run them on changed files.

What one module says about its service (imports, apps, routes, request handlers) is worked
out once per audit (`_module_facts`, through `Snapshot.memo`) and shared by all five rules.
"""

from __future__ import annotations

import ast
import io
import json
import re
import shlex
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import field
from pathlib import PurePosixPath
from typing import Any

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._facts import (
    call_name,
    dotted_name,
    import_roots,
    imports_any,
    is_docs_path,
    is_test_path,
    string_value,
)
from prodcheck.rules._patterns import lazy_dataclass
from prodcheck.snapshot import Snapshot, SourceFile

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

SERVING_PACKAGES = (
    "fastapi",
    "starlette",
    "flask",
    "apiflask",
    "connexion",
    "quart",
    "litestar",
    "starlite",
    "sanic",
    "aiohttp",
    "falcon",
    "tornado",
    "django",
    "bentoml",
    "litserve",
    "mlserver",
    "kserve",
)
"""Packages whose importers may hold a model service."""
EXTENSION_PACKAGES = ("ray", "flask_restful", "flask_restx", "flask_smorest", "flask_pydantic")
"""Packages that add routes or serving to the frameworks above."""
_SERVING_ROOTS = frozenset(name.encode() for name in (*SERVING_PACKAGES, *EXTENSION_PACKAGES))

APP_CONSTRUCTORS: Mapping[str, str] = {
    "fastapi.FastAPI": "FastAPI",
    "fastapi.applications.FastAPI": "FastAPI",
    "starlette.applications.Starlette": "Starlette",
    "flask.Flask": "Flask",
    "flask.app.Flask": "Flask",
    "apiflask.APIFlask": "APIFlask",
    "connexion.App": "Connexion",
    "connexion.FlaskApp": "Connexion",
    "connexion.AsyncApp": "Connexion",
    "quart.Quart": "Quart",
    "litestar.Litestar": "Litestar",
    "litestar.app.Litestar": "Litestar",
    "starlite.Starlite": "Litestar",
    "sanic.Sanic": "Sanic",
    "aiohttp.web.Application": "aiohttp",
    "falcon.App": "Falcon",
    "falcon.API": "Falcon",
    "falcon.asgi.App": "Falcon",
    "tornado.web.Application": "Tornado",
    "litserve.LitServer": "LitServe",
    "bentoml.Service": "BentoML",
    "kserve.ModelServer": "KServe",
}
"""Calls that create an HTTP application, by qualified name, and the framework they belong to."""

SERVICE_DECORATORS: Mapping[str, str] = {
    "bentoml.service": "BentoML",
    "ray.serve.deployment": "Ray Serve",
}
SERVICE_BASES: Mapping[str, str] = {
    "litserve.LitAPI": "LitServe",
    "litserve.api.LitAPI": "LitServe",
    "mlserver.MLModel": "MLServer",
    "mlserver.model.MLModel": "MLServer",
    "kserve.Model": "KServe",
    "kserve.model.Model": "KServe",
}

MLSERVER_SETTINGS = frozenset(
    {
        "http_port",
        "grpc_port",
        "model_repository_root",
        "load_models_at_startup",
        "parallel_workers",
    }
)
"""Keys that tell MLServer's `settings.json` from an editor's (`.vscode/settings.json`)."""

BUILTIN_HEALTH = frozenset(
    {
        "BentoML",
        "Ray Serve",
        "LitServe",
        "MLServer",
        "KServe",
        "Seldon",
        "Triton",
        "TorchServe",
        "the MLflow scoring server",
    }
)
"""Serving frameworks that answer liveness and readiness probes themselves: BentoML `/livez`
and `/readyz`, the Open Inference Protocol's `/v2/health/live` and `/v2/health/ready`
(MLServer, KServe, Seldon, Triton), Ray Serve's `/-/healthz`, LitServe's `/health`, and
`/ping` (TorchServe, `mlflow models serve`)."""

BUILTIN_VERSION = frozenset({"BentoML", "MLServer", "KServe", "Seldon", "Triton", "TorchServe"})
"""Serving frameworks that publish the served model's version themselves (the V2 model
metadata endpoint, TorchServe's management API, BentoML's model store tags)."""

ROUTERS: Mapping[str, str] = {
    "fastapi.FastAPI": "fastapi",
    "fastapi.applications.FastAPI": "fastapi",
    "fastapi.APIRouter": "fastapi",
    "fastapi.routing.APIRouter": "fastapi",
    "starlette.applications.Starlette": "starlette",
    "starlette.routing.Router": "starlette",
    "flask.Flask": "flask",
    "flask.app.Flask": "flask",
    "flask.Blueprint": "flask",
    "flask.blueprints.Blueprint": "flask",
    "apiflask.APIFlask": "flask",
    "apiflask.APIBlueprint": "flask",
    "flask_smorest.Blueprint": "flask",
    "flask_restx.Namespace": "flask",
    "quart.Quart": "flask",
    "quart.Blueprint": "flask",
    "sanic.Sanic": "sanic",
    "sanic.Blueprint": "sanic",
    "litestar.Litestar": "litestar",
    "litestar.Router": "litestar",
    "aiohttp.web.Application": "aiohttp",
    "aiohttp.web.RouteTableDef": "aiohttp",
}
"""Objects whose decorators and `add_*` methods register routes, and their framework."""

MODULE_FRAMEWORKS: Mapping[str, str] = {
    "fastapi": "fastapi",
    "litestar": "litestar",
    "starlite": "litestar",
    "flask": "flask",
    "apiflask": "flask",
    "quart": "flask",
    "sanic": "sanic",
    "aiohttp": "aiohttp",
    "starlette": "starlette",
}
"""When a route's router object is imported from another module, the module's own imports
say which framework it is, if they name exactly one."""

VIEW_BASES: Mapping[str, str] = {
    "flask.views.MethodView": "flask",
    "flask.views.View": "flask",
    "flask_restful.Resource": "flask",
    "flask_restx.Resource": "flask",
    "flask_smorest.MethodView": "flask",
    "quart.views.MethodView": "flask",
    "starlette.endpoints.HTTPEndpoint": "starlette",
    "tornado.web.RequestHandler": "tornado",
    "sanic.views.HTTPMethodView": "sanic",
    "aiohttp.web.View": "aiohttp",
}
"""Class-based views: their methods named after HTTP verbs handle requests."""

HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
ROUTE_DECORATOR_ATTRS = HTTP_VERBS | {"route", "api_route"}
PATH_KEYWORDS = ("path", "rule", "uri", "url")
LITESTAR_DECORATORS = frozenset(
    f"{package}.{verb}"
    for package in ("litestar", "litestar.handlers", "starlite")
    for verb in (*HTTP_VERBS, "route")
)
REGISTRATION_METHODS: Mapping[str, tuple[int, str | None]] = {
    # method: (position of the handler argument, its keyword); the path comes first.
    "add_api_route": (1, "endpoint"),
    "add_url_rule": (2, "view_func"),
    "add_route": (1, "endpoint"),
    "add_get": (1, "handler"),
    "add_post": (1, "handler"),
    "add_put": (1, "handler"),
    "add_patch": (1, "handler"),
    "add_delete": (1, "handler"),
}
ROUTE_CONSTRUCTORS: Mapping[str, tuple[int, str | None]] = {
    "starlette.routing.Route": (1, "endpoint"),
    "fastapi.routing.APIRoute": (1, "endpoint"),
    "aiohttp.web.get": (1, "handler"),
    "aiohttp.web.post": (1, "handler"),
    "aiohttp.web.put": (1, "handler"),
    "aiohttp.web.route": (2, "handler"),
    "tornado.web.url": (1, "handler"),
    "django.urls.path": (1, "view"),
    "django.urls.re_path": (1, "view"),
}

MANAGED_METHODS: Mapping[str, frozenset[str]] = {
    "LitServe": frozenset({"decode_request", "predict", "encode_response", "batch", "unbatch"}),
    "MLServer": frozenset({"predict"}),
    "KServe": frozenset({"preprocess", "predict", "postprocess", "explain"}),
    "Ray Serve": frozenset({"__call__"}),
}
"""Methods a serving framework calls on every request (never `setup` or `load`)."""

PREDICTION = r"predict|infer|scor(?:e|ing)|invocations"
"""A handler whose path or name says this serves predictions (SVC003)."""
_PREDICTION_BYTES = rb"(?i)predict|infer|scor(?:e|ing)|invocations"
_LOADER_BYTES = (
    rb"load|InferenceSession|from_pretrained|pipeline|Booster|SentenceTransformer|Interpreter"
    rb"|YOLO|Unpickler"
)
_ROUTE_TOKENS = (b"@", b"add_", b"Route(")
"""Byte prefilters, run only on modules that import a serving framework. Patterns are kept as
text and compiled on first use (through the `re` module's cache), so the pre-commit hook does
not pay for them at start-up."""
MODEL_MANAGEMENT = r"reload|refresh|swap|switch|promote|rollback|deploy|upload|(?<![a-z])load"
"""A handler whose path or name says it (re)loads a model on purpose, and does not predict:
not a finding (SVC004)."""

LIVENESS = frozenset(
    {
        "healthz",
        "health",
        "livez",
        "live",
        "liveness",
        "alive",
        "ping",
        "heartbeat",
        "healthcheck",
        "health-check",
        "health_check",
        "healthy",
    }
)
READINESS = frozenset({"readyz", "ready", "readiness", "ping"})
"""`/ping` is both: SageMaker and the MLflow scoring server define it as the one health check,
answering 200 only when the model is loaded and the container can take requests."""
INFO_SEGMENTS = frozenset(
    {
        "model",
        "models",
        "info",
        "version",
        "metadata",
        "model-info",
        "model_info",
        "modelinfo",
        "model-version",
        "model_version",
        "model-metadata",
        "model_metadata",
    }
)
VERSION_NAMES = frozenset({"modelversion", "xmodelversion"})
"""`model_version`, `X-Model-Version`, `modelVersion`..., compared without case, `-` or `_`."""
VERSION_TOKENS = (b"model_version", b"odel-Version", b"odel-version", b"modelVersion", b"Info(")

# -- SVC003: what reads a raw request body, and what validates it ----------------------------

STRUCTURED_BODY = frozenset({"get_json", "json", "form", "media", "get_media", "post"})
RAW_BODY = frozenset({"body", "data", "get_data", "stream", "read", "text", "content"})
"""Raw bytes count as a body only when the handler parses them as JSON itself."""
JSON_PARSERS = frozenset(
    {"json.loads", "orjson.loads", "ujson.loads", "simplejson.loads", "pandas.read_json"}
)
REQUEST_GLOBALS = frozenset({"flask.request", "quart.request", "apiflask.request"})
REQUEST_TYPES = frozenset({"Request", "HttpRequest", "BaseRequest"})
RAW_ANNOTATIONS = frozenset({"dict", "Dict", "Mapping", "MutableMapping", "Json"})
"""Parameter types that FastAPI and Litestar accept as a body without checking any field."""
NOT_BODY_MARKERS = frozenset(
    {"Depends", "Security", "Query", "Header", "Cookie", "Path", "Form", "File", "Provide"}
)
WRAPPERS = frozenset({"Optional", "Union", "Annotated", "List", "list", "Sequence", "Iterable"})
VALIDATING_CALLS = frozenset(
    {"parse_obj", "parse_raw", "parse_obj_as", "parse_args", "structure", "model_construct"}
)
VALIDATING_DECORATORS = frozenset(
    {
        "validate",
        "validate_call",
        "validate_arguments",
        "check_input",
        "check_types",
        "check_io",
        "use_args",
        "use_kwargs",
        "arguments",
        "expect",
        "expects_json",
        "input",
    }
)
"""flask-pydantic, pydantic, pandera, webargs, flask-smorest, flask-restx, APIFlask."""
NOT_SCHEMAS = frozenset({"DataFrame", "Series", "Response", "JSONResponse", "ndarray"})

# -- SVC004: calls that load a model ---------------------------------------------------------

MODEL_LOADERS = frozenset(
    {
        "pickle.load",
        "pickle.Unpickler",
        "cloudpickle.load",
        "dill.load",
        "joblib.load",
        "sklearn.externals.joblib.load",
        "skops.io.load",
        "mlflow.pyfunc.load_pyfunc",
        "torch.load",
        "torch.jit.load",
        "torch.hub.load",
        "onnx.load",
        "onnxruntime.InferenceSession",
        "tensorflow.saved_model.load",
        "transformers.pipeline",
        "sentence_transformers.SentenceTransformer",
        "spacy.load",
        "fasttext.load_model",
        "h2o.load_model",
        "statsmodels.api.load",
        "prophet.serialize.model_from_json",
        "ultralytics.YOLO",
    }
)
LOADERS_WITH_FILE: Mapping[str, str] = {
    "xgboost.Booster": "model_file",
    "lightgbm.Booster": "model_file",
    "tensorflow.lite.Interpreter": "model_path",
    "tflite_runtime.interpreter.Interpreter": "model_path",
}
"""Constructors that load a model only when given a file."""
BOOSTING_PACKAGES = ("xgboost", "lightgbm", "catboost")
"""`xgb.Booster()` then `.load_model(path)`: the second call loads the model."""
LOAD_MODEL_ROOTS = ("keras", "tensorflow", "tf_keras", "mlflow")
"""Packages whose `*.load_model(...)` always loads a model (`mlflow.pyfunc.load_model`)."""
CACHING_DECORATORS = frozenset({"lru_cache", "cache", "cached"})
CACHE_MISSES = frozenset({"KeyError", "LookupError", "AttributeError", "NameError"})


# -- what one module says about its service --------------------------------------------------


@lazy_dataclass(frozen=True)
class Service:
    """Something that serves a model over HTTP, where it is declared."""

    framework: str
    path: str
    line: int | None = None


@lazy_dataclass(frozen=True)
class Route:
    path: str | None
    """The route's path, joined to its router's prefix where that is a literal in the module."""
    handler: str | None
    file: str
    line: int

    @property
    def shown(self) -> str:
        """The path, or the handler's name when the path is not a literal."""
        return self.path if self.path is not None else f"{self.handler}()"


@lazy_dataclass(frozen=True)
class Handler:
    """A function the framework calls for each request."""

    node: FunctionNode
    framework: str
    """`fastapi`, `litestar`, `flask`, ...; `managed` for a serving framework's own methods."""
    route: str | None = None
    owner: str | None = None
    """The class of a method."""

    @property
    def name(self) -> str:
        return f"{self.owner}.{self.node.name}" if self.owner else self.node.name

    @property
    def says(self) -> str:
        """What the handler's route, name and class say about it, for PREDICTION and the like."""
        return f"{self.route or ''} {self.node.name} {self.owner or ''}".lower()


@lazy_dataclass
class ModuleFacts:
    path: str
    tree: ast.Module
    aliases: dict[str, str]
    """Local name -> the qualified name it was imported as (`np` -> `numpy`)."""
    bindings: dict[str, str] = field(default_factory=dict)
    """Local name -> qualified name of the call that created it (`app` -> `fastapi.FastAPI`)."""
    prefixes: dict[str, str] = field(default_factory=dict)
    """Router name -> its literal prefix (`APIRouter(prefix="/v1")`)."""
    services: list[Service] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    handlers: list[Handler] = field(default_factory=list)
    functions: dict[str, list[FunctionNode]] = field(default_factory=dict)

    def qualify(self, node: ast.AST) -> str | None:
        """The qualified name an expression refers to through the imports (`tf.keras` ->
        `tensorflow.keras`); local names stay as they are."""
        name = dotted_name(node)
        if name is None:
            return None
        head, dot, rest = name.partition(".")
        base = self.aliases.get(head)
        return f"{base}{dot}{rest}" if base is not None else name

    @property
    def frameworks(self) -> set[str]:
        roots = {name.split(".")[0] for name in self.aliases.values()}
        return {MODULE_FRAMEWORKS[root] for root in roots if root in MODULE_FRAMEWORKS}


_DESCEND = (
    ast.stmt,
    ast.excepthandler,
    ast.match_case,
    ast.Call,
    ast.Attribute,
    ast.keyword,
    ast.List,
    ast.Tuple,
    ast.Set,
    ast.Dict,
    ast.Starred,
    ast.Await,
    ast.IfExp,
    ast.NamedExpr,
)
"""The nodes that may hold an app, a route or a handler. Names, constants, operators and
arithmetic cannot, and are most of a tree, so the traversal does not enter them."""


def _module_facts(repo: Snapshot, path: str) -> ModuleFacts | None:
    """Apps, routes and handlers of one module, worked out once per audit; None if unparsable.

    One traversal collects the nodes of interest, skipping what cannot hold them, then each
    kind is judged from its list.
    """
    tree = repo.python(path)
    if tree is None:
        return None
    imports: list[ast.Import | ast.ImportFrom] = []
    assigns: list[ast.Assign | ast.AnnAssign] = []
    calls: list[ast.Call] = []
    classes: list[ast.ClassDef] = []
    functions: list[tuple[FunctionNode, ast.ClassDef | None]] = []
    tuples: list[ast.Tuple] = []
    stack: list[tuple[ast.AST, ast.ClassDef | None]] = [(tree, None)]
    while stack:
        node, owner = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            imports.append(node)
            continue
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            assigns.append(node)
        elif isinstance(node, ast.ClassDef):
            classes.append(node)
            owner = node  # its methods, also under `if` or `try` in its body
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            functions.append((node, owner))
            owner = None  # a function nested in a method is no method
        elif isinstance(node, ast.Tuple):
            tuples.append(node)
        stack.extend(
            (child, owner) for child in ast.iter_child_nodes(node) if isinstance(child, _DESCEND)
        )

    imports.sort(key=lambda node: node.lineno)
    facts = ModuleFacts(path, tree, _aliases(imports))
    for assign in assigns:
        if not isinstance(assign.value, ast.Call):
            continue
        created = facts.qualify(assign.value.func)
        targets = assign.targets if isinstance(assign, ast.Assign) else [assign.target]
        for target in targets:
            if isinstance(target, ast.Name) and created is not None:
                facts.bindings[target.id] = created
                prefix = _keyword_string(assign.value, "prefix", "url_prefix", "path")
                if prefix is not None:
                    facts.prefixes[target.id] = prefix
    functions.sort(key=lambda item: (item[0].lineno, item[0].col_offset))
    for function, _ in functions:
        facts.functions.setdefault(function.name, []).append(function)
    _find_services(facts, calls, classes, [function for function, _ in functions])
    registered = _find_routes(facts, calls, tuples)
    for cls in classes:
        for decorator in cls.decorator_list:  # flask-restx: @ns.route("/x") on a Resource
            route = _route_decorator(facts, decorator)
            if route is not None:
                facts.routes.append(Route(route[0], cls.name, facts.path, cls.lineno))
    for function, owner in functions:
        handler = _handler(facts, function, owner, registered)
        if handler is not None:
            facts.handlers.append(handler)
    facts.routes.sort(key=lambda route: route.line)
    return facts


def _aliases(imports: Iterable[ast.Import | ast.ImportFrom]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for node in imports:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    aliases[head] = head
        elif node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _find_services(
    facts: ModuleFacts,
    calls: Iterable[ast.Call],
    classes: Iterable[ast.ClassDef],
    functions: Iterable[FunctionNode],
) -> None:
    for call in calls:
        framework = APP_CONSTRUCTORS.get(facts.qualify(call.func) or "")
        if framework is not None:
            facts.services.append(Service(framework, facts.path, call.lineno))
    for node in [*classes, *functions]:
        for decorator in node.decorator_list:
            target = decorator.func if isinstance(decorator, ast.Call) else decorator
            framework = SERVICE_DECORATORS.get(facts.qualify(target) or "")
            if framework is not None:
                facts.services.append(Service(framework, facts.path, node.lineno))
    for cls in classes:
        for base in cls.bases:
            framework = SERVICE_BASES.get(facts.qualify(base) or "")
            if framework is not None:
                facts.services.append(Service(framework, facts.path, cls.lineno))
    if any(name.startswith("django.") for name in facts.aliases.values()):
        for statement in facts.tree.body:
            if isinstance(statement, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "urlpatterns" for t in statement.targets
            ):
                facts.services.append(Service("Django", facts.path, statement.lineno))
    facts.services.sort(key=lambda service: service.line or 0)


# -- routes and handlers ---------------------------------------------------------------------


def _find_routes(
    facts: ModuleFacts, calls: Iterable[ast.Call], tuples: Iterable[ast.Tuple]
) -> dict[str, tuple[str | None, str]]:
    """Record the routes registered by calls (and tornado tables); return the handlers they
    name, by function name, with their path and framework."""
    registered: dict[str, tuple[str | None, str]] = {}
    for call in calls:
        found = _registration(facts, call)
        if found is not None:
            path, handler, framework = found
            name = handler.id if isinstance(handler, ast.Name) else None
            facts.routes.append(Route(path, name, facts.path, call.lineno))
            if name is not None:
                registered[name] = (path, framework)
    if "tornado" in {name.split(".")[0] for name in facts.aliases.values()}:
        for node in tuples:
            if _is_url_spec(node):
                view = dotted_name(node.elts[1])
                facts.routes.append(
                    Route(string_value(node.elts[0]), view, facts.path, node.lineno)
                )
    return registered


def _registration(
    facts: ModuleFacts, call: ast.Call
) -> tuple[str | None, ast.expr | None, str] | None:
    """(path, handler expression, framework) when `call` registers a route imperatively."""
    func = call.func
    qualified = facts.qualify(func) or ""
    args = list(call.args)
    if qualified in ROUTE_CONSTRUCTORS:
        position, keyword = ROUTE_CONSTRUCTORS[qualified]
        framework = qualified.split(".")[0]
    elif isinstance(func, ast.Attribute) and func.attr in REGISTRATION_METHODS:
        position, keyword = REGISTRATION_METHODS[func.attr]
        framework = {"add_api_route": "fastapi", "add_url_rule": "flask"}.get(
            func.attr, _router_framework(facts, func.value)
        )
        first = string_value(args[0]) if args else None
        second = string_value(args[1]) if len(args) >= 2 else None
        if func.attr == "add_route" and second is not None:
            if first is not None and not first.startswith("/"):
                args = args[1:]  # aiohttp: add_route(method, path, handler)
            elif first is None:
                args = [args[1], args[0]]  # Sanic: add_route(handler, uri)
    else:
        return None
    path = string_value(args[0]) if args else _keyword_string(call, *PATH_KEYWORDS)
    if path is None and not (args and isinstance(args[0], ast.JoinedStr)):
        return None
    if path and framework != "django" and not path.lstrip("^").startswith("/"):
        return None  # `graph.add_route("a", "b")`: a URL path starts with a slash
    handler = args[position] if len(args) > position else None
    if handler is None and keyword is not None:
        handler = next((k.value for k in call.keywords if k.arg == keyword), None)
    if isinstance(func, ast.Attribute):
        path = _joined(facts.prefixes.get(dotted_name(func.value) or ""), path)
    return path, handler, framework


def _is_url_spec(node: ast.Tuple) -> bool:
    """`(r"/health", HealthHandler)`, as tornado's Application takes its routes."""
    path = string_value(node.elts[0]) if len(node.elts) >= 2 else None
    return (
        path is not None
        and path.lstrip("^").startswith("/")
        and dotted_name(node.elts[1]) is not None
    )


def _handler(
    facts: ModuleFacts,
    node: FunctionNode,
    owner: ast.ClassDef | None,
    registered: Mapping[str, tuple[str | None, str]],
) -> Handler | None:
    owner_name = owner.name if owner is not None else None
    for decorator in node.decorator_list:
        route = _route_decorator(facts, decorator)
        if route is not None:
            path, framework = route
            facts.routes.append(Route(path, node.name, facts.path, node.lineno))
            return Handler(node, framework, path, owner_name)
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        qualified = facts.qualify(target) or ""
        if qualified in ("bentoml.api", "bentoml.task") or (
            isinstance(target, ast.Attribute)
            and target.attr == "api"
            and facts.bindings.get(dotted_name(target.value) or "") == "bentoml.Service"
        ):
            return Handler(node, "managed", None, owner_name)
    if owner is not None:
        return _method_handler(facts, node, owner)
    if node.name in registered:
        path, framework = registered[node.name]
        return Handler(node, framework, path, None)
    return None


def _method_handler(facts: ModuleFacts, node: FunctionNode, owner: ast.ClassDef) -> Handler | None:
    bases = [facts.qualify(base) or "" for base in owner.bases]
    for base in bases:
        framework = VIEW_BASES.get(base)
        if framework is not None and node.name in HTTP_VERBS:
            return Handler(node, framework, None, owner.name)
        service = SERVICE_BASES.get(base)
        if service is not None and node.name in MANAGED_METHODS.get(service, ()):
            return Handler(node, "managed", None, owner.name)
    for decorator in owner.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if facts.qualify(target) == "ray.serve.deployment" and node.name == "__call__":
            return Handler(node, "managed", None, owner.name)
    verb = node.name.removeprefix("on_")
    if (
        node.name.startswith("on_")
        and verb in HTTP_VERBS
        and len(node.args.args) >= 3
        and any(name.split(".")[0] == "falcon" for name in facts.aliases.values())
    ):
        return Handler(node, "falcon", None, owner.name)
    return None


def _route_decorator(facts: ModuleFacts, decorator: ast.expr) -> tuple[str | None, str] | None:
    """(path, framework) when the decorator registers a route, such as `@app.get("/x")`."""
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    path = string_value(decorator.args[0]) if decorator.args else None
    path = path if path is not None else _keyword_string(decorator, *PATH_KEYWORDS)
    if isinstance(func, ast.Attribute) and func.attr in ROUTE_DECORATOR_ATTRS:
        if path is None and func.attr not in ("route", "api_route"):
            return None  # `@cache.get(key)` and the like: a route names its path
        if path is not None and path and not path.startswith("/") and func.attr in HTTP_VERBS:
            return None
        receiver = dotted_name(func.value) or ""
        framework = _router_framework(facts, func.value)
        return _joined(facts.prefixes.get(receiver), path), framework
    qualified = facts.qualify(func) or ""
    if qualified in LITESTAR_DECORATORS:
        if path is None and decorator.args and isinstance(decorator.args[0], ast.List):
            path = next((p for p in map(string_value, decorator.args[0].elts) if p), None)
        return path, "litestar"
    return None


def _router_framework(facts: ModuleFacts, receiver: ast.expr) -> str:
    created = facts.bindings.get(dotted_name(receiver) or "")
    if created is not None and created in ROUTERS:
        return ROUTERS[created]
    frameworks = facts.frameworks
    return frameworks.pop() if len(frameworks) == 1 else "unknown"


def _joined(prefix: str | None, path: str | None) -> str | None:
    if not prefix or path is None:
        return path
    return prefix.rstrip("/") + "/" + path.lstrip("/") if path else prefix


def _keyword_string(call: ast.Call, *names: str) -> str | None:
    for keyword in call.keywords:
        if keyword.arg in names:
            return string_value(keyword.value)
    return None


# -- the repository's services (SVC001, SVC002, SVC005) --------------------------------------


@lazy_dataclass(frozen=True)
class Services:
    """Every model service of the repository, and what the search saw when there is none."""

    found: tuple[Service, ...]
    modules: tuple[ModuleFacts, ...]
    """The non-test modules that import a web or serving framework."""
    in_tests: tuple[Service, ...] = ()
    unparsable: tuple[str, ...] = ()


def _product_code(path: str) -> bool:
    return not is_test_path(path) and not is_docs_path(path)


def _facts_of(repo: Snapshot, files: Iterable[SourceFile]) -> list[ModuleFacts]:
    found = []
    for file in files:
        facts = repo.memo(_module_facts, file.path)
        if facts is not None:
            found.append(facts)
    return found


def _may_serve(repo: Snapshot, path: str) -> bool:
    """The file's bytes import a web or serving framework."""
    return not repo.memo(import_roots).get(path, frozenset()).isdisjoint(_SERVING_ROOTS)


def _serving_modules(repo: Snapshot, tests: bool) -> list[ModuleFacts]:
    """The parsed modules that import a web or serving framework."""
    files = [
        file
        for file in repo.with_suffix(".py")
        if _may_serve(repo, file.path) and (tests or not is_test_path(file.path))
    ]
    return [
        facts
        for facts in _facts_of(repo, files)
        if imports_any(facts.tree, (*SERVING_PACKAGES, *EXTENSION_PACKAGES))
    ]


def services(repo: Snapshot) -> Services:
    """Find the model services once per audit (through `repo.memo`)."""
    modules = [m for m in _serving_modules(repo, tests=False) if not is_docs_path(m.path)]
    found = [service for module in modules for service in module.services]
    found += _configured_servers(repo)
    in_tests: list[Service] = []
    unparsable: list[str] = []
    if not found:
        in_tests = [
            service
            for module in _serving_modules(repo, tests=True)
            if not _product_code(module.path)
            for service in module.services
        ]
        unparsable = [
            file.path
            for file in repo.with_suffix(".py")
            if _may_serve(repo, file.path)
            and _product_code(file.path)
            and repo.python(file.path) is None
        ]
    return Services(tuple(found), tuple(modules), tuple(in_tests), tuple(unparsable))


def _configured_servers(repo: Snapshot) -> list[Service]:
    """Model servers declared outside Python: MLServer settings, KServe and Seldon manifests,
    and containers whose command starts a model server."""
    found: list[Service] = []
    for file in repo.with_suffix("settings.json"):
        if not _product_code(file.path) or file.name not in (
            "model-settings.json",
            "settings.json",
        ):
            continue
        data = _json(repo, file.path)
        if not isinstance(data, dict):
            continue
        if (file.name == "model-settings.json" and isinstance(data.get("implementation"), str)) or (
            file.name == "settings.json" and MLSERVER_SETTINGS & set(data)
        ):
            found.append(Service("MLServer", file.path))
    for kind, framework in (("InferenceService", "KServe"), ("SeldonDeployment", "Seldon")):
        for file in repo.files_with(kind.encode(), ".yaml", ".yml"):
            if _product_code(file.path) and any(
                isinstance(doc, dict) and doc.get("kind") == kind
                for doc in repo.yaml_documents(file.path)
            ):
                found.append(Service(framework, file.path))
    for file in repo:
        if _is_dockerfile(file.name):
            found.extend(_container_servers(repo, file.path))
    return found


def _json(repo: Snapshot, path: str) -> Any:
    text = repo.text(path)
    if text is None:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


def _is_dockerfile(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered in ("dockerfile", "containerfile")
        or lowered.startswith(("dockerfile.", "containerfile."))
        or lowered.endswith((".dockerfile", ".containerfile"))
    )


SERVER_COMMANDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("mlflow", "models", "serve"), "the MLflow scoring server"),
    (("torchserve",), "TorchServe"),
    (("tritonserver",), "Triton"),
    (("mlserver", "start"), "MLServer"),
    (("bentoml", "serve"), "BentoML"),
)
"""Container commands that start a model server, as words in this order."""


def _container_servers(repo: Snapshot, path: str) -> list[Service]:
    data = repo.read_bytes(path)
    if data is None or not any(words[0].encode() in data for words, _ in SERVER_COMMANDS):
        return []
    from dockerfile_parse import (  # imported here: start-up
        DockerfileParser,
    )

    try:
        instructions = DockerfileParser(fileobj=io.BytesIO(data)).structure
    except Exception:  # a Dockerfile it cannot read is CONT001's business, not a crash
        return []
    found = []
    for instruction in instructions:
        if instruction.get("instruction") not in ("CMD", "ENTRYPOINT"):
            continue
        words = [PurePosixPath(word).name for word in _command_words(str(instruction["value"]))]
        for command, framework in SERVER_COMMANDS:
            if _in_order(command, words):
                found.append(Service(framework, path, int(instruction["startline"]) + 1))
    return found


def _command_words(value: str) -> list[str]:
    text = value
    if value.lstrip().startswith("["):
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            text = " ".join(str(part) for part in parsed)
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _in_order(command: tuple[str, ...], words: list[str]) -> bool:
    position = 0
    for word in words:
        if position < len(command) and word == command[position]:
            position += 1
    return position == len(command)


def _listed(items: list[str], limit: int = 3) -> str:
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def _web_app(found: Iterable[Service]) -> Service | None:
    """The service a repo-level finding points at: the first app the repository creates."""
    return next(iter(sorted(found, key=lambda s: (s.path, s.line or 0))), None)


def _segments(path: str) -> list[str]:
    """The literal segments of a route path (`/v2/models/{name}` -> v2, models)."""
    parts = re.split(r"[/^$?]+", path.lower())
    return [p for p in parts if p and not re.fullmatch(r"\{[^}]*\}|<[^>]*>|\(.*\)", p)]


def route_modules(repo: Snapshot) -> list[ModuleFacts]:
    """The serving modules, plus modules that define health routes on a router imported from
    elsewhere (`from app.api import router`), found by the bytes `health` and a decorator or
    registration. Through `repo.memo`, once per audit."""
    found = repo.memo(services)
    paths = {m.path for m in found.modules}
    extra = [
        file
        for file in repo.files_with(b"health", ".py")
        if file.path not in paths
        and _product_code(file.path)
        and any(token in (repo.read_bytes(file.path) or b"") for token in _ROUTE_TOKENS)
    ]
    return [*found.modules, *_facts_of(repo, extra)]


# -- the rules -------------------------------------------------------------------------------

_FASTAPI_SERVICE = """\
from fastapi import FastAPI
from pydantic import BaseModel

from churn.model import load_champion

app = FastAPI()
model = load_champion()


class Customer(BaseModel):
    tenure_months: int
    monthly_charges: float


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/readyz")
def readyz() -> dict[str, str]:
    return {"status": "ready"}


@app.get("/v1/model")
def model_info() -> dict[str, str]:
    return {"name": "churn", "version": model.version}


@app.post("/v1/predict")
def predict(customer: Customer) -> dict[str, float]:
    return {"churn_probability": model.score(customer)}
"""
_FLASK_PREDICT = """\
import pickle

import pandas as pd
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.route("/predict", methods=["POST"])
def predict():
    with open("models/churn_model.pkl", "rb") as handle:
        model = pickle.load(handle)
    payload = request.get_json()
    frame = pd.DataFrame([payload])
    return jsonify({"churn_probability": float(model.predict_proba(frame)[0, 1])})
"""


@rule(
    "SVC001",
    "model-service-missing",
    stage=2,
    principle=Principle.SERVICE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="An HTTP model service exists (FastAPI, Flask, Litestar, BentoML, Ray Serve, "
    "MLServer/KServe model settings, LitServe and the like).",
    remedy=(
        "Serve the model over HTTP as the template's `src/<package>/service/app.py` does (a "
        "FastAPI app with `/healthz`, `/readyz`, `/v1/predict` and `/v1/model`), or declare it "
        "for a serving framework (a BentoML service, a Ray Serve deployment, MLServer's "
        "`model-settings.json`, a KServe `InferenceService`)."
    ),
    examples=Examples(
        failing={
            "notebooks/predict.py": "import pickle\n\nmodel = pickle.load(open('m.pkl', 'rb'))\n",
            "tests/test_api.py": "from fastapi import FastAPI\n\napp = FastAPI()\n",
        },
        passing={"src/churn/service/app.py": _FASTAPI_SERVICE},
    ),
)
def model_service_missing(repo: Snapshot) -> Iterator[Violation]:
    """The goal of days 31-60 is "a working system that can accept a model". A model that can
    only be called from a notebook or a batch script cannot be put behind a product, probed,
    scaled or monitored: it stays a pilot. An HTTP service gives the rest of the business one
    stable way to ask for a prediction. An app that exists only in the tests is no service.
    """
    found = repo.memo(services)
    if found.found:
        return
    notes = []
    if found.in_tests:
        shown = _listed([f"`{s.path}` ({s.framework})" for s in found.in_tests])
        notes.append(
            f"the only apps are in test or documentation code, which serves nobody: {shown}"
        )
    if found.unparsable:
        shown = _listed([f"`{path}`" for path in found.unparsable])
        one = len(found.unparsable) == 1
        notes.append(
            f"{shown} {'names' if one else 'name'} a web framework but {'is' if one else 'are'} "
            "not valid Python 3, so could not be checked (see PC002)"
        )
    if found.modules:
        shown = _listed([f"`{m.path}`" for m in found.modules])
        one = len(found.modules) == 1
        notes.append(
            f"{shown} {'imports' if one else 'import'} a web or serving framework but "
            f"{'creates' if one else 'create'} no app"
        )
    detail = f" ({'; '.join(notes)})" if notes else ""
    yield Violation(
        "no HTTP model service found: no non-test Python module creates a FastAPI, Starlette, "
        "Flask, Litestar, Sanic, aiohttp, Falcon, Tornado or Django app or declares a BentoML, "
        "Ray Serve, LitServe, MLServer or KServe service, and no `model-settings.json`, KServe "
        f"manifest or Dockerfile command starts a model server{detail}: a model nobody can "
        "call over HTTP cannot be shipped"
    )


@rule(
    "SVC002",
    "health-endpoints-missing",
    stage=2,
    principle=Principle.SERVICE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="The service has liveness and readiness endpoints (such as `/healthz` and `/readyz`, "
    "`/v2/health/live` and `/v2/health/ready`, or SageMaker's `/ping`).",
    remedy=(
        "Add a liveness route (`/healthz`: the process answers) and a readiness route "
        "(`/readyz`: 200 only once the model is loaded) as the template's "
        "`src/<package>/service/app.py` does, and point the probes of "
        "`deploy/k8s/deployment.yaml` and the `HEALTHCHECK` of the `Dockerfile` at them."
    ),
    requires=("SVC001",),
    examples=Examples(
        failing={
            "app.py": "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
            '@app.route("/health")\ndef health():\n    return "ok"\n'
        },
        passing={"src/churn/service/app.py": _FASTAPI_SERVICE},
    ),
)
def health_endpoints_missing(repo: Snapshot) -> Iterator[Violation]:
    """An orchestrator keeps a service healthy only if the service can tell it how it is. A
    liveness endpoint lets it restart a process that hangs; a readiness endpoint keeps traffic
    away from a replica until its model is loaded, so a deploy or a scale-out does not answer
    its first requests with errors. BentoML, MLServer, KServe, Seldon, Triton, TorchServe, Ray
    Serve, LitServe and `mlflow models serve` answer these probes themselves, so services on
    them pass. `/ping` alone counts as both, as SageMaker defines it: 200 only when the model
    can serve.
    """
    found = repo.memo(services)
    if not found.found or any(s.framework in BUILTIN_HEALTH for s in found.found):
        return
    live: list[Route] = []
    ready: list[Route] = []
    for module in repo.memo(route_modules):
        for route in module.routes:
            words = _segments(route.path or "")
            last = words[-1] if words else (route.handler or "").lower()
            if last in LIVENESS or last.removeprefix("get_") in LIVENESS:
                live.append(route)
            if last in READINESS or last.removeprefix("get_") in READINESS:
                ready.append(route)
    if live and ready:
        return
    app = _web_app(found.found)
    assert app is not None
    where = f"the service in `{app.path}`"
    if not live and not ready:
        problem = (
            f"{where} has no liveness endpoint (such as `/healthz`) and no readiness endpoint "
            "(such as `/readyz`)"
        )
    elif not ready:
        problem = (
            f"{where} has a liveness endpoint (`{live[0].shown}` in `{live[0].file}`) but no "
            "readiness endpoint (such as `/readyz`, 200 only once the model is loaded)"
        )
    else:
        problem = (
            f"{where} has a readiness endpoint (`{ready[0].shown}` in `{ready[0].file}`) but no "
            "liveness endpoint (such as `/healthz`)"
        )
    yield Violation(
        f"{problem}: without both, an orchestrator cannot restart a hung replica or keep "
        "traffic away from one whose model is still loading",
        app.path,
        app.line,
    )


@rule(
    "SVC003",
    "unvalidated-prediction-input",
    stage=2,
    principle=Principle.SERVICE,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=("*.py",),
    summary="Prediction input is validated by a schema (a pydantic model or equivalent), not "
    "taken as a raw dict or request body.",
    remedy=(
        "Declare the features as a pydantic model and take it as the handler's parameter, as "
        "the template's `src/<package>/service/app.py` does for `/v1/predict`; in Flask, "
        "validate `request.get_json()` with `Model.model_validate(...)` (or a marshmallow or "
        "pandera schema) before it reaches the model."
    ),
    examples=Examples(
        failing={"predict.py": _FLASK_PREDICT},
        passing={"src/churn/service/app.py": _FASTAPI_SERVICE},
    ),
)
def unvalidated_prediction_input(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """A prediction endpoint that passes whatever JSON arrives straight to the model fails in
    the worst way: a missing feature becomes a 500 error deep inside pandas, a misspelt one
    silently becomes a default, a string where a number belongs becomes a wrong prediction
    nobody notices. A schema at the door turns all of these into a clear 422 that names the
    field, and documents the contract for the callers. A handler counts as validating when it
    takes a pydantic model (or a list of them), or passes the body through a pydantic model,
    marshmallow or pandera schema, jsonschema or a validation decorator in the same function
    (or a helper of the same module that does). FastAPI reads unannotated and `Any` parameters
    from the query string, not the body, so they are flagged only when declared as `Body()`.
    """
    if not _may_serve(repo, file.path) or not _product_code(file.path):
        return
    if not re.search(_PREDICTION_BYTES, repo.read_bytes(file.path) or b""):
        return
    facts = repo.memo(_module_facts, file.path)
    if facts is None:
        return
    for handler in facts.handlers:
        if handler.framework == "managed" or not re.search(PREDICTION, handler.says):
            continue
        raw = _raw_input(facts, handler)
        if raw is None or _validates(facts, handler.node, depth=1):
            continue
        yield Violation(
            f"`{handler.name}` in `{file.path}` {raw} without validating it against a schema: "
            "a missing or mistyped feature reaches the model and fails as a 500 error or, "
            "worse, a wrong prediction nobody notices",
            file.path,
            handler.node.lineno,
        )


@rule(
    "SVC004",
    "model-loaded-per-request",
    stage=2,
    principle=Principle.SERVICE,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=("*.py",),
    summary="The model is loaded once at start-up, never inside a request handler.",
    remedy=(
        "Load the model once when the service starts (at module level, in a FastAPI "
        "`lifespan` or a Flask app factory) and keep it in application state, as the "
        "template's `src/<package>/service/app.py` does with `MODEL_URI`; handlers only "
        "call it."
    ),
    examples=Examples(
        failing={"predict.py": _FLASK_PREDICT},
        passing={"src/churn/service/app.py": _FASTAPI_SERVICE},
    ),
)
def model_loaded_per_request(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """Loading a model takes from hundreds of milliseconds to minutes and a lot of memory.
    Done inside a request handler, it is paid on every prediction: latency explodes, memory
    churns until the container is killed under load, and a model file changed on disk starts
    serving mid-traffic. Loaded once at start-up, it is paid once, and readiness can say when
    it is done. Not a finding: a load at module level, in a start-up or lifespan hook, in a
    helper the handler calls (such as an `lru_cache`d `get_model()`), a lazy load guarded by
    `if model is None:`, and endpoints whose path or name says they reload or swap the model
    on purpose (and do not also predict). FastAPI dependencies (`Depends(get_model)`) run on
    every request, so a load inside one is a finding unless it is cached.
    """
    if not _may_serve(repo, file.path) or not _product_code(file.path):
        return
    if not re.search(_LOADER_BYTES, repo.read_bytes(file.path) or b""):
        return
    facts = repo.memo(_module_facts, file.path)
    if facts is None:
        return
    reported: set[int] = set()
    for handler in facts.handlers:
        if re.search(MODEL_MANAGEMENT, handler.says) and not re.search(PREDICTION, handler.says):
            continue  # an endpoint that reloads or swaps the model on purpose
        bodies: list[tuple[FunctionNode, str]] = [(handler.node, f"`{handler.name}`")]
        if handler.framework == "fastapi":
            for dependency in _dependencies(facts, handler.node):
                bodies.append(
                    (dependency, f"`{dependency.name}`, a FastAPI dependency of `{handler.name}`,")
                )
        for body, subject in bodies:
            for call, shown in _model_loads(facts, body):
                if call.lineno in reported:
                    continue
                reported.add(call.lineno)
                yield Violation(
                    f"{subject} in `{file.path}` calls `{shown}` on every request: loading the "
                    "model per request adds its load time to every prediction and can exhaust "
                    "memory under load; load it once at start-up",
                    file.path,
                    call.lineno,
                )


@rule(
    "SVC005",
    "model-version-hidden",
    stage=2,
    principle=Principle.SERVICE,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="The served model's version is visible (in responses, an info endpoint, or a "
    "metric label).",
    remedy=(
        "Add an info endpoint such as the template's `/v1/model` (name, version, alias, "
        "trained-at) in `src/<package>/service/app.py`, return `model_version` with each "
        "prediction, and label a metric with it (the model info gauge of "
        "`src/<package>/service/metrics.py`)."
    ),
    requires=("SVC001",),
    examples=Examples(
        failing={
            "app.py": "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
            '@app.route("/healthz")\ndef healthz():\n    return "ok"\n'
        },
        passing={"src/churn/service/app.py": _FASTAPI_SERVICE},
    ),
)
def model_version_hidden(repo: Snapshot) -> Iterator[Violation]:
    """When predictions go wrong, the first question is which model made them. A service that
    does not say which version it serves makes every incident start with guesswork, and makes
    it impossible to compare a new model with the old one on live traffic or to prove that a
    rollback worked. An info endpoint, a `model_version` field or header in responses, or a
    metric labelled with the version answers the question. BentoML, MLServer, KServe, Seldon,
    Triton and TorchServe publish model metadata themselves.
    """
    found = repo.memo(services)
    if not found.found or any(s.framework in BUILTIN_VERSION for s in found.found):
        return
    for module in repo.memo(route_modules):
        for route in module.routes:
            words = _segments(route.path or "")
            if (words and words[-1] in INFO_SEGMENTS) or _info_name(route.handler or ""):
                return
    directories = {str(PurePosixPath(m.path).parent) for m in found.modules}
    directories |= {str(PurePosixPath(s.path).parent) for s in found.found}
    for file in _version_candidates(repo, directories):
        facts = repo.memo(_module_facts, file.path)
        if facts is not None and _names_model_version(facts):
            return
    app = _web_app(found.found)
    assert app is not None
    yield Violation(
        f"the service in `{app.path}` does not show which model version it serves: no info "
        "endpoint (such as `/v1/model`), no `model_version` field or `X-Model-Version` header, "
        "no metric labelled `model_version`; when predictions go wrong, nobody can tell which "
        "model made them",
        app.path,
        app.line,
    )


# -- SVC003: raw input and its validation ----------------------------------------------------


def _raw_input(facts: ModuleFacts, handler: Handler) -> str | None:
    """How the handler takes raw input ("reads `request.get_json()`"), or None."""
    node = handler.node
    if handler.framework in ("fastapi", "litestar"):
        for argument in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            if handler.framework == "litestar" and argument.arg != "data":
                continue
            if argument.annotation is not None and _raw_body_parameter(
                facts, argument, _default_of(node, argument)
            ):
                framework = "FastAPI" if handler.framework == "fastapi" else "Litestar"
                annotation = ast.unparse(argument.annotation)
                return (
                    f"takes its input as `{argument.arg}: {annotation}`, which {framework} "
                    "accepts without checking a single field, and uses it"
                )
    requests = _request_names(facts, handler)
    if not requests:
        return None
    reads: list[tuple[int, int, str]] = []
    for child in _own_nodes(node):
        if (
            isinstance(child, ast.Attribute)
            and child.attr in STRUCTURED_BODY
            and dotted_name(child.value) in requests
        ):
            shown = f"{dotted_name(child.value)}.{child.attr}{_called(node, child)}"
            reads.append((child.lineno, child.col_offset, f"reads its input with `{shown}`"))
        elif (
            isinstance(child, ast.Call)
            and facts.qualify(child.func) in JSON_PARSERS
            and any(_raw_body(argument, requests) for argument in child.args)
        ):
            parser = dotted_name(child.func)
            reads.append((child.lineno, child.col_offset, f"parses the raw body with `{parser}`"))
    if not reads:
        return None
    return f"{min(reads)[2]} and uses it"


def _raw_body(expression: ast.expr, requests: set[str]) -> bool:
    """`request.data`, `await request.body()`, `self.request.body`: the body's bytes."""
    if isinstance(expression, ast.Await):
        expression = expression.value
    if isinstance(expression, ast.Call):
        expression = expression.func
    return (
        isinstance(expression, ast.Attribute)
        and expression.attr in RAW_BODY
        and dotted_name(expression.value) in requests
    )


def _called(function: FunctionNode, attribute: ast.Attribute) -> str:
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and node.func is attribute:
            return "()"
    return ""


def _request_names(facts: ModuleFacts, handler: Handler) -> set[str]:
    """The names the handler reaches the request through: Flask's global `request`, a
    parameter typed as a framework's request class, an unannotated `request` or `req`, or
    `self.request` in a class-based view. A parameter named `request` but typed as a pydantic
    model is the validated input itself, not the request."""
    names = {local for local, name in facts.aliases.items() if name in REQUEST_GLOBALS}
    arguments = handler.node.args
    for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]:
        annotation = argument.annotation
        if annotation is None:
            if argument.arg in ("request", "req"):
                names.add(argument.arg)
        elif (dotted_name(annotation) or "").rpartition(".")[2] in REQUEST_TYPES:
            names.add(argument.arg)
    if handler.owner is not None:
        names.add("self.request")
    return names


def _default_of(function: FunctionNode, argument: ast.arg) -> ast.expr | None:
    arguments = function.args
    positional = [*arguments.posonlyargs, *arguments.args]
    if argument in positional:
        offset = len(positional) - len(arguments.defaults)
        index = positional.index(argument)
        return arguments.defaults[index - offset] if index >= offset else None
    index = arguments.kwonlyargs.index(argument)
    return arguments.kw_defaults[index]


def _raw_body_parameter(facts: ModuleFacts, argument: ast.arg, default: ast.expr | None) -> bool:
    """A parameter FastAPI (or Litestar) fills from the body without checking a field:
    `payload: dict`, `dict[str, Any]`, `list[dict]`, `Any = Body(...)`."""
    assert argument.annotation is not None
    markers = _markers(argument.annotation)
    if isinstance(default, ast.Call):
        markers.add((dotted_name(default.func) or "").rpartition(".")[2])
    if markers & NOT_BODY_MARKERS:
        return False
    core = _unwrapped(argument.annotation)
    if not core:
        return False
    if all(name in RAW_ANNOTATIONS for name in core):
        return True
    return all(name in RAW_ANNOTATIONS | {"Any"} for name in core) and "Body" in markers


def _markers(annotation: ast.expr) -> set[str]:
    """The calls in `Annotated[...]` metadata (`Body`, `Depends`...)."""
    found = set()
    for node in ast.walk(annotation):
        if isinstance(node, ast.Call):
            found.add((dotted_name(node.func) or "").rpartition(".")[2])
    return found


def _unwrapped(annotation: ast.expr) -> list[str]:
    """The type names inside Optional/Union/Annotated/list wrappers (`Optional[dict]` -> dict);
    `dict[str, Any]` counts as `dict`."""
    if isinstance(annotation, ast.Constant) and annotation.value is None:
        return []
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _unwrapped(annotation.left) + _unwrapped(annotation.right)
    if isinstance(annotation, ast.Subscript):
        outer = (dotted_name(annotation.value) or "").rpartition(".")[2]
        if outer in WRAPPERS:
            inner = annotation.slice
            items = inner.elts if isinstance(inner, ast.Tuple) else [inner]
            if outer == "Annotated":
                items = items[:1]
            return [name for item in items for name in _unwrapped(item)]
        return [outer]
    name = dotted_name(annotation)
    if name is None and isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        name = annotation.value  # a string annotation: "dict"
    return [name.rpartition(".")[2]] if name else ["?"]


def _validates(facts: ModuleFacts, function: FunctionNode, *, depth: int) -> bool:
    """True when the function (or a same-module helper it calls) validates input by schema."""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        if (dotted_name(target) or "").rpartition(".")[2] in VALIDATING_DECORATORS:
            return True
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and (
            _validating_call(facts, node)
            or (depth > 0 and _helper_validates(facts, function, node))
        ):
            return True
    return False


def _validating_call(facts: ModuleFacts, call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if "validat" in name.lower() or name in VALIDATING_CALLS:
        return True
    qualified = facts.qualify(func) or ""
    if qualified.startswith("msgspec.") and name in ("convert", "decode"):
        return True
    if isinstance(func, ast.Attribute):
        receiver = func.value
        receiver_name = (
            call_name(receiver) if isinstance(receiver, ast.Call) else dotted_name(receiver)
        ) or ""
        if name in ("load", "loads") and (
            "schema" in receiver_name.lower() or receiver_name.endswith("Schema")
        ):
            return True  # marshmallow: CustomerSchema().load(payload)
        if name in ("from_dict", "from_json") and receiver_name.rpartition(".")[2] not in (
            NOT_SCHEMAS | {"pd", "pandas"}
        ):
            return True
    last = (dotted_name(func) or "").rpartition(".")[2]
    return (
        bool(last)
        and last[0].isupper()
        and last not in NOT_SCHEMAS
        and any(keyword.arg is None for keyword in call.keywords)  # Customer(**payload)
    )


def _helper_validates(facts: ModuleFacts, caller: FunctionNode, call: ast.Call) -> bool:
    if not isinstance(call.func, ast.Name):
        return False
    return any(
        helper is not caller and _validates(facts, helper, depth=0)
        for helper in facts.functions.get(call.func.id, ())
    )


# -- SVC004: model loads inside handlers -----------------------------------------------------


def _own_nodes(function: FunctionNode) -> Iterator[ast.AST]:
    """Every node of a function's body, not descending into nested functions and classes."""
    stack: list[ast.AST] = [*function.body]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            ):
                stack.append(child)


def _model_loads(facts: ModuleFacts, function: FunctionNode) -> list[tuple[ast.Call, str]]:
    """The calls that load a model on every run of `function`, with the name to show."""
    if any(
        (dotted_name(d.func if isinstance(d, ast.Call) else d) or "").rpartition(".")[2]
        in CACHING_DECORATORS
        for d in function.decorator_list
    ):
        return []
    boosters = {
        target.id
        for node in _own_nodes(function)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and _is_booster(facts, node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: list[tuple[ast.Call, str]] = []
    _collect_loads(facts, function.body, boosters, found)
    return sorted(found, key=lambda item: (item[0].lineno, item[0].col_offset))


def _collect_loads(
    facts: ModuleFacts,
    nodes: Iterable[ast.AST],
    boosters: set[str],
    found: list[tuple[ast.Call, str]],
) -> None:
    """Walk statements, leaving out what runs once: nested functions, lazy-init branches
    (`if model is None:`), cache-miss handlers and `cache.get(...) or load(...)`."""
    for node in nodes:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.If | ast.IfExp | ast.While):
            _collect_loads(facts, [node.test], boosters, found)
            if not _absence_test(node.test):
                _collect_loads(facts, _as_list(node.body), boosters, found)
            if not _presence_test(node.test):
                _collect_loads(facts, _as_list(node.orelse), boosters, found)
            continue
        if isinstance(node, ast.Try | ast.TryStar):
            _collect_loads(facts, [*node.body, *node.orelse, *node.finalbody], boosters, found)
            for handler in node.handlers:
                if not _catches_cache_miss(handler):
                    _collect_loads(facts, handler.body, boosters, found)
            continue
        if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or):
            _collect_loads(facts, node.values[:1], boosters, found)
            continue
        if isinstance(node, ast.Call):
            shown = _model_load(facts, node, boosters)
            if shown is not None:
                found.append((node, shown))
        _collect_loads(facts, ast.iter_child_nodes(node), boosters, found)


def _as_list(body: ast.AST | list[ast.stmt]) -> list[ast.AST]:
    return list(body) if isinstance(body, list) else [body]


def _absence_test(test: ast.expr) -> bool:
    """`model is None`, `not model`, `key not in cache`, `not hasattr(...)`: a lazy-init guard."""
    for node in ast.walk(test):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return True
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=False):
                if isinstance(op, ast.NotIn) or (
                    isinstance(op, ast.Is | ast.Eq)
                    and isinstance(right, ast.Constant)
                    and right.value is None
                ):
                    return True
    return False


def _presence_test(test: ast.expr) -> bool:
    """`model is not None`, `key in cache`, `hasattr(...)`: its else branch is the lazy init."""
    if isinstance(test, ast.Name | ast.Attribute):
        return True
    for node in ast.walk(test):
        if isinstance(node, ast.Compare):
            for op, right in zip(node.ops, node.comparators, strict=False):
                if isinstance(op, ast.In) or (
                    isinstance(op, ast.IsNot | ast.NotEq)
                    and isinstance(right, ast.Constant)
                    and right.value is None
                ):
                    return True
        if isinstance(node, ast.Call) and dotted_name(node.func) in ("hasattr", "getattr"):
            return True
    return False


def _catches_cache_miss(handler: ast.ExceptHandler) -> bool:
    caught = handler.type
    names = caught.elts if isinstance(caught, ast.Tuple) else [caught] if caught else []
    return any((dotted_name(n) or "").rpartition(".")[2] in CACHE_MISSES for n in names)


def _model_load(facts: ModuleFacts, call: ast.Call, boosters: set[str]) -> str | None:
    """The name to show when `call` loads a model (`pickle.load`), else None."""
    func = call.func
    qualified = facts.qualify(func) or ""
    shown = dotted_name(func)
    if qualified in MODEL_LOADERS:
        return shown
    if qualified in LOADERS_WITH_FILE and any(
        k.arg == LOADERS_WITH_FILE[qualified] for k in call.keywords
    ):
        return shown
    root = qualified.split(".")[0]
    if qualified.endswith(".load_model") and root in (*LOAD_MODEL_ROOTS, *BOOSTING_PACKAGES):
        return shown  # also `from mlflow.pyfunc import load_model`
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr == "from_pretrained":
        return shown or "from_pretrained"
    if func.attr == "load_model":
        receiver = func.value
        if isinstance(receiver, ast.Call) and _is_booster(facts, receiver):
            return f"{call_name(receiver)}().load_model"
        if isinstance(receiver, ast.Name) and receiver.id in boosters:
            return shown
    return None


def _is_booster(facts: ModuleFacts, call: ast.Call) -> bool:
    return (facts.qualify(call.func) or "").split(".")[0] in BOOSTING_PACKAGES


def _dependencies(facts: ModuleFacts, handler: FunctionNode) -> Iterator[FunctionNode]:
    """Same-module functions a FastAPI handler depends on (`Depends(get_model)`)."""
    arguments = handler.args
    expressions: list[ast.AST] = [
        *arguments.defaults,
        *(d for d in arguments.kw_defaults if d is not None),
        *(a.annotation for a in [*arguments.args, *arguments.kwonlyargs] if a.annotation),
    ]
    seen: set[str] = set()
    for expression in expressions:
        for node in ast.walk(expression):
            if (
                isinstance(node, ast.Call)
                and (dotted_name(node.func) or "").rpartition(".")[2] in ("Depends", "Security")
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id not in seen
            ):
                seen.add(node.args[0].id)
                yield from facts.functions.get(node.args[0].id, ())


# -- SVC005: the version, named in service code ----------------------------------------------


def _info_name(handler: str) -> bool:
    name = handler.lower().removeprefix("get_")
    return name in ("model_info", "model_version", "model_metadata", "version", "info") or (
        "model_info" in name or "model_version" in name
    )


def _version_candidates(repo: Snapshot, directories: set[str]) -> list[SourceFile]:
    """Non-test modules under the service's directories whose bytes name a model version.

    Only those directories are scanned, so a large repository pays for its service code only.
    """
    everywhere = bool(directories & {"", "."})
    prefixes = tuple(f"{directory}/" for directory in directories)
    return [
        file
        for file in repo.with_suffix(".py")
        if (everywhere or file.path.startswith(prefixes))
        and _product_code(file.path)
        and any(token in (repo.read_bytes(file.path) or b"") for token in VERSION_TOKENS)
    ]


def _names_model_version(facts: ModuleFacts) -> bool:
    """A string, keyword, field or metric label named like `model_version` (not an environment
    variable name such as `MODEL_VERSION`), or a prometheus `Info` metric about the model."""
    for node in ast.walk(facts.tree):
        names: list[str] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if not node.value.isupper():
                names.append(node.value)
        elif isinstance(node, ast.keyword) and node.arg:
            names.append(node.arg)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
        elif isinstance(node, ast.Call) and (facts.qualify(node.func) or "").endswith(
            "prometheus_client.Info"
        ):
            label = string_value(node.args[0]) if node.args else None
            if label and "model" in label.lower():
                return True
        if any(re.sub(r"[-_\s]", "", n).lower() in VERSION_NAMES for n in names):
            return True
    return False
