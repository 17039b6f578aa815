"""`prodcheck smoke` against a real Docker engine: build, run, health, probes, and cleanup.

The repositories are tiny: an image `FROM local/python:3.11` (nothing is ever pulled) serving a
stdlib `http.server` app with the routes of the generated service. Its `/readyz` answers 200
only once `MODEL_URI` is set and a second has passed, as a service loading its model would.
"""

from __future__ import annotations

import contextlib
import gc
import json
import re
import secrets
from pathlib import Path
from typing import Any

import docker
import pytest
from typer.testing import CliRunner

from prodcheck.cli import app
from prodcheck.commands.smoke import LABEL
from tests.e2e.conftest import BASE_IMAGE
from tests.helpers import build_tree

LEGACY_PILOT = Path(__file__).resolve().parents[2] / "examples" / "legacy-pilot"
MODEL = ("--env", "MODEL_URI=models:/churn@champion")

runner = CliRunner()

APP = """
    import json, os, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    STARTED = time.monotonic()


    class Service(BaseHTTPRequestHandler):
        def do_GET(self):
            ready = os.environ.get("MODEL_URI") and time.monotonic() - STARTED > 1
            status, body = {
                "/healthz": (200, b"alive"),
                "/readyz": (200, b"ready") if ready else (503, b"no model loaded"),
                "/metrics": (200, b"model_predictions_total 0\\n"),
            }.get(self.path, (404, b"not found"))
            self.answer(status, body)

        def do_POST(self):
            row = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            ok = self.path == "/v1/predict" and set(row) == {"tenure_months"}
            self.answer(200 if ok else 422, json.dumps({"predictions": [0.5]}).encode())

        def answer(self, status, body):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


    print("serving on 8000", flush=True)
    ThreadingHTTPServer(("0.0.0.0", 8000), Service).serve_forever()
    """

HEALTHCHECK = (
    "HEALTHCHECK --interval=1s --timeout=2s --retries=3 CMD "
    '["python3", "-c", "import urllib.request; '
    "urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=1)\"]"
)
SERVE = 'CMD ["python3", "-u", "/app.py"]'

# Two stages, as the template's: the builder stage's image is left dangling by the build.
WITH_HEALTHCHECK = f"""
    FROM {BASE_IMAGE} AS builder
    RUN echo "built by the builder stage" > /built.txt
    FROM {BASE_IMAGE}
    COPY --from=builder /built.txt /built.txt
    COPY app.py /app.py
    {HEALTHCHECK}
    {SERVE}
    """
WITHOUT_HEALTHCHECK = f"""
    FROM {BASE_IMAGE}
    COPY app.py /app.py
    {SERVE}
    """
SAMPLE = {"tests/sample_request.json": '{"tenure_months": 3}\n'}


@pytest.fixture
def engine(docker_client: docker.DockerClient, base_image: str) -> docker.DockerClient:
    """The Docker engine, with the base image every test repository here builds FROM."""
    return docker_client


def repo(root: Path, dockerfile: str, extra: dict[str, str] | None = None) -> Path:
    return build_tree(root, {"Dockerfile": dockerfile, "app.py": APP, **(extra or {})})


def smoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["smoke", *(str(a) for a in args)])
    return result.exit_code, result.stdout, result.stderr


def dangling(client: docker.DockerClient) -> set[str]:
    return {image.id for image in client.images.list(filters={"dangling": True})}


def assert_removed(client: docker.DockerClient, out: str) -> None:
    """The container and the image the run names in its output no longer exist."""
    tag = re.search(r"-> (prodcheck-smoke-\S+)", out)
    container = re.search(r"container ([0-9a-f]{12})", out)
    assert tag and container, out
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(tag.group(1))
    assert client.containers.list(all=True, filters={"id": container.group(1)}) == []
    assert client.containers.list(all=True, filters={"label": f"{LABEL}={tag.group(1)}"}) == []


# -- what a user sees when it works ----------------------------------------------------------


def test_healthy_repository_passes_and_leaves_nothing_behind(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    before = dangling(engine)
    code, out, _ = smoke(repo(tmp_path, WITH_HEALTHCHECK, SAMPLE), *MODEL)
    assert code == 0, out
    lines = out.splitlines()
    steps = [line.split("  ")[0] for line in lines[:-1]]
    assert steps == [
        "✓ build",
        "✓ start",
        "✓ healthy",
        "✓ GET /healthz",
        "✓ GET /readyz",
        "✓ POST /v1/predict",
        "✓ GET /metrics",
        "✓ remove container",
        "✓ remove image",
    ]
    assert re.search(r"^✓ GET /healthz  \d+ ms  200$", out, re.MULTILINE), out
    assert lines[-1].startswith("prodcheck smoke: passed")
    assert_removed(engine, out)
    # The builder stage's image is pruned too (a concurrent build elsewhere could add one).
    assert dangling(engine) <= before


@pytest.mark.parametrize(
    ("dockerfile", "judge"),
    [(WITH_HEALTHCHECK, "Docker HEALTHCHECK"), (WITHOUT_HEALTHCHECK, "GET /readyz 200")],
    ids=["healthcheck", "no-healthcheck"],
)
def test_healthy_is_docker_s_verdict_or_else_readyz_answering_200(
    engine: docker.DockerClient, tmp_path: Path, dockerfile: str, judge: str
) -> None:
    code, out, _ = smoke(repo(tmp_path, dockerfile), *MODEL)
    assert code == 0, out
    assert re.search(rf"^✓ healthy  .*{judge}$", out, re.MULTILINE), out


def test_without_a_sample_request_there_is_no_prediction_step(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    code, out, _ = smoke(repo(tmp_path, WITHOUT_HEALTHCHECK), *MODEL)
    assert code == 0, out
    assert "/v1/predict" not in out


def test_build_args_reach_the_build(engine: docker.DockerClient, tmp_path: Path) -> None:
    dockerfile = WITHOUT_HEALTHCHECK.replace(
        "COPY app.py", 'ARG MODEL_FLAVOUR\n    RUN test "$MODEL_FLAVOUR" = sklearn\n    COPY app.py'
    )
    code, out, _ = smoke(repo(tmp_path, dockerfile), "--build-arg", "MODEL_FLAVOUR=sklearn", *MODEL)
    assert code == 0, out


def test_given_image_is_tested_without_a_build_and_kept(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    tag = f"prodcheck-test-given-{secrets.token_hex(4)}:1"
    source = repo(tmp_path / "src", WITHOUT_HEALTHCHECK)
    engine.images.build(path=str(source), tag=tag, rm=True, forcerm=True)
    try:
        code, out, _ = smoke(tmp_path / "src", "--image", tag, *MODEL)
        assert code == 0, out
        assert "build" not in out
        assert "remove image" not in out
        assert engine.images.get(tag).tags == [tag]
    finally:
        with contextlib.suppress(docker.errors.ImageNotFound):
            engine.images.remove(tag)


def test_json_report_lists_every_step(engine: docker.DockerClient, tmp_path: Path) -> None:
    code, out, _ = smoke(repo(tmp_path, WITHOUT_HEALTHCHECK, SAMPLE), *MODEL, "--format", "json")
    assert code == 0, out
    report: dict[str, Any] = json.loads(out)
    assert (report["schema_version"], report["ok"], report["built"]) == (1, True, True)
    names = [step["name"] for step in report["steps"]]
    assert names[4:7] == ["GET /readyz", "POST /v1/predict", "GET /metrics"]


# -- what a user sees when it does not -------------------------------------------------------


def test_build_failure_shows_the_end_of_the_build_log(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    before = dangling(engine)
    dockerfile = f"FROM {BASE_IMAGE}\nRUN echo compiling the model server\nRUN false\n"
    code, out, _ = smoke(repo(tmp_path, dockerfile))
    assert code == 1, out
    assert "✗ build" in out
    assert "compiling the model server" in out
    assert "returned a non-zero code: 1" in out
    assert not re.search(r"^. start", out, re.MULTILINE)  # nothing runs after a failed build
    assert out.splitlines()[-1] == "prodcheck smoke: FAILED (build)"
    assert dangling(engine) <= before  # the failed build's layers are pruned


def test_container_that_exits_shows_its_exit_code_and_log(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    dockerfile = (
        f"FROM {BASE_IMAGE}\n"
        'CMD ["python3", "-c", "import sys; print(\'cannot load the model\'); sys.exit(3)"]\n'
    )
    code, out, _ = smoke(repo(tmp_path, dockerfile))
    assert code == 1, out
    assert "✗ healthy" in out
    assert "the container exited with exit code 3" in out
    assert "cannot load the model" in out
    assert_removed(engine, out)


def test_failing_healthcheck_shows_the_health_log(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    code, out, _ = smoke(repo(tmp_path, WITH_HEALTHCHECK), "--timeout", "30")  # no MODEL_URI
    assert code == 1, out
    assert "✗ healthy" in out
    assert "Docker reports the container unhealthy" in out
    assert "last health check: exit code 1" in out
    assert "HTTP Error 503" in out  # the health check's own output
    assert "serving on 8000" in out  # and the container's log
    assert "GET /healthz" not in out
    assert_removed(engine, out)


def test_service_never_ready_fails_at_the_timeout(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    code, out, _ = smoke(repo(tmp_path, WITHOUT_HEALTHCHECK), "--timeout", "2")
    assert code == 1, out
    assert "not healthy after 2 s" in out
    assert "last: GET /readyz: 503 no model loaded" in out
    assert_removed(engine, out)


def test_failing_probe_is_reported_and_the_others_still_run(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    bad_sample = {"tests/sample_request.json": '{"plan": "basic"}\n'}
    code, out, _ = smoke(repo(tmp_path, WITHOUT_HEALTHCHECK, bad_sample), *MODEL)
    assert code == 1, out
    assert re.search(r"^✗ POST /v1/predict  \d+ ms  422 ", out, re.MULTILINE), out
    assert "✓ GET /metrics" in out
    assert out.splitlines()[-1] == "prodcheck smoke: FAILED (POST /v1/predict)"


# -- input the user must fix, and repositories with nothing to run ---------------------------


def test_repository_without_dockerfile_fails_clearly() -> None:
    code, out, _ = smoke(LEGACY_PILOT)
    assert code == 1
    assert "✗ build" in out
    assert "no `Dockerfile` or `Containerfile`" in out
    assert "CONT001" in out


@pytest.mark.parametrize("option", ["--build-arg", "--env"])
def test_option_that_is_not_key_value_is_a_usage_error(tmp_path: Path, option: str) -> None:
    code, out, err = smoke(tmp_path, option, "MODEL_URI")
    assert code == 2
    assert out == ""
    assert err == f"prodcheck: error: {option} takes KEY=VALUE, got 'MODEL_URI'\n"


# docker-py leaves the socket of a failed connection for the garbage collector to close.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_no_docker_daemon_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/docker.sock")
    code, _, err = smoke(repo(tmp_path, WITHOUT_HEALTHCHECK))
    gc.collect()  # here, where the warning about that socket is ignored
    assert code == 2
    assert err == (
        f"prodcheck: error: no Docker daemon answers at unix://{tmp_path}/docker.sock "
        "(No such file or directory); start it, or set DOCKER_HOST\n"
    )


def test_image_that_is_not_local_is_a_usage_error_and_never_pulled(
    engine: docker.DockerClient, tmp_path: Path
) -> None:
    code, _, err = smoke(tmp_path, "--image", "prodcheck-test-absent:404")
    assert code == 2
    assert "no image 'prodcheck-test-absent:404' on this Docker daemon" in err
