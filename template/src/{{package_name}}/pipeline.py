"""The training pipeline: extract, validate, split, train, evaluate, register, promote, report.

    python -m <package>.pipeline [--database-url URL] [--tracking-uri URI] [--fail-below-target]

Every run is recorded in MLflow and registered as a new version of MODEL_NAME. The version
becomes `champion`, the alias the service loads, only when SUCCESS_METRIC meets SUCCESS_TARGET
on held-out rows. A model that misses is not a failure of the pipeline: it is kept, the
champion stays where it was, and the exit code is 0 unless `--fail-below-target` asks for 1
(for a scheduled retraining job that should go red).

Every run also writes what it measured to `reports/metrics.json` (METRICS_PATH): the model
metrics on held-out rows and an offline estimate of the business metric (`business.py`), the
numbers `prodcheck gate` weighs against the business case at day 90.
"""

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from .business import (
    estimate_business_metric,
    estimate_method,
    measurements,
    metrics_report,
    write_report,
)
from .data.database import DataSourceError
from .data.extract import extract
from .data.schema import DataValidationError, validate
from .evaluate import SUCCESS_GATE, Gate, evaluate
from .model_spec import (
    BUSINESS_DIRECTION,
    BUSINESS_METRIC,
    BUSINESS_TARGET,
    FEATURES,
    PROBLEM_TYPE,
    TARGET,
)
from .reference import build_reference
from .registry import (
    RegisteredModel,
    aliased_version,
    log_and_register,
    promote,
    use_tracking_store,
)
from .settings import Settings, get_settings

TEST_SIZE = 0.2
SEED = 42


class Split(NamedTuple):
    train_features: pd.DataFrame
    test_features: pd.DataFrame
    train_target: pd.Series
    test_target: pd.Series


@dataclass(frozen=True)
class PipelineResult:
    model: RegisteredModel
    metrics: dict[str, float]
    business_estimate: float
    """BUSINESS_METRIC as `business.estimate_business_metric` estimates it from `metrics`."""
    gate: Gate
    promoted: bool
    alias: str
    champion: str | None
    """The version the alias points at after the run (None while no version ever passed)."""
    rows_train: int
    rows_test: int
    report_path: Path
    """Where the run wrote its measurements for `prodcheck gate`."""


def split(frame: pd.DataFrame, seed: int = SEED) -> Split:
    """Hold out TEST_SIZE of the rows (stratified by class for a classifier) to judge on."""
    features, target = frame[list(FEATURES)], frame[TARGET]
    stratify = target if PROBLEM_TYPE == "classification" else None
    return Split(
        *train_test_split(
            features, target, test_size=TEST_SIZE, random_state=seed, stratify=stratify
        )
    )


def baseline() -> Pipeline:
    """The simplest model worth deploying: standardised features into a linear model."""
    if PROBLEM_TYPE == "classification":
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    return make_pipeline(StandardScaler(), Ridge(alpha=1.0))


def train(features: pd.DataFrame, target: pd.Series) -> Pipeline:
    return baseline().fit(features, target)


def training_outputs(model: Pipeline, features: pd.DataFrame) -> np.ndarray:
    """What the service's prediction histogram observes: the positive-class probability of a
    classifier, the value of a regressor."""
    if PROBLEM_TYPE == "classification":
        return model.predict_proba(features)[:, 1]
    return model.predict(features)


def run_params(
    settings: Settings, data: Split, model: Pipeline, gate: Gate, seed: int
) -> dict[str, Any]:
    """What a reader of the run needs to reproduce and judge it, the business case included."""
    estimator = model.steps[-1][1]
    return {
        "problem_type": PROBLEM_TYPE,
        "estimator": type(estimator).__name__,
        **{f"estimator.{key}": value for key, value in estimator.get_params().items()},
        "features": ",".join(FEATURES),
        "target": TARGET,
        "source_table": settings.source_table,
        "rows_train": len(data.train_target),
        "rows_test": len(data.test_target),
        "test_size": TEST_SIZE,
        "seed": seed,
        "success_metric": gate.metric,
        "success_target": gate.target,
        "success_direction": gate.direction,
        "business_metric": BUSINESS_METRIC,
        f"{BUSINESS_METRIC}_target": BUSINESS_TARGET,
        f"{BUSINESS_METRIC}_direction": BUSINESS_DIRECTION,
        f"{BUSINESS_METRIC}_source": estimate_method(),
    }


def run(settings: Settings, *, gate: Gate = SUCCESS_GATE, seed: int = SEED) -> PipelineResult:
    """Train, judge and register one model from the data at `settings.database_url`, and move
    `settings.model_alias` to it when it passes `gate`."""
    use_tracking_store(settings.mlflow_tracking_uri)
    frame = validate(extract(settings.database_url, settings.source_table))
    data = split(frame, seed)
    model = train(data.train_features, data.train_target)
    metrics = evaluate(model, data.test_features, data.test_target)
    business_estimate = estimate_business_metric(metrics)
    passed = gate.passes(metrics)
    reference = build_reference(
        data.train_features,
        training_outputs(model, data.train_features),
        classes=model.classes_.tolist() if PROBLEM_TYPE == "classification" else None,
        metrics=metrics,
    )
    registered = log_and_register(
        model,
        model_name=settings.model_name,
        params=run_params(settings, data, model, gate, seed),
        metrics={**metrics, BUSINESS_METRIC: business_estimate},
        reference=reference,
        example=data.train_features.head(5),
    )
    if passed:
        promote(registered, settings.model_alias)
    report_path = Path(settings.metrics_path).absolute()
    write_report(
        metrics_report(
            registered,
            settings.model_alias if passed else None,
            measurements(metrics, business_estimate),
        ),
        report_path,
    )
    return PipelineResult(
        model=registered,
        metrics=metrics,
        business_estimate=business_estimate,
        gate=gate,
        promoted=passed,
        alias=settings.model_alias,
        champion=aliased_version(settings.model_name, settings.model_alias),
        rows_train=len(data.train_target),
        rows_test=len(data.test_target),
        report_path=report_path,
    )


def summary(result: PipelineResult) -> str:
    """A few lines for the person who ran the pipeline: the metrics, the version, the verdict."""
    name, version, gate, alias = result.model.name, result.model.version, result.gate, result.alias
    lines = [
        f"Trained {name} on {result.rows_train:,} rows; judged on {result.rows_test:,} "
        "held-out rows:"
    ]
    for metric, value in result.metrics.items():
        note = f"   target {gate.wanted}" if metric == gate.metric else ""
        lines.append(f"  {metric:<10}{value:8.4f}{note}")
    lines.append(f"Registered {name} version {version} (run {result.model.run_id}).")
    value = gate.value(result.metrics)
    if result.promoted:
        lines.append(
            f"Promoted: {gate.metric} {value:.4f} meets {gate.wanted}; {name}@{alias} "
            f"is now version {version}."
        )
    else:
        stays = (
            f"{alias} stays on version {result.champion}"
            if result.champion
            else f"no version is {alias} yet, so the service has no model to load"
        )
        lines.append(f"Not promoted: {gate.metric} {value:.4f} misses {gate.wanted}; {stays}.")
    wanted = f"{'>=' if BUSINESS_DIRECTION == 'higher' else '<='} {BUSINESS_TARGET:,g}"
    lines.append(
        f"Estimated {BUSINESS_METRIC}: {result.business_estimate:,.0f} a year, target {wanted}"
    )
    lines.append(f"  ({estimate_method()}; replace it in business.py).")
    lines.append(f"Wrote {result.report_path} for `prodcheck gate`.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL)")
    parser.add_argument("--tracking-uri", help="MLflow tracking URI (default: MLFLOW_TRACKING_URI)")
    parser.add_argument(
        "--fail-below-target",
        action="store_true",
        help="exit with 1 when the model misses its target and is not promoted",
    )
    args = parser.parse_args(argv)

    overrides = {"database_url": args.database_url, "mlflow_tracking_uri": args.tracking_uri}
    settings = get_settings().model_copy(
        update={key: value for key, value in overrides.items() if value is not None}
    )
    try:
        result = run(settings)
    except (DataSourceError, DataValidationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except MlflowException as error:
        print(f"error: MLflow: {error.message.strip()}", file=sys.stderr)
        return 1
    print(summary(result))
    return 1 if args.fail_below_target and not result.promoted else 0


if __name__ == "__main__":
    raise SystemExit(main())
