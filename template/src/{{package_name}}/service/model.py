"""The served model: resolved from `MODEL_URI` to one version, loaded once as the native
scikit-learn estimator, and described by its MLmodel metadata.

The service calls the estimator itself on a validated float matrix instead of going through
MLflow's pyfunc wrapper: the wrapper's per-request DataFrame handling is half of what
`mlflow models serve` spends on a prediction.
"""

from __future__ import annotations

import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..model_spec import FEATURES, PROBLEM_TYPE
from ..settings import Settings

_REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:@(?P<alias>[^/]+)|/(?P<version>[^/]+))$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


class ModelLoadError(Exception):
    """The model cannot be served; the message says why in one line."""


@dataclass(frozen=True)
class Prediction:
    """What the model answered for a matrix of rows."""

    outputs: np.ndarray
    """Predicted class labels for a classifier, predicted values for a regressor."""
    scores: np.ndarray | None
    """Per row: the positive-class probability of a binary classifier, the top-class probability
    of a multi-class one, the value of a regressor; None for a classifier without probabilities."""
    probabilities: np.ndarray | None = None
    """Rows x classes, for classifiers with `predict_proba`."""
    class_indices: np.ndarray | None = None
    """Per row, the index of the predicted class in `LoadedModel.classes`."""


@dataclass(frozen=True)
class LoadedModel:
    """One model version, loaded, with what the service reports about it."""

    estimator: Any
    name: str
    version: str
    """The registry version; `local` for a model read from a path."""
    alias: str | None
    run_id: str | None
    trained_at: str | None
    mlflow_version: str | None
    """The MLflow version that saved the model."""
    reference: dict[str, Any] = field(default_factory=dict)
    """Training distribution the pipeline stored with the model (drift, prediction buckets)."""
    signature: Any = None
    """The MLflow `ModelSignature`, when the model was logged with one."""

    @property
    def classes(self) -> np.ndarray | None:
        return getattr(self.estimator, "classes_", None)

    def predict(self, matrix: np.ndarray) -> Prediction:
        """Predict for a validated rows x FEATURES float matrix."""
        classes = self.classes
        if classes is None:
            values = np.asarray(self.estimator.predict(matrix), dtype=float).reshape(-1)
            return Prediction(outputs=values, scores=values)
        if not hasattr(self.estimator, "predict_proba"):
            labels = np.asarray(self.estimator.predict(matrix))
            return Prediction(labels, None, class_indices=np.searchsorted(classes, labels))
        probabilities = self.estimator.predict_proba(matrix)
        top = probabilities.argmax(axis=1)
        scores = (
            probabilities[:, 1]
            if probabilities.shape[1] == 2
            else probabilities[np.arange(len(top)), top]
        )
        return Prediction(classes[top], scores, probabilities, top)


@dataclass(frozen=True)
class _Source:
    """Where the model comes from: what to download and how to name it."""

    uri: str
    name: str
    version: str
    alias: str | None = None
    run_id: str | None = None


def load_model(settings: Settings) -> LoadedModel:
    """Resolve `settings.model_uri`, download and load the model, and check it fits the service.

    Raises ModelLoadError with a one-line reason; never anything else.
    """
    try:
        return _load(settings)
    except ModelLoadError:
        raise
    except Exception as error:  # MLflow, skops and the network raise many kinds
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ModelLoadError(f"cannot load {settings.model_uri}: {reason}") from error


def _load(settings: Settings) -> LoadedModel:
    # MLflow takes seconds to import: importing it here, in the loading thread, lets the process
    # answer liveness probes at once instead of after the import.
    import mlflow.artifacts
    import mlflow.sklearn
    from mlflow.models import Model

    source = _resolve(settings)
    with tempfile.TemporaryDirectory(prefix="model-") as scratch:
        local = mlflow.artifacts.download_artifacts(artifact_uri=source.uri, dst_path=scratch)
        estimator = mlflow.sklearn.load_model(local)
        metadata = Model.load(local)
    reference = (metadata.metadata or {}).get("reference") or {}
    _check_fits(estimator)
    # The service sends a float matrix whose columns `_check_fits` has just matched, by name and
    # order, to the ones the model was fitted on: scikit-learn's warning about a matrix without
    # column names would only repeat on every request.
    warnings.filterwarnings("ignore", "X does not have valid feature names", UserWarning)
    return LoadedModel(
        estimator=estimator,
        name=source.name,
        version=source.version,
        alias=source.alias,
        run_id=source.run_id or metadata.run_id,
        trained_at=reference.get("trained_at") or metadata.utc_time_created,
        mlflow_version=metadata.mlflow_version,
        reference=reference,
        signature=metadata.signature,
    )


def _resolve(settings: Settings) -> _Source:
    """Pin a registry alias to the version it names now, so the version reported is the version
    downloaded even if the alias moves meanwhile."""
    uri = settings.model_uri
    registry = _REGISTRY_URI.match(uri)
    if registry is None:
        if uri.startswith("models:/"):
            raise ModelLoadError(
                f"cannot load {uri}: use models:/<name>@<alias> or models:/<name>/<version>"
            )
        if _SCHEME.match(uri) is None and not Path(uri).exists():
            raise ModelLoadError(f"cannot load {uri}: no such directory")
        version = "local" if _SCHEME.match(uri) is None else "unregistered"
        return _Source(uri, settings.model_name, version)

    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    name, alias, version = registry["name"], registry["alias"], registry["version"]
    client = MlflowClient()
    if alias is not None:
        found = client.get_model_version_by_alias(name, alias)
    elif version.isdigit():
        found = client.get_model_version(name, version)
    else:
        raise ModelLoadError(f"cannot load {uri}: a version is a number; use an alias instead")
    return _Source(f"models:/{name}/{found.version}", name, str(found.version), alias, found.run_id)


def _check_fits(estimator: Any) -> None:
    """The model must take the service's FEATURES, in order, and predict the PROBLEM_TYPE."""
    width = getattr(estimator, "n_features_in_", len(FEATURES))
    if width != len(FEATURES):
        raise ModelLoadError(
            f"the model takes {width} features but the service sends {len(FEATURES)}: {FEATURES}"
        )
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and tuple(names) != FEATURES:
        raise ModelLoadError(
            f"the model was trained on columns {tuple(names)} but the service sends {FEATURES}"
        )
    is_classifier = hasattr(estimator, "classes_")
    if is_classifier != (PROBLEM_TYPE == "classification"):
        kind = "a classifier" if is_classifier else "a regressor"
        raise ModelLoadError(f"the model is {kind} but the service serves {PROBLEM_TYPE}")
