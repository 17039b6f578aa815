"""`docker stop` during a burst of requests: the container drains as the Dockerfile and
docs/runbook.md say. Readiness turns 503 at once, every request keeps being answered while
load balancers take the replica out, and then the server stops cleanly: exit code 0."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import docker
import pytest

from tests.e2e.conftest import Registry, run_pilot
from tests.real_parts import http, wait_for

pytestmark = pytest.mark.slow

CLIENTS = 6
# How long the burst goes on once readiness says 503; the service drains for 5 s by default.
KEEP_SENDING_S = 2.0


def test_docker_stop_answers_every_request_of_a_burst_and_exits_0(
    docker_client: docker.DockerClient, pilot_image: str, registry: Registry, pilot: Path
) -> None:
    served = run_pilot(docker_client, pilot_image, registry)
    # The container's own address: Docker's port proxy would accept connections for a
    # container that no longer listens, and blur what the service itself did.
    address = served.container.attrs["NetworkSettings"]["IPAddress"]
    base = f"http://{address}:8000"
    sample = (pilot / "tests/sample_request.json").read_bytes()
    answers: list[int | str] = []
    sending = threading.Event()
    sending.set()

    def client() -> None:
        while sending.is_set():
            try:
                answers.append(http(f"{base}/v1/predict", sample, timeout=30)[0])
            except OSError as error:
                answers.append(f"{type(error).__name__}: {error}")

    clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
    stopper = threading.Thread(target=served.container.stop, kwargs={"timeout": 30})
    try:
        for thread in clients:
            thread.start()
        time.sleep(1)
        stopper.start()
        stopped_at = time.monotonic()
        wait_for(lambda: http(f"{base}/readyz")[0] == 503, "readiness saying 503", timeout=10)
        time.sleep(KEEP_SENDING_S)
        sending.clear()
        for thread in clients:
            thread.join(timeout=60)
        stopper.join(timeout=60)
        served.container.reload()
        state = served.container.attrs["State"]
        took = time.monotonic() - stopped_at

        assert [answer for answer in answers if answer != 200] == []
        assert len(answers) > CLIENTS * 10
        assert (state["Status"], state["ExitCode"], state["OOMKilled"]) == ("exited", 0, False), (
            served.logs()
        )
        assert took < 30, "it was killed at the end of the grace period, not stopped"
    finally:
        sending.clear()
        served.container.remove(force=True)
