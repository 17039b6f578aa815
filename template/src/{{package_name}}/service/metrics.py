"""Every Prometheus metric the service exports, and the `/metrics` exposition.

Labels are bounded: HTTP handlers are route templates (unknown paths are `unmatched`), statuses
are grouped (`2xx`), predicted classes are capped. With several workers in one container, set
`PROMETHEUS_MULTIPROC_DIR` to a directory wiped at container start: counters and histograms are
summed across workers, and each gauge says how its workers combine (`multiprocess_mode`). Gauges
of workers that died are dropped at each scrape. One worker per container, scaled by replicas, is
the default and needs none of this.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

from .drift import DriftWindow

if TYPE_CHECKING:
    from .model import LoadedModel, Prediction

HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Request durations; 0.25 s is the latency SLO's threshold (docs/slo.md)."""
PREDICT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
ROWS_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
PROBABILITY_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
"""Prediction-value buckets of a classifier whose reference has none."""
MAX_OUTPUT_LABELS = 20
"""Distinct predicted classes counted by name; the rest are counted as `other`."""
PREDICTION_ERROR_REASONS = ("exception", "timeout", "overloaded", "not_ready")
_WORKER_GAUGE_FILE = re.compile(r"^gauge_live\w+?_(?P<pid>\d+)\.db$")


class ServiceMetrics:
    """The metrics of one service instance, in a registry of its own (so test apps do not share
    counts), with the HTTP children cached: the request path pays a dict lookup, not a lock."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None
        if self.multiprocess_dir is None:
            for collector in (ProcessCollector, PlatformCollector, GCCollector):
                collector(registry=self.registry)
        registry = self.registry
        self.http_requests = Counter(
            "http_requests_total",
            "HTTP requests answered, by route template, method and status class",
            ["handler", "method", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template and method",
            ["handler", "method"],
            buckets=HTTP_BUCKETS,
            registry=registry,
        )
        self.http_in_progress = Gauge(
            "http_requests_in_progress",
            "HTTP requests being answered, by route template and method",
            ["handler", "method"],
            multiprocess_mode="livesum",
            registry=registry,
        )
        self.model_info = Gauge(
            "model_info",
            "The model this worker serves (always 1; its identity is in the labels)",
            ["model_name", "model_version", "model_alias", "run_id"],
            multiprocess_mode="livemax",
            registry=registry,
        )
        self.model_ready = Gauge(
            "model_ready",
            "1 when the model is loaded and the worker is not draining, else 0",
            multiprocess_mode="livemin",
            registry=registry,
        )
        self.model_load_duration = Gauge(
            "model_load_duration_seconds",
            "Time the last successful model load took (download, deserialization, warm-up)",
            multiprocess_mode="livemax",
            registry=registry,
        )
        self.predict_duration = Histogram(
            "model_predict_duration_seconds",
            "Time the model itself takes per request (inference only)",
            buckets=PREDICT_BUCKETS,
            registry=registry,
        )
        self.request_rows = Histogram(
            "model_request_rows",
            "Rows per prediction request",
            buckets=ROWS_BUCKETS,
            registry=registry,
        )
        self.predictions = Counter(
            "model_predictions_total",
            "Predictions made, by predicted class (classifiers) or `value` (regressors)",
            ["output"],
            registry=registry,
        )
        self.prediction_value: Histogram | None = None  # its buckets come from the model
        self.prediction_errors = Counter(
            "model_prediction_errors_total",
            "Prediction requests that failed after validation, by reason",
            ["reason"],
            registry=registry,
        )
        self.validation_errors = Counter(
            "model_input_validation_errors_total",
            "Prediction requests rejected as malformed or invalid input (400 and 422)",
            registry=registry,
        )
        self.drift_psi = Gauge(
            "model_feature_drift_psi",
            "Population stability index of each feature over the drift window vs training",
            ["feature"],
            multiprocess_mode="livemax",
            registry=registry,
        )
        self.drift_window_rows = Gauge(
            "model_drift_window_rows",
            "Rows in the drift window: the sample size behind model_feature_drift_psi",
            multiprocess_mode="livemin",
            registry=registry,
        )
        for reason in PREDICTION_ERROR_REASONS:
            self.prediction_errors.labels(reason)
        self._monitor: ModelMonitor | None = None
        self._http: dict[tuple[str, str], tuple[Histogram, Gauge]] = {}
        self._http_counts: dict[tuple[str, str, int], Counter] = {}

    def http_children(self, handler: str, method: str) -> tuple[Histogram, Gauge]:
        """The duration histogram and in-progress gauge of one route and method."""
        key = (handler, method)
        children = self._http.get(key)
        if children is None:
            children = self._http[key] = (
                self.http_duration.labels(handler, method),
                self.http_in_progress.labels(handler, method),
            )
        return children

    def count_http(self, handler: str, method: str, status: int) -> None:
        key = (handler, method, status // 100)
        child = self._http_counts.get(key)
        if child is None:
            child = self._http_counts[key] = self.http_requests.labels(
                handler, method, f"{status // 100}xx"
            )
        child.inc()

    def model_loaded(self, model: LoadedModel, seconds: float) -> None:
        labels = (model.name, model.version, model.alias or "", model.run_id or "")
        self.model_info.labels(*labels).set(1)
        self.model_load_duration.set(seconds)

    def set_ready(self, ready: bool) -> None:
        self.model_ready.set(1 if ready else 0)

    def monitor(self, model: LoadedModel, drift: DriftWindow | None) -> ModelMonitor:
        """What records each prediction of `model`: counts, values, latency and drift."""
        buckets = _prediction_buckets(model)
        if self.prediction_value is not None:  # a second model in this registry (tests)
            self.registry.unregister(self.prediction_value)
        self.prediction_value = Histogram(
            "model_prediction_value",
            "Predicted value: positive-class probability (binary classifiers), value (regressors)",
            buckets=buckets,
            registry=self.registry,
        )
        self._monitor = ModelMonitor(self, model, drift)
        return self._monitor

    def refresh(self) -> None:
        """Bring the gauges computed from state (drift) up to date."""
        if self._monitor is not None:
            self._monitor.refresh_drift()

    def exposition(self) -> tuple[bytes, str]:
        """The text a scrape gets, and its content type. With several workers, a scrape
        reaches one of them: the others refresh their gauges periodically (see the app's
        lifespan)."""
        self.refresh()
        if self.multiprocess_dir is None:
            return generate_latest(self.registry), CONTENT_TYPE_LATEST
        _forget_dead_workers(self.multiprocess_dir)
        merged = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(merged)
        return generate_latest(merged), CONTENT_TYPE_LATEST


class ModelMonitor:
    """Records predictions of one loaded model; runs in the prediction threads."""

    def __init__(self, metrics: ServiceMetrics, model: LoadedModel, drift: DriftWindow | None):
        assert metrics.prediction_value is not None
        self._metrics = metrics
        self._value = metrics.prediction_value
        self._drift = drift
        classes = model.classes
        if classes is None:
            self._outputs = [metrics.predictions.labels("value")]
        else:
            self._outputs = [
                metrics.predictions.labels(str(label) if index < MAX_OUTPUT_LABELS else "other")
                for index, label in enumerate(classes.tolist())
            ]
        self._psi = (
            {name: metrics.drift_psi.labels(name) for name in drift.features} if drift else {}
        )

    def record(self, matrix: np.ndarray, prediction: Prediction, seconds: float) -> None:
        metrics = self._metrics
        rows = len(matrix)
        metrics.predict_duration.observe(seconds)
        metrics.request_rows.observe(rows)
        if prediction.class_indices is None:
            self._outputs[0].inc(rows)
        elif rows == 1:
            self._outputs[int(prediction.class_indices[0])].inc()
        else:
            counts = np.bincount(prediction.class_indices, minlength=len(self._outputs))
            for index in np.flatnonzero(counts):
                self._outputs[index].inc(int(counts[index]))
        if prediction.scores is not None:
            for score in prediction.scores.tolist():
                self._value.observe(score)
        if self._drift is not None:
            self._drift.add(matrix)

    def refresh_drift(self) -> None:
        """Set the drift gauges from the window: at each scrape, not on every request."""
        if self._drift is None:
            return
        for name, value in self._drift.psi().items():
            self._psi[name].set(value)
        self._metrics.drift_window_rows.set(self._drift.rows)


def _prediction_buckets(model: LoadedModel) -> Sequence[float]:
    """Bucket bounds from the training predictions' quantiles, so the histogram resolves the
    range the model actually predicts in; sorted, unique and finite, as Prometheus needs."""
    stored = (model.reference.get("prediction") or {}).get("buckets") or []
    try:
        bounds = sorted({float(bound) for bound in stored if np.isfinite(float(bound))})
    except (TypeError, ValueError):
        bounds = []
    if bounds:
        return bounds
    return PROBABILITY_BUCKETS if model.classes is not None else Histogram.DEFAULT_BUCKETS


def _forget_dead_workers(directory: str) -> None:
    """Drop the live gauges of workers that exited (a restarted worker has a new pid), as the
    prometheus-client docs ask a multi-process server's supervisor to; uvicorn has no hook."""
    for path in Path(directory).glob("gauge_live*_*.db"):
        match = _WORKER_GAUGE_FILE.match(path.name)
        if match is None:
            continue
        pid = int(match["pid"])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            prometheus_multiprocess.mark_process_dead(pid, directory)
        except PermissionError:
            continue  # alive, owned by someone else
