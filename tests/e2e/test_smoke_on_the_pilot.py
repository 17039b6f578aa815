"""`prodcheck smoke` on the generated pilot: it builds the project's image, runs it against the
registry, and every probe passes. (Its failures are specified in tests/test_smoke.py.)"""

from __future__ import annotations

from pathlib import Path

import docker
import pytest
from typer.testing import CliRunner

from prodcheck.cli import app
from tests.e2e.conftest import Registry

pytestmark = pytest.mark.slow


def test_smoke_passes_on_the_generated_pilot_and_leaves_nothing_behind(
    docker_client: docker.DockerClient,
    base_image: str,
    pilot: Path,
    pilot_image: str,  # built first: smoke's own build then comes from the layer cache
    registry: Registry,
) -> None:
    containers_before = {c.id for c in docker_client.containers.list(all=True)}
    images_before = {i.id for i in docker_client.images.list(all=True)}

    result = CliRunner().invoke(
        app,
        [
            "smoke", str(pilot),
            "--build-arg", f"BASE_IMAGE={base_image}",
            "--build-arg", "PIP_EXTRA_ARGS=--no-index --find-links /wheels",
            "--env", f"MLFLOW_TRACKING_URI={registry.container_uri}",
        ],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    for step in (
        "build",
        "healthy",
        "GET /healthz",
        "GET /readyz",
        "POST /v1/predict",
        "GET /metrics",
    ):
        assert f"✓ {step}" in result.output
    assert {c.id for c in docker_client.containers.list(all=True)} == containers_before
    assert {i.id for i in docker_client.images.list(all=True)} == images_before
