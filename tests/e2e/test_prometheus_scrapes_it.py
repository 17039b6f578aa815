"""A real Prometheus, run with the pilot's own monitoring/prometheus.yml and alerts.yml, scrapes
the running container: the target is up, the counts are the service's, the rules evaluate."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from tests.e2e.conftest import Pilot, prediction_count
from tests.real_parts import free_port, http, required_tool, serving, wait_for

pytestmark = pytest.mark.slow

# Scrape and evaluate every second instead of every 15 s, so the test waits seconds, not minutes.
INTERVAL = "1s"


@pytest.fixture(scope="module")
def prometheus(
    pilot: Path, served: Pilot, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Prometheus with the generated configuration; only the service's address is rewritten
    (compose's `service:8000` is the container's published port here) and the intervals."""
    program = required_tool("prometheus")
    work = tmp_path_factory.mktemp("prometheus")
    shutil.copytree(pilot / "monitoring", work / "monitoring")
    config_file = work / "monitoring/prometheus.yml"
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    config["global"].update(scrape_interval=INTERVAL, evaluation_interval=INTERVAL)
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "model-service"]
    job["static_configs"] = [{"targets": [served.base.removeprefix("http://")]}]
    config_file.write_text(yaml.safe_dump(config), encoding="utf-8")

    port = free_port()
    command: list[str | Path] = [
        program, f"--config.file={config_file}", f"--storage.tsdb.path={work / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]  # fmt: skip
    with serving(command, work / "prometheus.log", f"http://127.0.0.1:{port}/-/ready"):
        yield f"http://127.0.0.1:{port}"


def api(prometheus: str, endpoint: str) -> Any:
    status, body = http(f"{prometheus}/api/v1/{endpoint}")
    assert status == 200, body
    return json.loads(body)["data"]


def query(prometheus: str, expression: str) -> float | None:
    """The value of an instant query with one result, or None while there is none."""
    result = api(prometheus, f"query?query={quote(expression)}")["result"]
    return float(result[0]["value"][1]) if result else None


def test_the_service_is_an_up_target_of_the_model_service_job(prometheus: str) -> None:
    def service_up() -> bool:
        targets = api(prometheus, "targets")["activeTargets"]
        return any(t["labels"]["job"] == "model-service" and t["health"] == "up" for t in targets)

    wait_for(service_up, "the model-service target up", timeout=30)


def test_prometheus_counts_the_predictions_sent(
    prometheus: str, pilot: Path, served: Pilot
) -> None:
    sample = (pilot / "tests/sample_request.json").read_bytes()
    before = prediction_count(served.base)
    for _ in range(7):
        assert http(f"{served.base}/v1/predict", sample)[0] == 200
    expected = before + 7

    wait_for(
        lambda: query(prometheus, 'sum(model_predictions_total{job="model-service"})') == expected,
        f"Prometheus seeing {expected:g} predictions",
        timeout=30,
        context=lambda: f"it sees {query(prometheus, 'sum(model_predictions_total)')}",
    )


def test_every_alert_and_recording_rule_loads_and_evaluates(prometheus: str, pilot: Path) -> None:
    declared = yaml.safe_load((pilot / "monitoring/alerts.yml").read_text(encoding="utf-8"))
    names = {
        rule.get("alert") or rule["record"]
        for group in declared["groups"]
        for rule in group["rules"]
    }

    def rules() -> dict[str, str]:
        groups = api(prometheus, "rules")["groups"]
        return {rule["name"]: rule["health"] for group in groups for rule in group["rules"]}

    wait_for(
        lambda: set(rules()) == names and set(rules().values()) == {"ok"},
        "every rule evaluated without error",
        timeout=30,
        context=lambda: str({n: h for n, h in rules().items() if h != "ok"}),
    )
