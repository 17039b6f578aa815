"""ENG001-ENG006: tests that exercise the code, CI that runs them, locked dependencies,
pre-commit, a `.gitignore` that keeps data and secrets out, a README that says how."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodcheck.findings import Finding, Severity
from tests.helpers import audit_tree, run_rule

Files = dict[str, str]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


PIPELINE = "def train(rows):\n    return sum(rows) / len(rows)\n"
TRIVIAL_TEST = "def test_placeholder():\n    assert True\n"


# -- ENG001: tests exercise the model, pipeline or service ------------------------------------


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                "src/churn/pipeline.py": PIPELINE,
                "tests/test_pipeline.py": (
                    "from churn.pipeline import train\n\n"
                    "def test_train():\n    assert train([1, 3]) == 2\n"
                ),
            },
            id="src-layout",
        ),
        pytest.param(
            {
                "train.py": PIPELINE,
                "tests/test_train.py": "import train\n\ndef test_it():\n    train.train([1])\n",
            },
            id="flat-layout",
        ),
        pytest.param(
            {
                "services/api/app/main.py": "from fastapi import FastAPI\napp = FastAPI()\n",
                "services/api/tests/test_main.py": (
                    "from app.main import app\n\n"
                    "def test_app_has_routes():\n    assert app.routes\n"
                ),
            },
            id="monorepo-service",
        ),
        pytest.param(
            {
                "src/churn/service/app.py": "app = object()\n",
                "tests/conftest.py": (
                    "import pytest\nfrom fastapi.testclient import TestClient\n\n"
                    "from churn.service.app import app\n\n\n"
                    "@pytest.fixture\ndef client():\n    return TestClient(app)\n"
                ),
                "tests/test_health.py": (
                    "def test_healthz(client):\n"
                    "    assert client.get('/healthz').status_code == 200\n"
                ),
            },
            id="testclient-fixture-in-conftest",
        ),
        pytest.param(
            {
                "app.py": "from flask import Flask\napp = Flask(__name__)\n",
                "tests/test_app.py": (
                    "from app import app\n\n"
                    "def test_ping():\n"
                    "    assert app.test_client().get('/ping').status_code == 200\n"
                ),
            },
            id="flask-test-client",
        ),
        pytest.param(
            {
                "tests/test_model.py": (
                    "import joblib\n\n"
                    "def test_model_predicts_known_rows():\n"
                    "    model = joblib.load('models/model.joblib')\n"
                    "    assert model.predict([[1, 2]])[0] == 1\n"
                ),
            },
            id="loads-the-model",
        ),
        pytest.param(
            {
                "src/churn/model.py": "def predict(x):\n    return x\n",
                "tests/test_model.py": (
                    "import unittest\n\nfrom churn import model\n\n\n"
                    "class ModelTest(unittest.TestCase):\n"
                    "    def test_predict(self):\n        self.assertEqual(model.predict(1), 1)\n"
                ),
            },
            id="unittest",
        ),
        pytest.param(
            {
                "src/churn/__init__.py": "",
                "src/churn/model.py": "def predict(x):\n    return x\n",
                "src/churn/tests/__init__.py": "",
                "src/churn/tests/test_model.py": (
                    "from ..model import predict\n\n"
                    "def test_predict():\n    assert predict(1) == 1\n"
                ),
            },
            id="relative-import-inside-the-package",
        ),
        pytest.param(
            {
                "src/churn/features.py": "def scale(x):\n    return x\n",
                "tests/test_features.py": (
                    "from churn.features import *  # noqa: F403\n\n"
                    "def test_scale():\n    assert scale(2) == 2  # noqa: F405\n"
                ),
            },
            id="star-import",
        ),
        pytest.param(
            {
                "pyproject.toml": '[tool.hatch.build.targets.wheel]\npackages = ["lib/churn"]\n',
                "lib/churn/model.py": "def predict(x):\n    return x\n",
                "tests/test_model.py": (
                    "from churn.model import predict\n\n"
                    "def test_predict():\n    assert predict(1) == 1\n"
                ),
            },
            id="package-under-a-configured-directory",
        ),
        pytest.param(
            {
                "src/tests/test_run.py": (
                    "from pathlib import Path\n\n"
                    "from kedro.framework.session import KedroSession\n"
                    "from kedro.framework.startup import bootstrap_project\n\n\n"
                    "class TestKedroRun:\n"
                    "    def test_kedro_run(self):\n"
                    "        bootstrap_project(Path.cwd())\n"
                    "        with KedroSession.create(project_path=Path.cwd()) as session:\n"
                    "            assert session.run() is not None\n"
                ),
            },
            id="kedro-session",
        ),
        pytest.param(
            {
                "dags/churn.py": "from airflow import DAG\n",
                "tests/test_dags.py": (
                    "from airflow.models import DagBag\n\n"
                    "def test_dags_import():\n"
                    "    assert DagBag(dag_folder='dags').import_errors == {}\n"
                ),
            },
            id="airflow-dagbag",
        ),
        pytest.param(
            {
                "tests/integration/test_service.py": (
                    "import requests\n\n"
                    "def test_ready():\n"
                    "    assert requests.get('http://localhost:8000/readyz').ok\n"
                ),
            },
            id="integration-test-over-http",
        ),
        pytest.param(
            {
                "src/churn/pipeline.py": PIPELINE,
                "tests/test_cli.py": (
                    "import subprocess\nimport sys\n\n"
                    "def test_pipeline_runs():\n"
                    "    subprocess.run([sys.executable, '-m', 'churn.pipeline'], check=True)\n"
                ),
            },
            id="runs-the-pipeline-in-a-subprocess",
        ),
        pytest.param(
            {
                "shop/models.py": "class Customer:\n    pass\n",
                "shop/__init__.py": "",
                "shop/tests.py": (
                    "from django.test import TestCase\n\nfrom .models import Customer\n\n\n"
                    "class CustomerTests(TestCase):\n"
                    "    def test_create(self):\n        Customer()\n"
                ),
            },
            id="django-tests-module",
        ),
    ],
)
def test_tests_that_exercise_the_project_pass(tmp_path: Path, files: Files) -> None:
    assert run_rule("ENG001", tmp_path, files) == []


def test_without_tests_nothing_checks_the_code(tmp_path: Path) -> None:
    finding = only(run_rule("ENG001", tmp_path, {"src/churn/pipeline.py": PIPELINE}))
    assert finding.message.startswith("no test modules (`test_*.py`, `*_test.py`) were found")
    assert finding.path is None


def test_a_placeholder_test_does_not_exercise_anything(tmp_path: Path) -> None:
    files = {"src/churn/pipeline.py": PIPELINE, "tests/test_placeholder.py": TRIVIAL_TEST}
    finding = only(run_rule("ENG001", tmp_path, files))
    assert finding.message.startswith(
        "the 1 test in `tests/test_placeholder.py` do not exercise the model, pipeline or service"
    )
    assert finding.path == "tests/test_placeholder.py"
    assert finding.severity is Severity.ERROR


@pytest.mark.parametrize(
    "test",
    [
        pytest.param("import churn.pipeline\n\n" + TRIVIAL_TEST, id="imported-but-unused"),
        pytest.param(
            "import pandas as pd\n\ndef test_frame():\n    assert pd.DataFrame().empty\n",
            id="third-party-only",
        ),
        pytest.param(
            "from tests.helpers import make_rows\n\ndef test_rows():\n    assert make_rows()\n",
            id="test-helpers-only",
        ),
    ],
)
def test_tests_that_never_touch_the_project_fail(tmp_path: Path, test: str) -> None:
    files = {
        "src/churn/pipeline.py": PIPELINE,
        "tests/helpers.py": "def make_rows():\n    return [1]\n",
        "tests/test_x.py": test,
    }
    assert "do not exercise" in only(run_rule("ENG001", tmp_path, files)).message


def test_a_conftest_fixture_counts_only_for_tests_that_take_fixtures(tmp_path: Path) -> None:
    files = {
        "src/churn/service/app.py": "app = object()\n",
        "tests/conftest.py": (
            "import pytest\n\nfrom churn.service.app import app\n\n\n"
            "@pytest.fixture\ndef service():\n    return app\n"
        ),
        "tests/test_placeholder.py": TRIVIAL_TEST,
    }
    assert "do not exercise" in only(run_rule("ENG001", tmp_path, files)).message


def test_test_modules_without_test_functions_are_named(tmp_path: Path) -> None:
    files = {"src/churn/pipeline.py": PIPELINE, "tests/test_pipeline.py": "import churn\n"}
    finding = only(run_rule("ENG001", tmp_path, files))
    assert finding.message.startswith(
        "the test modules (`tests/test_pipeline.py`) define no test functions"
    )


def test_one_exercising_module_among_placeholders_is_enough(tmp_path: Path) -> None:
    files = {
        "src/churn/pipeline.py": PIPELINE,
        "tests/test_a.py": TRIVIAL_TEST,
        "tests/test_b.py": "from churn.pipeline import train\n\ndef test_t():\n    train([1])\n",
        "tests/test_c.py": TRIVIAL_TEST,
    }
    assert run_rule("ENG001", tmp_path, files) == []


def test_an_unparsable_test_module_is_named_not_a_crash(tmp_path: Path) -> None:
    files = {"src/churn/pipeline.py": PIPELINE, "tests/test_old.py": "print 'python 2'\n"}
    result = audit_tree(tmp_path, files, select=["ENG001", "PC002"])
    messages = {f.rule_id: f.message for f in result.findings}
    assert "(`tests/test_old.py`) cannot be parsed as Python 3" in messages["ENG001"]
    assert "PC002" in messages


# -- ENG002: CI runs the tests -----------------------------------------------------------------


def workflow(*runs: str, extra: str = "") -> Files:
    steps = "".join(f"      - run: {run}\n" for run in runs)
    return {
        ".github/workflows/ci.yml": (
            "on: [push, pull_request]\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
            f"{extra}    steps:\n      - uses: actions/checkout@v4\n{steps}"
        )
    }


@pytest.mark.parametrize(
    "command",
    [
        "pytest -q",
        "python -m pytest",
        "python3.11 -X dev -m pytest tests/",
        "uv run pytest",
        "uv run --with pytest-cov pytest --cov",
        "poetry run pytest -x",
        "pdm run test",
        "pipenv run pytest",
        "conda run -n churn pytest",
        "hatch test",
        "hatch run test:cov",
        "tox",
        "tox -e py311",
        "tox run -e py312-unit",
        "nox",
        "nox -s tests-3.11",
        "coverage run -m pytest",
        "python -m coverage run -m unittest discover",
        "python -m unittest discover -s tests",
        "python manage.py test",
        "PYTHONPATH=src pytest",
        "xvfb-run -a pytest",
        "just test",
        "cd services/api && pytest",
        "docker compose run --rm api pytest",
        "docker run --rm -e CI=1 churn:ci python -m pytest",
        "bash -c 'pip install -e . && pytest'",
    ],
)
def test_a_step_that_runs_the_tests_passes(tmp_path: Path, command: str) -> None:
    assert (
        run_rule("ENG002", tmp_path, workflow(f'"{command}"' if ":" in command else command)) == []
    )


@pytest.mark.parametrize(
    "command",
    [
        "pip install pytest tox",
        "ruff check .",
        "tox -e lint,type",
        "nox -s lint",
        "echo pytest",
        "docker build -t churn .",
        "python -m build",
        "pre-commit run --all-files",
    ],
)
def test_a_step_that_only_mentions_tests_does_not_count(tmp_path: Path, command: str) -> None:
    finding = only(run_rule("ENG002", tmp_path, workflow(command)))
    assert finding.message.startswith(
        "CI is configured (`.github/workflows/ci.yml`) but never runs the tests"
    )
    assert finding.path == ".github/workflows/ci.yml"


def test_without_ci_the_tests_run_only_by_hand(tmp_path: Path) -> None:
    finding = only(run_rule("ENG002", tmp_path, {"tests/test_x.py": TRIVIAL_TEST}))
    assert finding.message.startswith("no CI configuration")
    assert finding.path is None


def test_a_multi_line_script_is_read_line_by_line(tmp_path: Path) -> None:
    files = workflow("|\n          pip install -r requirements.lock\n          pytest -q \\\n"
                     "            --maxfail=1")  # fmt: skip
    assert run_rule("ENG002", tmp_path, files) == []


MAKEFILE_CASES = {
    "direct": ("test:\n\tpython -m pytest -q\n", True),
    "variable": ("PYTEST ?= python -m pytest\n\ntest:\n\t@$(PYTEST) -q\n", True),
    "prerequisite": ("test: lint unit\nlint:\n\truff check .\nunit:\n\tpytest\n", True),
    "recursive-make": ("check:\n\t$(MAKE) unit\nunit:\n\tpytest\ntest: check\n", True),
    "placeholder": ("test:\n\techo 'TODO: write tests'\n", False),
}


@pytest.mark.parametrize(("makefile", "passes"), MAKEFILE_CASES.values(), ids=MAKEFILE_CASES)
def test_make_test_counts_when_its_recipe_runs_the_tests(
    tmp_path: Path, makefile: str, passes: bool
) -> None:
    findings = run_rule("ENG002", tmp_path, {**workflow("make test"), "Makefile": makefile})
    assert (findings == []) is passes


def test_make_test_without_a_test_target_is_explained(tmp_path: Path) -> None:
    files = {**workflow("make test"), "Makefile": "lint:\n\truff check .\n"}
    finding = only(run_rule("ENG002", tmp_path, files))
    assert "`make test` is called, but `Makefile` has no `test` target" in finding.message


def test_make_in_a_service_directory_uses_that_makefile(tmp_path: Path) -> None:
    files = {
        **workflow("make -C services/api test"),
        "services/api/Makefile": "test:\n\tpytest\n",
    }
    assert run_rule("ENG002", tmp_path, files) == []


def test_a_working_directory_is_honoured(tmp_path: Path) -> None:
    files = {
        **workflow(
            "make test", extra="    defaults:\n      run:\n        working-directory: api\n"
        ),
        "api/Makefile": "test:\n\tpytest\n",
    }
    assert run_rule("ENG002", tmp_path, files) == []


def test_a_repository_script_is_followed(tmp_path: Path) -> None:
    files = {**workflow("./scripts/ci.sh"), "scripts/ci.sh": "#!/bin/sh\nset -e\npytest -q\n"}
    assert run_rule("ENG002", tmp_path, files) == []


def test_a_local_composite_action_is_followed(tmp_path: Path) -> None:
    files = {
        ".github/workflows/ci.yml": (
            "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: ./.github/actions/test\n"
        ),
        ".github/actions/test/action.yml": (
            "runs:\n  using: composite\n  steps:\n    - run: pytest\n      shell: bash\n"
        ),
    }
    assert run_rule("ENG002", tmp_path, files) == []


OTHER_CI = {
    "gitlab": {".gitlab-ci.yml": "stages: [test]\nunit:\n  stage: test\n  script:\n    - pytest\n"},
    "gitlab-include": {
        ".gitlab-ci.yml": "include:\n  - local: /ci/test.yml\n",
        "ci/test.yml": "unit:\n  script: [python -m pytest]\n",
    },
    "jenkins": {
        "Jenkinsfile": (
            "pipeline {\n  agent any\n  stages {\n    stage('Test') {\n"
            "      steps {\n        sh '''\n          pip install -r requirements.lock\n"
            "          python -m pytest\n        '''\n      }\n    }\n  }\n}\n"
        )
    },
    "circleci": {
        ".circleci/config.yml": (
            "version: 2.1\njobs:\n  test:\n    docker: [{image: cimg/python:3.11}]\n"
            "    steps:\n      - checkout\n      - run:\n          name: tests\n"
            "          command: pytest\n"
        )
    },
    "circleci-python-orb": {
        ".circleci/config.yml": (
            "version: 2.1\norbs:\n  python: circleci/python@2.1\n"
            "workflows:\n  main:\n    jobs:\n      - python/test:\n          pkg-manager: pip\n"
        )
    },
    "gitlab-reference-tags": {
        ".gitlab-ci.yml": (
            ".setup:\n  script: [pip install -r requirements.lock]\n"
            "unit:\n  script:\n    - !reference [.setup, script]\n    - pytest\n"
        )
    },
    "github-shared-workflow": {
        ".github/workflows/ci.yml": (
            "on: push\njobs:\n  ci:\n    uses: acme/.github/.github/workflows/python-ci.yml@v2\n"
        )
    },
    "github-pytest-action": {
        ".github/workflows/ci.yml": (
            "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - uses: pavelzw/pytest-action@v2\n"
        )
    },
    "azure": {"azure-pipelines.yml": "steps:\n  - script: python -m pytest\n"},
    "buildkite": {".buildkite/pipeline.yml": "steps:\n  - label: test\n    command: pytest\n"},
}


@pytest.mark.parametrize("files", OTHER_CI.values(), ids=OTHER_CI)
def test_other_ci_systems_are_read(tmp_path: Path, files: Files) -> None:
    assert run_rule("ENG002", tmp_path, files) == []


@pytest.mark.parametrize(
    "content",
    [
        "- run: pytest\n",
        "on: push\njobs: [pytest]\n",
        "on: push\njobs:\n  t:\n    steps: pytest\n",
        "on: push\njobs:\n  t:\n    steps:\n      - run: 42\n",
        "on: push\njobs:\n  t: [\n",
        "",
    ],
    ids=["a-list", "jobs-a-list", "steps-a-string", "run-a-number", "broken", "empty"],
)
def test_odd_workflow_shapes_are_no_crash(tmp_path: Path, content: str) -> None:
    result = audit_tree(tmp_path, {".github/workflows/ci.yml": content}, select=["ENG002"])
    assert [f.rule_id for f in result.findings] == ["ENG002"]


def test_an_unbalanced_quote_in_a_step_is_no_crash(tmp_path: Path) -> None:
    assert run_rule("ENG002", tmp_path, workflow('"echo \'oops && pytest"')) == []


# -- ENG003: dependencies are locked ---------------------------------------------------------

LOCKED = {
    "uv": {"pyproject.toml": '[project]\nname = "churn"\ndependencies = ["pandas>=2"]\n',
           "uv.lock": "version = 1\n"},
    "poetry": {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\npandas = "^2"\n',
               "poetry.lock": "# poetry\n"},
    "pdm": {"pyproject.toml": '[project]\ndependencies = ["pandas"]\n', "pdm.lock": "# pdm\n"},
    "pipenv": {"Pipfile": "[packages]\npandas = '*'\n", "Pipfile.lock": "{}\n"},
    "conda-lock": {"environment.yml": "dependencies:\n  - pandas\n", "conda-lock.yml": "x: 1\n"},
    "pixi": {"pixi.toml": "[dependencies]\npandas = '*'\n", "pixi.lock": "version: 5\n"},
    "pylock": {"pyproject.toml": '[project]\ndependencies = ["pandas"]\n', "pylock.toml": ""},
    "pinned-requirements": {"requirements.txt": "pandas==2.2.2\nscikit-learn===1.5.0\n"},
    "template-lock": {
        "pyproject.toml": '[project]\ndependencies = ["pandas>=2"]\n',
        "requirements.lock": "pandas==2.2.2 \\\n    --hash=sha256:aa\nnumpy==1.26.4\n",
    },
    "pip-compile": {
        "requirements.in": "pandas\nscikit-learn>=1.3\n",
        "requirements.txt": (
            "# generated by pip-compile\n--index-url https://packages.example.com/simple\n\n"
            "pandas==2.2.2\n    # via -r requirements.in\n"
            "scikit-learn==1.5.0 ; python_version >= '3.9'\n-e .\n"
        ),
    },
    "includes-and-constraints": {
        "requirements.txt": "-r requirements/base.txt\n-c constraints.txt\nfastapi\n",
        "requirements/base.txt": "pandas==2.2.2\n",
        "constraints.txt": "fastapi==0.111.0\n",
    },
    "vcs-commit-and-wheel": {
        "requirements.txt": (
            "churnlib @ git+https://github.com/acme/churnlib@3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f\n"
            "torch @ https://download.pytorch.org/whl/cpu/torch-2.3.0%2Bcpu-cp311-linux_x86_64.whl\n"
        )
    },
    "exported-conda-environment": {
        "environment.yml": (
            "name: churn\ndependencies:\n  - python=3.11.9=h955ad1f_0\n  - pandas==2.2.2\n"
            "  - pip:\n    - mlflow==2.14.1\n"
        )
    },
    "workspace-lock-above-a-service": {
        "uv.lock": "version = 1\n",
        "services/api/pyproject.toml": '[project]\ndependencies = ["fastapi"]\n',
    },
    "docker-requirements-in-the-project": {
        "pyproject.toml": '[project]\ndependencies = ["pandas"]\n',
        "docker/requirements.txt": "pandas==2.2.2\n",
    },
}  # fmt: skip


@pytest.mark.parametrize("files", LOCKED.values(), ids=LOCKED)
def test_a_lock_or_fully_pinned_requirements_pass(tmp_path: Path, files: Files) -> None:
    assert run_rule("ENG003", tmp_path, {"src/churn/model.py": "x = 1\n", **files}) == []


def test_unpinned_requirements_are_listed_with_their_lines(tmp_path: Path) -> None:
    files = {"requirements.txt": "# runtime\npandas\nnumpy==1.26.4\nscikit-learn>=1.3\n"}
    finding = only(run_rule("ENG003", tmp_path, files))
    assert finding.message.startswith(
        "`requirements.txt` leaves 2 requirements unpinned (`pandas` on line 2, "
        "`scikit-learn>=1.3` on line 4) and no lock file pins them"
    )
    assert (finding.path, finding.line) == ("requirements.txt", 2)


def test_only_a_few_unpinned_requirements_are_listed(tmp_path: Path) -> None:
    files = {"requirements.txt": "a\nb\nc\nd\ne\n"}
    assert (
        "(`a` on line 1, `b` on line 2, `c` on line 3 and 2 more)"
        in only(run_rule("ENG003", tmp_path, files)).message
    )


@pytest.mark.parametrize(
    "line",
    [
        "numpy==1.*",
        "numpy~=1.26",
        "numpy>=1.26,<2",
        "churnlib @ git+https://github.com/acme/churnlib@main",
        "churnlib @ https://github.com/acme/churnlib/archive/main.zip",
    ],
    ids=["wildcard", "compatible", "range", "vcs-branch", "branch-archive"],
)
def test_ranges_wildcards_and_moving_references_are_unpinned(tmp_path: Path, line: str) -> None:
    finding = only(run_rule("ENG003", tmp_path, {"requirements.txt": line + "\n"}))
    assert f"leaves 1 requirement unpinned (`{line}` on line 1)" in finding.message


def test_an_unpinned_include_is_reported_in_the_included_file(tmp_path: Path) -> None:
    files = {"requirements.txt": "-r requirements/base.txt\n", "requirements/base.txt": "pandas\n"}
    finding = only(run_rule("ENG003", tmp_path, files))
    assert (finding.path, finding.line) == ("requirements/base.txt", 1)


def test_an_include_cycle_ends(tmp_path: Path) -> None:
    files = {"requirements.txt": "-r dev.txt\npandas\n", "dev.txt": "-r requirements.txt\n"}
    assert "`pandas` on line 2" in only(run_rule("ENG003", tmp_path, files)).message


def test_a_pyproject_with_ranges_and_no_lock_fails_at_the_dependency(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": (
            '[project]\nname = "churn"\ndependencies = [\n    "pandas>=2",\n    "mlflow",\n]\n'
        )
    }
    finding = only(run_rule("ENG003", tmp_path, files))
    assert finding.message.startswith(
        "`pyproject.toml` declares its dependencies by name or range (`pandas>=2`) and no lock"
    )
    assert finding.line == 4


def test_a_service_without_a_lock_in_a_monorepo_is_the_only_finding(tmp_path: Path) -> None:
    files = {
        "services/a/pyproject.toml": '[project]\ndependencies = ["pandas"]\n',
        "services/a/uv.lock": "version = 1\n",
        "services/b/pyproject.toml": '[project]\ndependencies = ["pandas"]\n',
    }
    assert only(run_rule("ENG003", tmp_path, files)).path == "services/b/pyproject.toml"


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ({"Pipfile": "[packages]\npandas = '*'\n"}, "`Pipfile` has no `Pipfile.lock` beside it"),
        ({"requirements.in": "pandas\n"}, "`requirements.in` lists the loose inputs of pip-tools"),
        (
            {"environment.yml": "dependencies:\n  - python=3.11\n  - pandas\n"},
            "`environment.yml` names conda packages without exact versions",
        ),
        (
            {"setup.py": "from setuptools import setup\nsetup(install_requires=['pandas'])\n"},
            "`setup.py` declares `install_requires`",
        ),
        (
            {"setup.cfg": "[options]\ninstall_requires =\n    pandas\n"},
            "`setup.cfg` declares `install_requires`",
        ),
    ],
)
def test_other_manifests_without_a_lock_fail(tmp_path: Path, files: Files, says: str) -> None:
    assert says in only(run_rule("ENG003", tmp_path, files)).message


def test_code_without_any_dependency_file_fails(tmp_path: Path) -> None:
    files = {"notebooks/eda.ipynb": "{}", "pyproject.toml": "[tool.ruff]\nline-length = 100\n"}
    finding = only(run_rule("ENG003", tmp_path, files))
    assert finding.message.startswith("no dependency file (`requirements.txt`")


def test_a_repository_without_python_needs_no_lock(tmp_path: Path) -> None:
    assert run_rule("ENG003", tmp_path, {"README.md": "# Docs\n"}) == []


def test_fixtures_and_docs_requirements_are_not_the_project(tmp_path: Path) -> None:
    files = {
        "requirements.lock": "pandas==2.2.2\n",
        "tests/fixtures/legacy/requirements.txt": "pandas\n",
        "docs/requirements.txt": "mkdocs\n",
    }
    assert run_rule("ENG003", tmp_path, files) == []


def test_a_requirements_file_that_is_not_pip_syntax_is_no_crash(tmp_path: Path) -> None:
    files = {"requirements.txt": "this is not { a requirement\n\x00\n-r\n-c ../../etc/passwd\n"}
    result = audit_tree(tmp_path, {"x.py": "x = 1\n", **files}, select=["ENG003"])
    assert [f.rule_id for f in result.findings] == ["ENG003"]  # nothing pins the project


# -- ENG004: pre-commit ----------------------------------------------------------------------

HOOKS = "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n    rev: v0.6.9\n"


@pytest.mark.parametrize("name", [".pre-commit-config.yaml", ".pre-commit-config.yml"])
def test_a_pre_commit_config_with_repos_passes(tmp_path: Path, name: str) -> None:
    assert run_rule("ENG004", tmp_path, {name: HOOKS + "    hooks:\n      - id: ruff\n"}) == []


@pytest.mark.parametrize(
    ("files", "says"),
    [
        ({"README.md": "# x\n"}, "no `.pre-commit-config.yaml` at the repository root"),
        ({"services/api/.pre-commit-config.yaml": HOOKS}, "no `.pre-commit-config.yaml`"),
        ({".pre-commit-config.yaml": "repos: []\n"}, "lists no hook repositories"),
        ({".pre-commit-config.yaml": "- repo: local\n"}, "is not a mapping"),
        ({".pre-commit-config.yaml": ""}, "is empty"),
        ({".pre-commit-config.yaml": "repos: [\n"}, "cannot be read as YAML"),
    ],
    ids=["missing", "in-a-subdirectory", "no-repos", "a-list", "empty", "broken"],
)
def test_a_missing_or_empty_pre_commit_config_warns(
    tmp_path: Path, files: Files, says: str
) -> None:
    finding = only(run_rule("ENG004", tmp_path, files))
    assert says in finding.message
    assert finding.severity is Severity.WARNING


# -- ENG005: .gitignore ----------------------------------------------------------------------

COMPLETE_IGNORE = "__pycache__/\n.env\ndata/\nmlruns/\nwandb/\nmodels/\n"


def test_a_complete_gitignore_passes(tmp_path: Path) -> None:
    files = {".gitignore": COMPLETE_IGNORE, "requirements.txt": "mlflow==2.14.1\nwandb==0.17\n"}
    assert run_rule("ENG005", tmp_path, files) == []


def test_without_a_gitignore_everything_gets_committed(tmp_path: Path) -> None:
    finding = only(run_rule("ENG005", tmp_path, {"README.md": "# x\n"}))
    assert finding.message.startswith("no `.gitignore` at the repository root")


def test_the_gaps_are_listed(tmp_path: Path) -> None:
    files = {".gitignore": "__pycache__/\n*.pkl\n", "requirements.txt": "mlflow==2.14.1\n"}
    finding = only(run_rule("ENG005", tmp_path, files))
    assert finding.message.startswith(
        "`.gitignore` does not keep data exports, `.env` files and MLflow's `mlruns/` out of git "
        "(add `data/` or `*.csv`, `.env`, `mlruns/`)"
    )
    assert finding.path == ".gitignore"


@pytest.mark.parametrize(
    "ignore",
    [
        "*.csv\n*.parquet\n.env*\n*.pkl\n",
        "/data/*\n!/data/.gitkeep\n.env\nmodels/\n",
        "data/raw/\n.env\n**/*.joblib\n",
    ],
)
def test_common_ways_of_ignoring_pass(tmp_path: Path, ignore: str) -> None:
    assert run_rule("ENG005", tmp_path, {".gitignore": ignore}) == []


def test_a_nested_gitignore_counts_for_its_directory(tmp_path: Path) -> None:
    files = {".gitignore": ".env\nmodels/\n", "data/.gitignore": "*\n!.gitignore\n"}
    assert run_rule("ENG005", tmp_path, files) == []


def test_a_re_included_env_file_is_a_gap(tmp_path: Path) -> None:
    files = {".gitignore": ".env*\n!.env\ndata/\nmodels/\n"}
    assert "`.env` files" in only(run_rule("ENG005", tmp_path, files)).message


def test_a_tool_named_in_code_only_is_not_asked_for(tmp_path: Path) -> None:
    files = {".gitignore": ".env\ndata/\nmodels/\n", "src/docs.py": 'TOOLS = ["mlflow"]\n'}
    assert run_rule("ENG005", tmp_path, files) == []


def test_a_store_directory_already_there_must_be_ignored(tmp_path: Path) -> None:
    files = {".gitignore": ".env\ndata/\nmodels/\n", "mlruns/0/meta.yaml": "name: x\n"}
    assert "MLflow's `mlruns/`" in only(run_rule("ENG005", tmp_path, files)).message


def test_experiment_stores_are_asked_for_only_when_their_tool_is_used(tmp_path: Path) -> None:
    files = {".gitignore": ".env\ndata/\nmodels/\n", "requirements.txt": "wandb==0.17.0\n"}
    finding = only(run_rule("ENG005", tmp_path, files))
    assert "W&B's `wandb/`" in finding.message
    assert "mlruns" not in finding.message


# -- ENG006: README --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "readme",
    [
        "# Churn\n\n## Installation\n\n## Usage\n\n## Running the tests\n",
        "# Churn\n\n```bash\npip install -r requirements.lock\n"
        "python -m churn.pipeline\npytest\n```\n",
        "# Churn\n\nRun `make setup`, then `make serve`, and `make test` before pushing.\n",
        "Churn\n=====\n\nGetting started\n---------------\n\nTesting\n-------\n",
        "# Churn\n\n## Quick start\n\n    uv sync\n    uvicorn churn.service.app:app\n    tox\n",
        "# Churn\n\n    make test  # sets up .venv, then runs the tests\n\n## Using it\n",
    ],
    ids=["headings", "commands", "make-targets", "underlined-headings", "uv-uvicorn-tox", "prose"],
)
def test_a_readme_that_says_how_passes(tmp_path: Path, readme: str) -> None:
    assert run_rule("ENG006", tmp_path, {"README.md": readme}) == []


def test_a_readme_in_restructured_text_is_read(tmp_path: Path) -> None:
    readme = "Churn\n=====\n\nInstall\n-------\n\nUsage\n-----\n\nTests\n-----\n"
    assert run_rule("ENG006", tmp_path, {"README.rst": readme}) == []


def test_the_missing_topics_are_named(tmp_path: Path) -> None:
    readme = "# Churn\n\n## Install\n\n    pip install -e .\n"
    finding = only(run_rule("ENG006", tmp_path, {"README.md": readme}))
    assert finding.message.startswith("`README.md` does not say how to run or test the project")
    assert (finding.path, finding.line, finding.severity) == ("README.md", 1, Severity.WARNING)


def test_headings_inside_code_blocks_do_not_count(tmp_path: Path) -> None:
    readme = "# Churn\n\n```python\n# Install the test usage helpers\nx = 1\n```\n"
    assert (
        "install, run or test" in only(run_rule("ENG006", tmp_path, {"README.md": readme})).message
    )


def test_without_a_readme_only_the_author_can_operate_it(tmp_path: Path) -> None:
    finding = only(run_rule("ENG006", tmp_path, {"docs/README.md": "# Install\n"}))
    assert finding.message.startswith("no README at the repository root")
