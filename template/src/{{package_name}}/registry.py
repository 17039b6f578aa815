"""MLflow: every training run recorded, every model kept as a numbered version of MODEL_NAME,
and the `champion` alias on the version the service should serve.

The model is logged with its signature, an input example and the training reference (see
`reference.py`) in its MLmodel metadata, which is all the service needs besides the estimator.
"""

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mlflow
import mlflow.sklearn
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from sklearn.pipeline import Pipeline

_NOT_FOUND = frozenset({"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"})
"""The error codes of a lookup by alias when the model or the alias does not exist."""


@dataclass(frozen=True)
class RegisteredModel:
    """One model version in the registry, and the run that produced it."""

    name: str
    version: str
    run_id: str


def use_tracking_store(tracking_uri: str) -> None:
    """Record runs and models at `tracking_uri` from now on, without MLflow's chatter that
    nobody acts on: start-up information (schema migrations of a new store, experiment
    creation) and the warning below."""
    mlflow.set_tracking_uri(tracking_uri)
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    # It warns, on every run, when pip itself is absent from the environment (as in a uv
    # virtual environment) about the pip version it writes into the model's conda.yaml.
    logging.getLogger("mlflow.utils.environment").setLevel(logging.ERROR)


def _pip_requirements() -> list[str]:
    """The model's requirements, pinned to what trained it. Naming them spares MLflow its
    inference, which reloads the model in a subprocess and costs several seconds per run."""
    return [
        f"mlflow=={mlflow.__version__}",
        *mlflow.sklearn.get_default_pip_requirements(include_skops=True),
    ]


def log_and_register(
    model: Pipeline,
    *,
    model_name: str,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    reference: dict[str, Any],
    example: pd.DataFrame,
) -> RegisteredModel:
    """Record a run in the experiment `model_name` with `params` and `metrics`, log `model` and
    register it as a new version of `model_name`. `example` is a few training rows, kept as
    the input example and used to infer the signature."""
    mlflow.set_experiment(model_name)
    with mlflow.start_run() as run:
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
        logged = mlflow.sklearn.log_model(
            model,
            name="model",
            registered_model_name=model_name,
            signature=infer_signature(example, model.predict(example)),
            input_example=example,
            metadata={"reference": reference},
            pip_requirements=_pip_requirements(),
        )
    return RegisteredModel(model_name, str(logged.registered_model_version), run.info.run_id)


def promote(model: RegisteredModel, alias: str) -> None:
    """Point `alias` (the service's `models:/<name>@<alias>`) at this version."""
    mlflow.MlflowClient().set_registered_model_alias(model.name, alias, model.version)


def aliased_version(model_name: str, alias: str) -> str | None:
    """The version `alias` points at, or None while no version carries it."""
    try:
        version = mlflow.MlflowClient().get_model_version_by_alias(model_name, alias).version
    except MlflowException as error:
        if error.error_code in _NOT_FOUND:
            return None
        raise
    return str(version)  # a number from some stores, a string from others
