"""The defaults project, generated from an installed wheel, does what its README promises.

Slow on purpose and real end to end: prodcheck is built as a wheel and installed in a fresh
virtual environment (no source checkout behind it), `prodcheck new --defaults` generates the
project, and the project's own Makefile installs it from its lock, runs its tests, builds the
sample database, trains and registers a model in MLflow, and serves it with uvicorn.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from prodcheck.commands.new import CHECKOUT
from tests.real_parts import free_port, http, run, serving

pytestmark = pytest.mark.slow

PACKAGE = "churn_prediction"


@pytest.fixture(scope="module")
def prodcheck_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """prodcheck installed from its wheel in a virtual environment of its own."""
    work = tmp_path_factory.mktemp("prodcheck-wheel")
    run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", work], cwd=CHECKOUT)
    (wheel,) = work.glob("prodcheck-*.whl")
    run([sys.executable, "-m", "venv", work / "venv"], cwd=work)
    pip = [work / "venv/bin/python", "-m", "pip", "install", "-q"]
    run([*pip, wheel, "-c", CHECKOUT / "requirements/dev.lock"], cwd=work)
    return work / "venv/bin"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, prodcheck_bin: Path) -> Path:
    """`prodcheck new --defaults`, then the project's own `make setup`."""
    dest = tmp_path_factory.mktemp("generated") / "churn-prediction"
    run([prodcheck_bin / "prodcheck", "new", dest, "--defaults"], cwd=dest.parent)
    run(["make", "setup"], cwd=dest)
    return dest


@pytest.fixture(scope="module")
def trained(project: Path) -> str:
    """The sample database and a pipeline run on it; the pipeline's output."""
    run(["make", "data"], cwd=project)
    return run(["make", "pipeline"], cwd=project)


@pytest.fixture(scope="module")
def service(project: Path, trained: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The trained model served by uvicorn on a loopback port, as `make serve` does."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command: list[str | Path] = [
        project / ".venv/bin/uvicorn",
        f"{PACKAGE}.service.app:app",
        "--port",
        str(port),
    ]
    log = tmp_path_factory.mktemp("uvicorn") / "uvicorn.log"
    with serving(command, log, f"{base}/readyz", cwd=project):
        yield base


def test_the_project_was_generated_from_the_installed_wheel(project: Path) -> None:
    answers = (project / ".copier-answers.yml").read_text(encoding="utf-8")

    assert "_src_path:" in answers
    assert str(CHECKOUT) not in answers


def test_its_own_test_suite_passes(project: Path) -> None:
    output = run(["make", "test"], cwd=project)

    assert " passed" in output


def test_the_pipeline_registers_a_champion(project: Path, trained: str) -> None:
    check = (
        "import mlflow; c = mlflow.MlflowClient(); "
        "v = c.get_model_version_by_alias('churn-prediction', 'champion'); print(v.version)"
    )
    version = run([project / ".venv/bin/python", "-c", check], cwd=project).strip().splitlines()

    assert "champion" in trained
    assert version[-1] == "1"


def test_the_service_answers_a_valid_prediction(project: Path, service: str) -> None:
    body = (project / "tests/sample_request.json").read_bytes()
    status, answer = http(f"{service}/v1/predict", body)

    assert status == 200, answer
    assert json.loads(answer)["model_version"] == "1"
    assert json.loads(answer)["prediction"] in (0, 1)


def test_the_service_refuses_a_bad_request_clearly(service: str) -> None:
    status, answer = http(f"{service}/v1/predict", b'{"tenure_months": "many"}')

    assert status == 422
    assert set(json.loads(answer)) >= {"error", "error_code", "message", "request_id"}


def test_metrics_count_the_predictions(project: Path, service: str) -> None:
    http(f"{service}/v1/predict", (project / "tests/sample_request.json").read_bytes())
    status, metrics = http(f"{service}/metrics")

    lines = metrics.decode().splitlines()
    info = [line for line in lines if line.startswith("model_info{")]
    predictions = [line for line in lines if line.startswith("model_predictions_total{")]

    assert status == 200
    assert len(info) == 1 and 'model_version="1"' in info[0] and info[0].endswith(" 1.0")
    assert sum(float(line.rsplit(" ", 1)[1]) for line in predictions) >= 1


def test_the_gate_decides_go_on_the_pipeline_s_metrics(
    project: Path, prodcheck_bin: Path, trained: str
) -> None:
    output = run([prodcheck_bin / "prodcheck", "gate", project], cwd=project)

    assert "GO" in output
    assert "roc_auc" in output and "retained_revenue_eur" in output


def test_the_audit_says_stage_2(project: Path, prodcheck_bin: Path, trained: str) -> None:
    output = run([prodcheck_bin / "prodcheck", "audit", project, "--stage", "2"], cwd=project)

    assert "production foundation" in output
