"""The native API's request and response models, built from the model's FEATURES, and how a
route that reads its own body documents it in the OpenAPI schema.

`POST /v1/predict` takes one row, `{"tenure_months": 12, ...}`, or a batch,
`{"instances": [{...}, ...]}`. Every feature is required and must be a finite JSON number; an
unknown field is an error too, so a misspelt feature is named instead of silently missing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, create_model
from pydantic.json_schema import models_json_schema

from ..model_spec import FEATURES, PROBLEM_TYPE

Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
"""A finite JSON number: `"3"` or `true` is a type error, not a guess."""

EXAMPLE_ROW = dict.fromkeys(FEATURES, 1.0)

FeatureRow: type[BaseModel] = create_model(
    "FeatureRow",
    __config__=ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_ROW]}),
    __doc__="One row to predict for: every feature, as a number.",
    **{name: (Number, ...) for name in FEATURES},  # type: ignore[call-overload]
)


class PredictBatch(BaseModel):
    """Several rows to predict for, answered in the same order."""

    model_config = ConfigDict(extra="forbid")

    instances: list[FeatureRow] = Field(min_length=1)  # type: ignore[valid-type]


def _request_kind(value: Any) -> str:
    """An object with `instances` is a batch, any other object one row (when a feature is itself
    called `instances`, only a list there makes a batch)."""
    batch = (
        isinstance(value, dict)
        and "instances" in value
        and ("instances" not in FEATURES or isinstance(value["instances"], list))
    )
    return "batch" if batch else "row"


PREDICT_REQUEST: TypeAdapter[Any] = TypeAdapter(
    Annotated[
        Annotated[FeatureRow, Tag("row")] | Annotated[PredictBatch, Tag("batch")],
        Discriminator(_request_kind),
    ]
)
"""Validates a /v1/predict body; error locations start with the tag (`row` or `batch`)."""


def to_matrix(rows: Sequence[BaseModel]) -> np.ndarray:
    """Validated rows as the rows x FEATURES float matrix the model takes."""
    return np.array([[getattr(row, name) for name in FEATURES] for row in rows], dtype=float)


# -- responses -------------------------------------------------------------------------------

if PROBLEM_TYPE == "classification":
    _ANSWER: dict[str, Any] = {
        "prediction": (int, Field(description="The predicted class")),
        "probability": (
            float | None,
            Field(
                description="Probability of the positive class (of the predicted class if "
                "there are more than two); null if the model gives none"
            ),
        ),
    }
    _ANSWERS: dict[str, Any] = {
        "predictions": (list[int], Field(description="The predicted class of each row")),
        "probabilities": (
            list[float] | None,
            Field(description="Per row, as `probability` of a single prediction"),
        ),
    }
else:
    _ANSWER = {"prediction": (float, Field(description="The predicted value"))}
    _ANSWERS = {"predictions": (list[float], Field(description="The value predicted per row"))}

_VERSION: Any = (str, Field(description="The model version that answered"))

PredictionResponse: type[BaseModel] = create_model(
    "PredictionResponse", model_version=_VERSION, **_ANSWER
)
BatchPredictionResponse: type[BaseModel] = create_model(
    "BatchPredictionResponse", model_version=_VERSION, **_ANSWERS
)


class ModelDescription(BaseModel):
    """The model this worker serves."""

    name: str
    version: str = Field(description="Registry version, or `local` for a model read from a path")
    alias: str | None = Field(description="The registry alias MODEL_URI names, if any")
    run_id: str | None = Field(description="The MLflow run that trained it")
    trained_at: str | None = Field(description="When it was trained (ISO 8601, UTC)")
    mlflow_version: str | None = Field(description="The MLflow version that saved it")
    problem_type: str
    features: list[str]


class FieldError(BaseModel):
    field: str = Field(description="Where in the request: `instances[0].age`")
    message: str
    type: str


class ErrorResponse(BaseModel):
    """The body of every error."""

    error: str = Field(description="What went wrong, in a few words")
    error_code: str = Field(description="A stable code: INVALID_INPUT, MODEL_NOT_READY...")
    message: str = Field(description="What went wrong and what to do about it")
    request_id: str | None = Field(description="Quote it when asking about this request")
    detail: list[FieldError] | None = Field(
        default=None, description="For invalid input: each rejected field"
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses a route may answer."""
    return {status: {"model": ErrorResponse} for status in statuses}


PREDICTION_ERRORS = error_responses(400, 413, 415, 422, 429, 500, 503, 504)


# -- bodies the routes read themselves, documented by reference ------------------------------


def request_body(*models: type[BaseModel], csv_example: str | None = None) -> dict[str, Any]:
    """`openapi_extra` for a route that parses its own body (to answer 400, 415 and 422 exactly
    as the contract says): the models are added to the schema's components by
    `openapi_components`."""
    refs = [{"$ref": f"#/components/schemas/{model.__name__}"} for model in models]
    content: dict[str, Any] = {
        "application/json": {"schema": refs[0] if len(refs) == 1 else {"oneOf": refs}}
    }
    if csv_example is not None:
        content["text/csv"] = {"schema": {"type": "string"}, "example": csv_example}
    return {"requestBody": {"required": True, "content": content}}


def openapi_components(models: Sequence[type[BaseModel]]) -> dict[str, Any]:
    """JSON schemas of `models` (and the models they use), keyed by name."""
    _, schema = models_json_schema(
        [(model, "validation") for model in models],
        ref_template="#/components/schemas/{model}",
    )
    return schema.get("$defs", {})
