"""The defaults pilot as it runs for real: sample data in PostgreSQL, the pipeline training from
it and registering in a real `mlflow server`, the service image built by a real Docker engine
from a host-made wheelhouse, and the container serving the registered champion.

Each part is made once per test session and shared read-only; a test that stops or breaks a
container starts its own. The parts come from `scripts/e2e_up.sh` (`make test` runs it as root).
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from prodcheck.commands.new import new_project
from tests.real_parts import http, mlflow_server, required_tool, run, unavailable, wait_for

PACKAGE = "churn_prediction"
MODEL_NAME = "churn-prediction"
BASE_IMAGE = os.environ.get("PRODCHECK_BASE_IMAGE", "local/python:3.11")
# The name containers reach the host by (Docker Desktop's, added to /etc/hosts on Linux).
CONTAINER_HOST = "host.docker.internal"

# What must never reach the image, planted in the project before the build.
PLANTED = {
    ".env": "API_TOKEN=planted-secret-0f3c\n",
    "notebooks/explore.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    "data/customers_export.csv": "customer_id,churned\n1,0\n",
}


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """The Docker engine, through the SDK prodcheck smoke uses."""
    try:
        client = docker.from_env(timeout=300)
        client.ping()
    except docker.errors.DockerException as error:
        unavailable(f"no Docker engine answers ({error})")
    yield client
    client.close()


@pytest.fixture(scope="session")
def base_image(docker_client: docker.DockerClient) -> str:
    """The local Python base image (no registry is reachable, so nothing is pulled)."""
    try:
        docker_client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        unavailable(f"the base image {BASE_IMAGE} is not built")
    return BASE_IMAGE


@pytest.fixture(scope="session")
def pilot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`prodcheck new --defaults`, a git repository with the things a pilot's working tree
    collects (a secret in .env, a notebook, a data export), and its own `make setup`."""
    project = new_project(tmp_path_factory.mktemp("e2e") / "churn-prediction", defaults=True)
    for relative, content in PLANTED.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(content, encoding="utf-8")
    run(["git", "init", "-q"], cwd=project)
    run(["make", "setup"], cwd=project)
    return project


@dataclass(frozen=True)
class Database:
    url: str  # for SQLAlchemy (the pipeline)
    psql_url: str  # for psql


@pytest.fixture(scope="session")
def database(pilot: Path) -> Iterator[Database]:
    """A database of this session's own on the PostgreSQL server, holding the sample data
    written by the project's own loader."""
    psql = required_tool("psql")
    admin = os.environ.get("PRODCHECK_POSTGRES")
    if not admin:
        unavailable("PRODCHECK_POSTGRES (a PostgreSQL URL that may create databases) is unset")
    name = f"pilot_{uuid.uuid4().hex[:8]}"
    run([psql, admin, "-q", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {name}"], cwd=pilot)
    server, _, _ = admin.rpartition("/")
    database = Database(
        url=server.replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}",
        psql_url=f"{server}/{name}",
    )
    try:
        run(
            [pilot / ".venv/bin/python", "-m", f"{PACKAGE}.data.sample"],
            cwd=pilot,
            env={"DATABASE_URL": database.url},
        )
        yield database
    finally:
        subprocess.run(
            [psql, admin, "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
            capture_output=True,
            check=False,
        )


@dataclass(frozen=True)
class Registry:
    port: int
    pipeline_output: str

    @property
    def uri(self) -> str:
        """As the host reaches it."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def container_uri(self) -> str:
        """As a container reaches it (through the host gateway, see `run_pilot`)."""
        return f"http://{CONTAINER_HOST}:{self.port}"


@pytest.fixture(scope="session")
def registry(
    pilot: Path, database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Registry]:
    """A real `mlflow server` (SQLite store, artifacts served through it) holding the model the
    project's pipeline trained from PostgreSQL. It listens on every interface so containers
    reach it through the Docker bridge; the host talks to it on loopback."""
    store = tmp_path_factory.mktemp("mlflow-server")
    program = pilot / ".venv/bin/mlflow"
    with mlflow_server(program, store, host="0.0.0.0", also_named=CONTAINER_HOST) as port:
        output = run(
            [pilot / ".venv/bin/python", "-m", f"{PACKAGE}.pipeline"],
            cwd=pilot,
            env={
                "DATABASE_URL": database.url,
                "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}",
            },
        )
        yield Registry(port=port, pipeline_output=output)


@pytest.fixture(scope="session")
def wheelhouse(pilot: Path) -> Path:
    """Wheels for everything the image installs, downloaded on the host for the image's
    Python (3.11), into the `wheels/` the Dockerfile copies into its builder stage."""
    wheels = pilot / "wheels"
    run(
        [
            pilot / ".venv/bin/python", "-m", "pip", "download", "--quiet",
            "--disable-pip-version-check", "--dest", wheels,
            "--python-version", "3.11", "--only-binary=:all:",
            "-r", pilot / "requirements.lock", "hatchling",
        ],
        cwd=pilot,
    )  # fmt: skip
    return wheels


@pytest.fixture(scope="session")
def pilot_image(
    docker_client: docker.DockerClient, base_image: str, pilot: Path, wheelhouse: Path
) -> Iterator[str]:
    """The project's own Dockerfile, built with the classic builder, offline, by the code
    `prodcheck smoke` builds with (and removed as it removes what it built)."""
    from prodcheck.commands.smoke import build_image, remove_built

    tag = f"prodcheck-e2e/churn-prediction:{uuid.uuid4().hex[:8]}"
    layers: list[str] = []
    build_args = {"BASE_IMAGE": base_image, "PIP_EXTRA_ARGS": "--no-index --find-links /wheels"}
    try:
        built = build_image(docker_client, pilot, tag, build_args=build_args, layers=layers)
        assert built.ok, "docker build failed: " + "\n".join([built.detail, *built.log])
        yield tag
    finally:
        remove_built(docker_client, tag, layers)


@dataclass
class Pilot:
    """A running container of the pilot's image."""

    container: docker.models.containers.Container
    base: str  # the service as the host reaches it, through the published port

    def logs(self) -> str:
        """The container's last log lines and its last health check outputs."""
        self.container.reload()
        checks = self.container.attrs["State"].get("Health", {}).get("Log", [])
        lines = self.container.logs(tail=60).decode(errors="replace")
        return lines + "".join(f"health check: {check['Output']}" for check in checks[-2:])

    def running(self) -> bool:
        self.container.reload()
        return self.container.status not in ("exited", "dead")

    def health(self) -> str:
        self.container.reload()
        return str(self.container.attrs["State"].get("Health", {}).get("Status", "none"))


def run_pilot(
    docker_client: docker.DockerClient, image: str, registry: Registry, **environment: str
) -> Pilot:
    """Start the image serving the registered champion, and wait until Docker's HEALTHCHECK
    says healthy (the image's own check, on /readyz)."""
    container = docker_client.containers.run(
        image,
        detach=True,
        environment={"MLFLOW_TRACKING_URI": registry.container_uri, **environment},
        extra_hosts={CONTAINER_HOST: "host-gateway"},
        ports={"8000/tcp": ("127.0.0.1", None)},
    )
    container.reload()
    host_port = container.attrs["NetworkSettings"]["Ports"]["8000/tcp"][0]["HostPort"]
    pilot = Pilot(container=container, base=f"http://127.0.0.1:{host_port}")

    try:
        wait_for(
            lambda: pilot.health() == "healthy",
            "the container turning healthy",
            timeout=120,
            alive=pilot.running,
            context=pilot.logs,
        )
    except BaseException:
        container.remove(force=True)
        raise
    return pilot


@pytest.fixture(scope="session")
def served(
    docker_client: docker.DockerClient, pilot_image: str, registry: Registry
) -> Iterator[Pilot]:
    """The pilot's container, healthy, shared by the tests that only send it requests."""
    pilot = run_pilot(docker_client, pilot_image, registry)
    try:
        yield pilot
    finally:
        pilot.container.remove(force=True)


def prediction_count(base: str) -> float:
    """The service's own count of predictions, from its /metrics."""
    status, body = http(f"{base}/metrics")
    assert status == 200, body
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in body.decode().splitlines()
        if line.startswith("model_predictions_total{")
    )
