"""The business case's success metrics as the pipeline measures them, written where the day-90
go/stop gate (`prodcheck gate`) reads them: `reports/metrics.json` (METRICS_PATH).

The model metrics are measured on held-out rows. The business metric (BUSINESS_METRIC) can only
be measured in production, from the business's own systems; until then the pipeline ESTIMATES
it, so the gate has a number to weigh against the business case from the first training run.
The estimate is deliberately simple and says so wherever it appears: replace
`estimate_business_metric` with your business's own arithmetic (docs/business-case.md).

The file (JSON):

    {"schema_version": 1, "measured_at": ISO-8601 UTC,
     "model": {"name": str, "version": str | null, "run_id": str | null, "alias": str | null},
     "metrics": {name: {"value": float, "kind": "model" | "business",
                        "source": "holdout" | "estimate" | "production"}}}
"""

import json
import os
import tempfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .model_spec import ANNUAL_VALUE, BUSINESS_METRIC, PROBLEM_TYPE
from .registry import RegisteredModel

SCHEMA_VERSION = 1

CAPTURE_METRIC: dict[str, str] = {"classification": "recall", "regression": "r2"}
"""The held-out metric read as the share of the annual value the model captures."""


def captured_share(
    metrics: Mapping[str, float],
    problem_type: Literal["classification", "regression"] = PROBLEM_TYPE,
) -> float:
    """The share (0 to 1) of the value a perfect model would capture that this one captures:
    for a classifier, the recall of the positive class (the share of the cases the business
    wants caught that the model catches); for a regressor, r2 (the share of the target's
    variance it explains), floored at 0 because a model worse than the mean captures nothing."""
    share = metrics[CAPTURE_METRIC[problem_type]]
    return share if problem_type == "classification" else max(0.0, share)


def estimate_business_metric(
    metrics: Mapping[str, float],
    *,
    annual_value: float = ANNUAL_VALUE,
    problem_type: Literal["classification", "regression"] = PROBLEM_TYPE,
) -> float:
    """An OFFLINE ESTIMATE of BUSINESS_METRIC: `annual_value` (the business case's value per
    year, what a perfect model would capture) times the share the model captures on held-out
    data (`captured_share`).

    This is a placeholder for your business's arithmetic, not a measurement: it assumes the
    business metric is money per year, proportional to the cases the model gets right, and
    that acting on a wrong prediction costs nothing. Replace it (cost of false alarms, capacity
    of the team acting on the predictions, a metric that is not money) and keep its name: the
    pipeline logs and reports what it returns as an estimate, until production measures it."""
    return annual_value * captured_share(metrics, problem_type)


def estimate_method(problem_type: Literal["classification", "regression"] = PROBLEM_TYPE) -> str:
    """How the estimate was made, in words, for the MLflow run."""
    metric = CAPTURE_METRIC[problem_type]
    share = metric if problem_type == "classification" else f"max(0, {metric})"
    return f"offline estimate: annual_value x {share} on held-out rows"


def measurements(
    model_metrics: Mapping[str, float], business_estimate: float
) -> dict[str, dict[str, Any]]:
    """Every metric with its kind and source: the model's from the held-out rows, the business
    metric from `estimate_business_metric`."""
    measured: dict[str, dict[str, Any]] = {
        name: {"value": value, "kind": "model", "source": "holdout"}
        for name, value in model_metrics.items()
    }
    measured[BUSINESS_METRIC] = {
        "value": business_estimate,
        "kind": "business",
        "source": "estimate",
    }
    return measured


def metrics_report(
    model: RegisteredModel, alias: str | None, measured: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """The file's content: the measurements, when they were made, and the model version they
    judge (`alias` only when the version carries it, that is when it was promoted)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {
            "name": model.name,
            "version": model.version,
            "run_id": model.run_id,
            "alias": alias,
        },
        "metrics": dict(measured),
    }


def write_report(report: Mapping[str, Any], path: Path) -> None:
    """Write `report` to `path` atomically (creating its directory): the JSON goes to a
    temporary file beside it that then replaces `path`, so a gate reading the file meanwhile
    sees the previous report or this one, never half of one."""
    text = json.dumps(report, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", delete=False
    ) as handle:
        temporary = Path(handle.name)
        try:
            handle.write(text)
        except BaseException:
            temporary.unlink()
            raise
    os.replace(temporary, path)
