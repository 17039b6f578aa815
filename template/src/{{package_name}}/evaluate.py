"""Judging a trained model on rows it never saw: the standard metrics of its problem type, and
the gate, SUCCESS_METRIC against SUCCESS_TARGET, that decides whether it becomes `champion`."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import pandas as pd
from sklearn import metrics as sk
from sklearn.base import BaseEstimator

from .model_spec import PROBLEM_TYPE, SUCCESS_DIRECTION, SUCCESS_METRIC, SUCCESS_TARGET

CLASSIFICATION_METRICS = ("roc_auc", "accuracy", "f1", "precision", "recall")
REGRESSION_METRICS = ("mae", "rmse", "r2")


def evaluate(model: BaseEstimator, features: pd.DataFrame, target: pd.Series) -> dict[str, float]:
    """Every metric of the problem type, computed on `features` and the true `target`."""
    if PROBLEM_TYPE == "classification":
        labels = model.predict(features)
        scores = model.predict_proba(features)[:, 1]
        return {
            "roc_auc": float(sk.roc_auc_score(target, scores)),
            "accuracy": float(sk.accuracy_score(target, labels)),
            "f1": float(sk.f1_score(target, labels, zero_division=0)),
            "precision": float(sk.precision_score(target, labels, zero_division=0)),
            "recall": float(sk.recall_score(target, labels, zero_division=0)),
        }
    predictions = model.predict(features)
    return {
        "mae": float(sk.mean_absolute_error(target, predictions)),
        "rmse": float(sk.root_mean_squared_error(target, predictions)),
        "r2": float(sk.r2_score(target, predictions)),
    }


@dataclass(frozen=True)
class Gate:
    """A metric a model must reach: at least `target` when higher is better, at most when
    lower is better. A metric that could not be computed (NaN) never passes."""

    metric: str
    target: float
    direction: Literal["higher", "lower"]

    def value(self, metrics: Mapping[str, float]) -> float:
        if self.metric not in metrics:
            raise ValueError(
                f"the success metric {self.metric!r} is not one the pipeline computes "
                f"for {PROBLEM_TYPE}: {', '.join(metrics)}"
            )
        return metrics[self.metric]

    def passes(self, metrics: Mapping[str, float]) -> bool:
        value = self.value(metrics)
        if math.isnan(value):
            return False
        return value >= self.target if self.direction == "higher" else value <= self.target

    @property
    def wanted(self) -> str:
        """The target as a reader says it: `>= 0.75`, `<= 10.0`."""
        return f"{'>=' if self.direction == 'higher' else '<='} {self.target:g}"


SUCCESS_GATE = Gate(SUCCESS_METRIC, SUCCESS_TARGET, SUCCESS_DIRECTION)
