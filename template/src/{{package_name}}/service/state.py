"""What one worker knows at run time: its settings and metrics, whether it is ready, and the
model once loaded. Routes ask it for the model and for predictions; the lifespan loads the model
into it and drains it on shutdown."""

from __future__ import annotations

import asyncio
import logging
import time
from enum import Enum

import numpy as np

from ..model_spec import FEATURES
from ..settings import Settings
from .drift import DriftWindow
from .errors import (
    InvalidInput,
    NotReady,
    Overloaded,
    PredictionFailed,
    PredictionTimeout,
    ServiceError,
)
from .metrics import ModelMonitor, ServiceMetrics
from .model import LoadedModel, ModelLoadError, Prediction, load_model
from .runner import PredictionRunner

logger = logging.getLogger(__name__)


class Status(Enum):
    LOADING = "loading"
    READY = "ready"
    FAILED = "failed"
    DRAINING = "draining"


_NOT_READY = {
    Status.LOADING: ("MODEL_NOT_READY", "the model is still loading"),
    Status.FAILED: ("MODEL_LOAD_FAILED", "the model could not be loaded; see the service log"),
    Status.DRAINING: ("SHUTTING_DOWN", "the service is shutting down"),
}


class ServiceState:
    """The worker's status, model and prediction machinery, kept in `app.state.service`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = ServiceMetrics()
        self.status = Status.LOADING
        self.model: LoadedModel | None = None
        self.version_header: bytes | None = None
        """`X-Model-Version`'s value, encoded once."""
        self._runner = PredictionRunner(settings.max_concurrency, settings.request_timeout_s)
        self._monitor: ModelMonitor | None = None
        self._last_load_error: str | None = None

    # -- readiness ---------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.status is Status.READY

    def not_ready(self) -> NotReady:
        """Why the service is not ready, as the 503 readiness probes answer."""
        code, message = _NOT_READY.get(self.status, ("MODEL_NOT_READY", "not ready"))
        error = NotReady(message, headers={"Retry-After": "5"})
        error.error_code = code
        return error

    def require_model(self) -> LoadedModel:
        if self.model is None:
            raise self.not_ready()
        return self.model

    def drain(self) -> None:
        """Readiness turns 503 so load balancers stop routing here; requests that still arrive
        are answered while the model is loaded."""
        self.status = Status.DRAINING
        self.metrics.set_ready(False)

    # -- loading -----------------------------------------------------------------------------

    async def load(self) -> None:
        """Load the model in a thread (the event loop keeps answering probes), retrying every
        `model_load_retry_s` seconds after a failure (0: once) until it loads or the service
        drains."""
        attempt = 0
        while self.status in (Status.LOADING, Status.FAILED):
            attempt += 1
            started = time.perf_counter()
            try:
                model = await asyncio.to_thread(self._load_and_warm_up)
            except ModelLoadError as error:
                self._load_failed(error, attempt)
                if self.settings.model_load_retry_s == 0:
                    return
                await asyncio.sleep(self.settings.model_load_retry_s)
                continue
            if self.status is Status.DRAINING:
                return
            self._serve(model, time.perf_counter() - started)

    def _load_and_warm_up(self) -> LoadedModel:
        model = load_model(self.settings)
        try:
            model.predict(np.zeros((1, len(FEATURES))))  # first-call costs paid before ready
        except Exception as error:
            raise ModelLoadError(f"the model loaded but cannot predict: {error}") from error
        return model

    def _load_failed(self, error: ModelLoadError, attempt: int) -> None:
        """One error line for the first failure; later ones are logged again only when the
        reason changes, so a service waiting for its model does not flood the log."""
        if self.status is not Status.DRAINING:
            self.status = Status.FAILED
        retry = self.settings.model_load_retry_s
        then = f"; retrying every {retry:g} s" if retry else "; not retrying (MODEL_LOAD_RETRY_S=0)"
        if attempt == 1:
            logger.error("model not loaded: %s%s", error, then)
        elif str(error) != self._last_load_error:
            logger.warning("model still not loaded (attempt %d): %s", attempt, error)
        else:
            logger.debug("model still not loaded (attempt %d): %s", attempt, error)
        self._last_load_error = str(error)

    def _serve(self, model: LoadedModel, seconds: float) -> None:
        self.model = model
        self.version_header = model.version.encode("latin-1", "replace")
        self.metrics.model_loaded(model, seconds)
        if self.settings.metrics_enabled:
            self._monitor = self.metrics.monitor(model, self._drift_window(model))
        self.status = Status.READY
        self.metrics.set_ready(True)
        logger.info(
            "serving model %s version %s (%s) after %.2f s",
            model.name,
            model.version,
            self.settings.model_uri,
            seconds,
        )

    def _drift_window(self, model: LoadedModel) -> DriftWindow | None:
        reference = model.reference.get("features")
        if not reference:
            logger.warning("the model has no reference distribution: drift is not measured")
            return None
        try:
            return DriftWindow(FEATURES, reference, self.settings.drift_window_rows)
        except (KeyError, TypeError, ValueError) as error:
            logger.warning("the model's reference distribution is unusable (%s): no drift", error)
            return None

    # -- predicting --------------------------------------------------------------------------

    async def predict(self, matrix: np.ndarray) -> Prediction:
        """Predict for a validated rows x FEATURES matrix, off the event loop.

        Raises NotReady, InvalidInput (no rows or too many), Overloaded, PredictionTimeout or
        PredictionFailed, counting each failure after validation by reason.
        """
        model = self.model
        if model is None:
            self.metrics.prediction_errors.labels("not_ready").inc()
            raise self.not_ready()
        rows = len(matrix)
        if rows == 0:
            raise InvalidInput("the request has no rows to predict for")
        if rows > self.settings.max_batch_rows:
            raise InvalidInput(
                f"{rows} rows is over the limit of {self.settings.max_batch_rows} per request "
                "(MAX_BATCH_ROWS): split the batch"
            )
        monitor = self._monitor

        def work() -> Prediction:
            started = time.perf_counter()
            try:
                prediction = model.predict(matrix)
            except Exception as error:
                raise PredictionFailed("the model failed on this input") from error
            if monitor is not None:
                monitor.record(matrix, prediction, time.perf_counter() - started)
            return prediction

        try:
            return await self._runner.run(work)
        except ServiceError as error:
            reason = _ERROR_REASONS.get(type(error))
            if reason is not None:
                self.metrics.prediction_errors.labels(reason).inc()
            raise

    def close(self) -> None:
        self._runner.close()


_ERROR_REASONS: dict[type[ServiceError], str] = {
    PredictionFailed: "exception",
    PredictionTimeout: "timeout",
    Overloaded: "overloaded",
}
