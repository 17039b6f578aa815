"""What the service compares live traffic with: the training distribution of every feature and
of the predictions, stored in the model's MLmodel metadata (`metadata["reference"]`), so the
drift score and the prediction histogram travel with the model version they describe.

The shape (JSON):

    {"features": {name: {"edges": [11 floats], "proportions": [10 floats summing to 1]}},
     "prediction": {"buckets": [sorted histogram upper bounds]},
     "classes": [0, 1] or None, "trained_at": ISO-8601 UTC, "metrics": {metric: value}}

A feature's 11 edges are its training deciles (minimum, 10th, ..., 90th percentile, maximum).
The 10 bins are open at both ends: a value below the minimum counts in the first bin and one
above the maximum in the last, as `bin_index` computes; a live window binned the same way is
comparable with `proportions`. Repeated values can repeat an edge and leave a bin empty, so a
PSI computed from these proportions needs a small floor (epsilon) on each.
"""

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

FEATURE_BINS = 10
PREDICTION_QUANTILES = (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99)
"""Where the prediction histogram's bucket bounds fall among the training predictions: dense
around the middle, with both tails visible."""


def bin_index(values: np.ndarray, edges: list[float]) -> np.ndarray:
    """The bin (0 to len(edges) - 2) of each value, the first and last bins open-ended."""
    return np.searchsorted(np.asarray(edges[1:-1]), values, side="right")


def feature_profile(values: np.ndarray) -> dict[str, list[float]]:
    """A feature's decile edges and the share of training rows in each of its bins (counted
    with the rounded edges, as the service will count live rows)."""
    quantiles = np.quantile(values, np.linspace(0.0, 1.0, FEATURE_BINS + 1))
    edges = [_rounded(edge) for edge in quantiles]
    counts = np.bincount(bin_index(values, edges), minlength=FEATURE_BINS)
    return {"edges": edges, "proportions": (counts / counts.sum()).tolist()}


def prediction_buckets(predictions: np.ndarray) -> list[float]:
    """Histogram upper bounds at quantiles of the training predictions, without repeats and
    short enough to keep the `le` labels readable."""
    bounds = np.quantile(predictions, PREDICTION_QUANTILES)
    return sorted({_rounded(bound, digits=4) for bound in bounds})


def _rounded(value: float, digits: int = 6) -> float:
    """`value` to `digits` significant digits: short JSON, and still precise enough to bin."""
    return float(f"{value:.{digits}g}")


def build_reference(
    features: pd.DataFrame,
    predictions: np.ndarray,
    *,
    classes: list[Any] | None,
    metrics: dict[str, float],
) -> dict[str, Any]:
    """The reference of a model trained on `features`; `predictions` are its outputs on them
    (the positive-class probability of a binary classifier, the value of a regressor)."""
    return {
        "features": {
            name: feature_profile(features[name].to_numpy(dtype=float)) for name in features
        },
        "prediction": {"buckets": prediction_buckets(np.asarray(predictions, dtype=float))},
        "classes": classes,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "metrics": metrics,
    }
