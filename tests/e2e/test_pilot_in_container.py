"""The defaults pilot, trained from PostgreSQL into a real MLflow server, built into an image by
a real Docker engine and run as a container: what the README and service.md promise holds."""

from __future__ import annotations

import json
import re
from pathlib import Path

import docker
import pytest

from tests.e2e.conftest import MODEL_NAME, PLANTED, Database, Pilot, Registry, prediction_count
from tests.real_parts import http, required_tool, run

pytestmark = pytest.mark.slow


def test_the_pipeline_trains_on_every_row_in_postgresql(
    database: Database, registry: Registry, pilot: Path
) -> None:
    psql = required_tool("psql")
    count = run([psql, database.psql_url, "-tAc", "SELECT count(*) FROM training_examples"], pilot)
    trained = re.search(r"on ([\d,]+) rows; judged on ([\d,]+) held-out", registry.pipeline_output)

    assert trained is not None, registry.pipeline_output
    train, test = (int(number.replace(",", "")) for number in trained.groups())
    assert train + test == int(count) > 0


def test_the_mlflow_server_holds_the_champion(registry: Registry) -> None:
    status, body = http(
        f"{registry.uri}/api/2.0/mlflow/registered-models/alias?name={MODEL_NAME}&alias=champion"
    )

    assert status == 200, body
    assert json.loads(body)["model_version"]["version"] == "1"


def test_the_image_runs_as_a_non_root_user(
    docker_client: docker.DockerClient, pilot_image: str, served: Pilot
) -> None:
    configured = docker_client.images.get(pilot_image).attrs["Config"]["User"]
    exit_code, uid = served.container.exec_run(["id", "-u"])

    assert configured == "10001:10001"
    assert (exit_code, uid.decode().strip()) == (0, "10001")


def test_the_image_holds_no_history_notebook_data_or_secret(served: Pilot) -> None:
    names = [f"-name {Path(path).name}" for path in PLANTED] + ["-name .git", "-name *.ipynb"]
    find = "find / -xdev ( " + " -o ".join(names) + " ) -print"
    # As root, so that no directory is hidden from the search.
    exit_code, found = served.container.exec_run(find.split(), user="root")
    grep = ["grep", "-rl", "planted-secret", "/opt", "/home", "/etc", "/tmp"]
    _, secret = served.container.exec_run(grep, user="root")

    assert exit_code == 0, found
    assert found.decode().split() == []
    assert secret.decode().split() == []


def test_docker_reports_it_healthy_once_the_model_is_loaded(served: Pilot) -> None:
    assert served.health() == "healthy"
    assert http(f"{served.base}/readyz")[0] == 200
    assert http(f"{served.base}/healthz")[0] == 200


def test_a_valid_prediction_names_the_champion_version(pilot: Path, served: Pilot) -> None:
    body = (pilot / "tests/sample_request.json").read_bytes()

    status, answer = http(f"{served.base}/v1/predict", body)

    assert status == 200, answer
    assert json.loads(answer)["model_version"] == "1"
    assert json.loads(answer)["prediction"] in (0, 1)


def test_a_batch_is_answered_row_by_row(pilot: Path, served: Pilot) -> None:
    row = json.loads((pilot / "tests/sample_request.json").read_bytes())
    body = json.dumps({"instances": [row, row, row]}).encode()

    status, answer = http(f"{served.base}/v1/predict", body)

    assert status == 200, answer
    assert len(json.loads(answer)["predictions"]) == 3


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b"{not json", "application/json", 400, "MALFORMED_REQUEST"),
        (b"a=1", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
        (b'{"tenure_months": "many"}', "application/json", 422, "INVALID_INPUT"),
    ],
)
def test_a_bad_request_is_refused_with_the_error_body(
    served: Pilot, body: bytes, content_type: str, status: int, code: str
) -> None:
    answered, answer = http(f"{served.base}/v1/predict", body, {"Content-Type": content_type})

    assert answered == status
    assert json.loads(answer)["error_code"] == code


def test_metrics_carry_the_model_version_and_count_predictions(pilot: Path, served: Pilot) -> None:
    before = prediction_count(served.base)
    http(f"{served.base}/v1/predict", (pilot / "tests/sample_request.json").read_bytes())
    _, metrics = http(f"{served.base}/metrics")

    assert prediction_count(served.base) == before + 1
    assert re.search(r'^model_info\{[^}]*model_version="1"[^}]*\} 1\.0$', metrics.decode(), re.M)
