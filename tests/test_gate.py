"""`prodcheck gate`: the day-90 decision, its arithmetic, its reports and its record."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from prodcheck.business import Economics
from prodcheck.cli import app
from tests import real_parts
from tests.helpers import build_tree, run_rule
from tests.real_parts import http, unavailable
from tests.test_production_foundation import FOUNDATION

CASE = "docs/business-case.md"
METRICS = "reports/metrics.json"
GO, STOP, USAGE, NOT_READY = 0, 1, 2, 3

REVENUE: dict[str, Any] = {
    "name": "retained_revenue_eur",
    "kind": "business",
    "target": 350000,
    "direction": "higher",
}
RECALL: dict[str, Any] = {
    "name": "recall_at_top_decile",
    "kind": "model",
    "target": 0.6,
    "direction": "higher",
}
LATENCY: dict[str, Any] = {
    "name": "p95_latency_ms",
    "kind": "model",
    "target": 200,
    "direction": "lower",
}
ON_TARGET = {"retained_revenue_eur": 360_000, "recall_at_top_decile": 0.65}


def case(
    annual_value: Any = 420_000,
    annual_cost: Any = None,
    *,
    horizon: int = 3,
    metrics: list[dict[str, Any]] | None = None,
    currency: str = "EUR",
) -> str:
    """A business case; YAML flow style is JSON, so values are written with json.dumps."""
    cost = (
        {"run": 36_000, "maintenance": 60_000, "team": 90_000}
        if annual_cost is None
        else annual_cost
    )
    return (
        "---\n"
        "problem: Customers cancel without warning; retention calls reach them too late.\n"
        f"annual_value: {json.dumps(annual_value)}\n"
        f"annual_cost: {json.dumps(cost)}\n"
        f"currency: {currency}\n"
        f"horizon_years: {horizon}\n"
        "decision_date: 2027-03-01\n"
        "success_metrics:\n"
        + "".join(f"  - {json.dumps(m)}\n" for m in (metrics or [REVENUE, RECALL]))
        + "---\n# Business case\n"
    )


def measured(**values: float) -> str:
    """A metrics file as the pipeline writes it (schema 1)."""
    metrics = {
        name: {
            "value": value,
            "kind": "business" if name == REVENUE["name"] else "model",
            "source": "estimate" if name == REVENUE["name"] else "holdout",
        }
        for name, value in values.items()
    }
    return json.dumps(
        {
            "schema_version": 1,
            "measured_at": "2026-11-27T09:00:00Z",
            "model": {"name": "churn", "version": "3", "run_id": "8f2c", "alias": "champion"},
            "metrics": metrics,
        }
    )


def foundation(
    root: Path, business_case: str | None = None, metrics: Mapping[str, float] | None = None
) -> Path:
    """A repository at stage 2 (the production foundation) with the pipeline's metrics."""
    files = {**FOUNDATION, CASE: business_case or case()}
    if metrics:
        files[METRICS] = measured(**metrics)
    return build_tree(root, files)


def gate(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["gate", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def gate_json(*args: str | Path) -> tuple[int, dict[str, Any]]:
    code, out, err = gate(*args, "--format", "json")
    assert code != USAGE, err
    return code, json.loads(out)


# -- the decision ----------------------------------------------------------------------------


def test_a_profitable_case_whose_metrics_meet_their_targets_at_stage_2_is_go(
    tmp_path: Path,
) -> None:
    code, out, _ = gate(foundation(tmp_path, metrics=ON_TARGET))
    assert code == GO
    assert out.startswith("prodcheck gate: GO\n")
    assert "360,000 vs target >= 350,000, met (an offline estimate by the pipeline" in out


def test_the_seeds_example_is_stop_at_an_roi_of_minus_90_percent(tmp_path: Path) -> None:
    """50,000 a year of value against 500,000 of upkeep: no measurement could rescue it."""
    root = build_tree(tmp_path, {CASE: case(50_000, 500_000), METRICS: measured(**ON_TARGET)})
    code, out, _ = gate(root)
    assert code == STOP
    assert "ROI (50,000 - 500,000) / 500,000 = -90% a year is below the minimum of 0%" in out


def test_stop_on_roi_wins_over_missing_metrics_and_a_low_stage(tmp_path: Path) -> None:
    code, data = gate_json(build_tree(tmp_path, {CASE: case(50_000, 500_000)}))
    assert (code, data["decision"]) == (STOP, "stop")
    assert data["stage"]["reached"] == 0


def test_a_model_metric_met_but_the_business_metric_missed_is_stop_naming_it(
    tmp_path: Path,
) -> None:
    root = foundation(tmp_path, metrics={REVENUE["name"]: 120_000, RECALL["name"]: 0.9})
    code, out, _ = gate(root)
    assert code == STOP
    assert "the business metric `retained_revenue_eur` missed its target" in out
    assert "missed its target: `recall_at_top_decile`" not in out
    assert "`recall_at_top_decile` (model, higher is better): 0.9 vs target >= 0.6, met" in out


@pytest.mark.parametrize(
    ("latency", "decision"),
    [(150, GO), (200, GO), (250, STOP)],
    ids=["under-the-target", "at-the-target", "over-the-target"],
)
def test_a_metric_where_lower_is_better_is_met_at_or_under_its_target(
    tmp_path: Path, latency: float, decision: int
) -> None:
    root = foundation(
        tmp_path,
        case(metrics=[REVENUE, LATENCY]),
        {REVENUE["name"]: 360_000, LATENCY["name"]: latency},
    )
    code, out, _ = gate(root)
    assert code == decision
    assert f"lower is better): {latency} vs target <= 200" in out


def test_no_metrics_file_is_not_ready(tmp_path: Path) -> None:
    code, out, _ = gate(foundation(tmp_path))
    assert code == NOT_READY
    assert out.startswith("prodcheck gate: NOT READY\n")
    assert "nothing is measured yet: no metrics file at `reports/metrics.json`" in out


def test_a_success_metric_the_pipeline_did_not_measure_is_not_ready(tmp_path: Path) -> None:
    code, data = gate_json(foundation(tmp_path, metrics={REVENUE["name"]: 360_000}))
    assert code == NOT_READY
    assert data["reasons"][0].startswith("not measured in the metrics file")
    assert data["reasons"][0].endswith(": `recall_at_top_decile`")
    assert [m["met"] for m in data["metrics"]] == [True, None]


@pytest.mark.parametrize(
    "required",
    [
        pytest.param(["--required-stage", "3"], id="option"),
        pytest.param([], id="config-gate_stage"),
    ],
)
def test_a_repository_below_the_required_stage_is_not_ready_with_its_blockers(
    tmp_path: Path, required: list[str]
) -> None:
    root = foundation(tmp_path, metrics=ON_TARGET)
    if not required:
        (root / ".prodcheck.toml").write_text("gate_stage = 3\n", encoding="utf-8")
    code, out, _ = gate(root, *required)
    assert code == NOT_READY
    assert "the repository reached stage 2, the gate requires 3; blocked by GOV001, LIFE003" in out
    assert "LIFE004: no model card" in out


def test_the_default_required_stage_is_2(tmp_path: Path) -> None:
    files = {CASE: case(), METRICS: measured(**ON_TARGET)}
    code, data = gate_json(build_tree(tmp_path, files))
    assert (code, data["stage"]["reached"], data["stage"]["required"]) == (NOT_READY, 0, 2)
    assert data["stage"]["next_blockers"]  # what keeps it from stage 1 (owners, ...)


# -- the arithmetic --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("horizon", "annual_cost", "roi", "payback_months"),
    [
        pytest.param(3, 200_000, 0.5, 12.0, id="build-over-3-years"),
        pytest.param(1, 300_000, 0.0, 12.0, id="build-over-1-year"),
        pytest.param(5, 180_000, 300_000 / 180_000 - 1, 12.0, id="build-over-5-years"),
    ],
)
def test_a_one_off_build_cost_is_spread_over_the_horizon(
    tmp_path: Path, horizon: int, annual_cost: float, roi: float, payback_months: float
) -> None:
    cost = {
        "build": 150_000,
        "run": 50_000,
        "maintenance": {"retraining": 60_000, "on_call": 40_000},
    }
    files = {CASE: case(300_000, cost, horizon=horizon), METRICS: measured(**ON_TARGET)}
    _, data = gate_json(build_tree(tmp_path, files))
    money = data["business_case"]
    assert (money["recurring_cost"], money["one_off_cost"]) == (150_000, 150_000)
    assert money["annual_cost"] == pytest.approx(annual_cost)
    assert money["roi"] == pytest.approx(roi)
    assert money["payback_months"] == pytest.approx(payback_months)


def test_the_cost_arithmetic_is_shown(tmp_path: Path) -> None:
    cost = {"build": 150_000, "run": 50_000, "maintenance": 100_000}
    files = {CASE: case(300_000, cost), METRICS: measured(**ON_TARGET)}
    _, out, _ = gate(build_tree(tmp_path, files))
    assert "annual cost: 150,000 recurring + 150,000 one-off / 3 years = 200,000 EUR" in out
    assert "ROI (300,000 - 200,000) / 200,000 = 50% a year" in out
    assert "payback of the one-off cost: 12.0 months, within the 3 years horizon" in out


@pytest.mark.parametrize(
    ("economics", "payback"),
    [
        (Economics(100_000, 40_000, 120_000, 3), "24.0 months, within the 3 years horizon"),
        (Economics(100_000, 90_000, 120_000, 3), "144.0 months, after the 3 years horizon"),
        (
            Economics(100_000, 100_000, 120_000, 3),
            "never (the recurring cost is at least the value)",
        ),
        (Economics(100_000, 150_000, 0, 3), "never (the recurring cost is at least the value)"),
        (Economics(100_000, 50_000, 0, 3), "immediately (no one-off cost)"),
    ],
)
def test_payback_is_the_one_off_cost_over_the_yearly_net_in_months(
    economics: Economics, payback: str
) -> None:
    assert economics.payback_text() == payback


# -- refusals (exit 2, one line, no traceback) -----------------------------------------------


@pytest.mark.parametrize(
    "annual_cost", [0, {"build": 0, "run": 0}, {"run": 0, "team": {"ds": 0}}], ids=str
)
def test_a_zero_total_cost_is_refused(tmp_path: Path, annual_cost: Any) -> None:
    code, out, err = gate(build_tree(tmp_path, {CASE: case(annual_cost=annual_cost)}))
    assert (code, out) == (USAGE, "")
    assert "adds up to 0: no real system is free" in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("annual_cost", "metrics", "where"),
    [
        pytest.param(
            {"run": {"amount": 24_000, "currency": "USD"}, "team": 90_000},
            None,
            "`annual_cost.run`",
            id="a-cost-line",
        ),
        pytest.param(
            None,
            [{**REVENUE, "currency": "GBP"}, RECALL],
            "`success_metrics.retained_revenue_eur`",
            id="a-metric",
        ),
    ],
)
def test_mixed_currencies_are_refused(
    tmp_path: Path, annual_cost: Any, metrics: Any, where: str
) -> None:
    files = {CASE: case(annual_cost=annual_cost, metrics=metrics), METRICS: measured(**ON_TARGET)}
    code, _, err = gate(build_tree(tmp_path, files))
    assert code == USAGE
    assert where in err
    assert "mixed currencies cannot be compared" in err


def test_a_cost_line_in_the_cases_own_currency_counts(tmp_path: Path) -> None:
    cost = {"run": {"amount": 24_000, "currency": "EUR"}, "team": 76_000}
    files = {CASE: case(annual_cost=cost), METRICS: measured(**ON_TARGET)}
    _, data = gate_json(build_tree(tmp_path, files))
    assert data["business_case"]["annual_cost"] == 100_000


def test_a_missing_business_case_is_refused(tmp_path: Path) -> None:
    code, _, err = gate(build_tree(tmp_path, {"README.md": "# churn\n"}))
    assert code == USAGE
    assert "no business case at `docs/business-case.md`" in err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "is not JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"schema_version": 2, "metrics": {}}', "`schema_version` is 2"),
        ('{"schema_version": 1}', "`metrics` must be an object"),
        (
            '{"schema_version": 1, "metrics": {"recall": {"value": "high", "kind": "model", '
            '"source": "holdout"}}}',
            "`metrics.recall`.value is 'high', not a finite number",
        ),
        (
            '{"schema_version": 1, "metrics": {"recall": {"value": 0.7, "kind": "model", '
            '"source": "guess"}}}',
            "`metrics.recall`.source is 'guess'",
        ),
    ],
)
def test_a_malformed_metrics_file_is_refused_naming_the_file_and_the_problem(
    tmp_path: Path, content: str, problem: str
) -> None:
    code, _, err = gate(build_tree(tmp_path, {CASE: case(), METRICS: content}))
    assert code == USAGE
    assert "reports/metrics.json" in err
    assert problem in err


def test_metrics_are_read_from_the_configured_path_or_the_option(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path / "repo",
        {
            CASE: case(50_000, 500_000),
            ".prodcheck.toml": 'metrics = "out/m.json"\n',
            "out/m.json": measured(**ON_TARGET),
        },
    )
    _, data = gate_json(root)
    assert data["measurements"]["location"] == "out/m.json"
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(measured(retained_revenue_eur=1), encoding="utf-8")
    _, data = gate_json(root, "--metrics", elsewhere)
    assert data["metrics"][0]["value"] == 1


def test_an_mlflow_uri_that_is_not_a_server_is_refused_suggesting_metrics(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {CASE: case()})
    code, _, err = gate(root, "--mlflow-uri", "sqlite:///mlflow.db", "--model", "churn")
    assert code == USAGE
    assert "--metrics" in err


# -- reports ---------------------------------------------------------------------------------


def test_the_json_decision_has_the_documented_shape(tmp_path: Path) -> None:
    _, data = gate_json(foundation(tmp_path, metrics=ON_TARGET))
    assert set(data) == {
        "schema_version", "tool", "root", "decision", "exit_code", "reasons",
        "business_case", "metrics", "measurements", "stage",
    }  # fmt: skip
    assert (data["schema_version"], data["decision"], data["exit_code"]) == (1, "go", 0)
    assert set(data["business_case"]) == {
        "path", "currency", "horizon_years", "annual_value", "recurring_cost", "one_off_cost",
        "annual_cost", "annual_net", "roi", "min_roi", "payback_months",
    }  # fmt: skip
    assert data["metrics"][1] == {
        "name": "recall_at_top_decile", "kind": "model", "direction": "higher", "target": 0.6,
        "value": 0.65, "source": "holdout", "met": True,
    }  # fmt: skip
    assert data["measurements"]["model"]["version"] == "3"
    assert data["stage"] == {
        "reached": 2, "required": 2, "next_blockers": ["GOV001", "LIFE003", "LIFE004", "MON003"]
    }  # fmt: skip


def test_the_markdown_memo_tells_a_sponsor_the_decision_why_the_numbers_and_what_next(
    tmp_path: Path,
) -> None:
    root = foundation(tmp_path, metrics={REVENUE["name"]: 120_000, RECALL["name"]: 0.9})
    code, memo, _ = gate(root, "--format", "markdown")
    assert code == STOP
    assert memo.startswith("# Day-90 decision: STOP\n")
    assert "**STOP**: `retained_revenue_eur` (business) missed its target." in memo
    for section in ("## Why", "## The numbers", "## What to do next"):
        assert f"\n{section}\n" in memo
    assert (
        "| `retained_revenue_eur` | business | >= 350,000 | 120,000 | estimate | **missed** |"
        in memo
    )
    assert "| **total cost** | **186,000** |" in memo
    assert "Stop the pilot, or rework the plan with the sponsor" in memo
    assert "model `churn` version 3 (alias champion)" in memo


# -- --record --------------------------------------------------------------------------------

COMMENTED_CASE = """\
---
# Read by prodcheck and by the day-90 review.
problem: 'Customers cancel without warning; it''s too late by then'
annual_value: 50000   # the sponsor's estimate
annual_cost:
  build: 0
  run: 500000  # hosting, on call
currency: "EUR"
horizon_years: 3
decision_date: 2027-03-01
success_metrics:
  - name: retained_revenue_eur
    kind: business
    target: 350000
    direction: higher
---

# Business case

Body text   with odd  spacing, kept byte for byte.\r
---
not: front matter
"""


def test_record_writes_the_decision_keeping_comments_formatting_and_body(tmp_path: Path) -> None:
    root = build_tree(tmp_path, {})
    (root / "docs").mkdir()
    (root / CASE).write_bytes(COMMENTED_CASE.encode())

    code, _, err = gate(root, "--record")

    assert code == STOP
    expected = COMMENTED_CASE.replace(
        "decision_date: 2027-03-01\n",
        f"decision_date: 2027-03-01\ndecision: stop\ndecided_on: {date.today().isoformat()}\n",
    )
    assert (root / CASE).read_bytes().decode() == expected
    assert "recorded `decision: stop`" in err
    assert run_rule("LIFE006", root) == []
    assert [p.name for p in (root / "docs").iterdir()] == ["business-case.md"]  # no temp left


def test_record_replaces_a_placeholder_decision_in_place(tmp_path: Path) -> None:
    text = case(50_000, 500_000).replace("decision_date:", "decision: TODO\ndecision_date:")
    root = build_tree(tmp_path, {CASE: text})
    assert run_rule("LIFE006", root) != []
    gate(root, "--record")
    recorded = (root / CASE).read_text(encoding="utf-8")
    today = date.today().isoformat()
    assert f"decision: stop\ndecided_on: {today}\ndecision_date: 2027-03-01\n" in recorded
    assert run_rule("LIFE006", root) == []


def test_record_refuses_to_record_not_ready(tmp_path: Path) -> None:
    root = foundation(tmp_path)
    before = (root / CASE).read_bytes()
    code, _, err = gate(root, "--record")
    assert code == NOT_READY
    assert "not recorded: NOT READY is not a decision" in err
    assert (root / CASE).read_bytes() == before


def test_the_installed_program_records_a_go(tmp_path: Path) -> None:
    root = foundation(tmp_path, metrics=ON_TARGET)
    program = Path(os.environ.get("VIRTUAL_ENV", ".venv")) / "bin" / "prodcheck"
    program = program if program.exists() else Path(shutil.which("prodcheck") or "prodcheck")
    done = subprocess.run(
        [program, "gate", root, "--record"], capture_output=True, text=True, check=False
    )
    assert done.returncode == GO, done.stderr
    assert "decision: go\n" in (root / CASE).read_text(encoding="utf-8")


# -- MLflow ----------------------------------------------------------------------------------

MLFLOW = os.environ.get("PRODCHECK_MLFLOW") or shutil.which("mlflow")
"""The `mlflow` program of an environment with MLflow (the gate itself never needs it)."""


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `mlflow server` on loopback with a SQLite store."""
    if MLFLOW is None or not Path(MLFLOW).exists():
        unavailable("mlflow is not installed (set PRODCHECK_MLFLOW to its program)")
    with real_parts.mlflow_server(MLFLOW, tmp_path_factory.mktemp("mlflow")) as port:
        yield f"http://127.0.0.1:{port}"


def _post(uri: str, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    status, answer = http(f"{uri}/api/2.0/mlflow/{endpoint}", json.dumps(body).encode())
    assert status == 200, answer
    parsed: dict[str, Any] = json.loads(answer or b"{}")
    return parsed


def _register(uri: str, name: str, metrics: dict[str, float]) -> None:
    """What the pipeline does: a run with metrics, a registered version, the champion alias."""
    experiment = _post(uri, "experiments/create", {"name": f"gate-{name}"})["experiment_id"]
    run_id = _post(uri, "runs/create", {"experiment_id": experiment})["run"]["info"]["run_id"]
    for key, value in metrics.items():
        _post(uri, "runs/log-metric", {"run_id": run_id, "key": key, "value": value,
                                       "timestamp": 0, "step": 0})  # fmt: skip
    _post(uri, "registered-models/create", {"name": name})
    version = _post(
        uri,
        "model-versions/create",
        {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id},
    )["model_version"]["version"]
    _post(uri, "registered-models/alias", {"name": name, "alias": "champion", "version": version})


def test_metrics_are_read_from_the_run_of_the_registered_champion(
    tmp_path: Path, mlflow_server: str
) -> None:
    _register(
        mlflow_server, "churn", {"retained_revenue_eur": 360_000, "recall_at_top_decile": 0.5}
    )
    root = foundation(tmp_path)
    code, data = gate_json(root, "--mlflow-uri", mlflow_server, "--model", "churn")
    assert code == STOP
    assert data["measurements"]["from"] == "mlflow"
    assert data["measurements"]["model"]["version"] == "1"
    assert [(m["value"], m["source"], m["met"]) for m in data["metrics"]] == [
        (360_000, "estimate", True),
        (0.5, "holdout", False),
    ]
    assert "the model metric `recall_at_top_decile` missed its target" in data["reasons"][0]


def test_an_unknown_model_or_alias_in_mlflow_is_refused(tmp_path: Path, mlflow_server: str) -> None:
    root = foundation(tmp_path)
    code, _, err = gate(root, "--mlflow-uri", mlflow_server, "--model", "nosuch@champion")
    assert code == USAGE
    assert f"MLflow at {mlflow_server} has no" in err
