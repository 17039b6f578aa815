"""The generated alert rules are valid Prometheus rules and pass their own promtool unit tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.real_parts import required_tool
from tests.template.conftest import Render

ALERTS = {
    "ServiceDown",
    "ModelNotReady",
    "ErrorBudgetBurnFast",
    "ErrorBudgetBurnSlow",
    "ErrorBudgetBurnTicket",
    "LatencySLO",
    "PredictionsStalled",
    "PredictionDrift",
    "ModelVersionSkew",
}


def test_every_alert_of_the_service_contract_is_defined(render: Render) -> None:
    rules = yaml.safe_load((render() / "monitoring/alerts.yml").read_text(encoding="utf-8"))
    defined = {rule.get("alert") for group in rules["groups"] for rule in group["rules"]}

    assert defined >= ALERTS


def unit_test_files(monitoring: Path) -> list[Path]:
    return sorted(monitoring.glob("alerts*.test.yml"))


def test_every_alert_has_a_firing_and_a_silent_unit_test(render: Render) -> None:
    cases = [
        case
        for path in unit_test_files(render() / "monitoring")
        for test in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
    ]
    fired = {case["alertname"] for case in cases if case.get("exp_alerts")}
    silent = {case["alertname"] for case in cases if not case.get("exp_alerts")}

    assert fired >= ALERTS
    assert silent >= ALERTS


def test_promtool_accepts_the_config_and_the_rules(render: Render) -> None:
    promtool = required_tool("promtool")
    monitoring = render() / "monitoring"
    for command in (["check", "rules", "alerts.yml"], ["check", "config", "prometheus.yml"]):
        done = subprocess.run(
            [promtool, *command], cwd=monitoring, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_promtool_unit_tests_of_the_alerts_pass(render: Render) -> None:
    promtool = required_tool("promtool")
    monitoring = render() / "monitoring"
    done = subprocess.run(
        [promtool, "test", "rules", *(p.name for p in unit_test_files(monitoring))],
        cwd=monitoring,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
