"""MLflow's scoring protocol, so clients of `mlflow models serve` switch without a change.

`POST /invocations` takes JSON with exactly one of `dataframe_split`, `dataframe_records`,
`instances` or `inputs` (and optional `params`, which a scikit-learn model does not take), or a
CSV table with a header row, and answers `{"predictions": [...]}`. Columns are matched by name
(extra columns are ignored, as MLflow does); rows without names must list the features in order.
"""

from __future__ import annotations

import csv
import io
import math
from importlib.metadata import version as installed_version
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model, model_validator
from pydantic_core import PydanticCustomError

from ..model_spec import FEATURES
from .errors import InvalidInput, MalformedRequest
from .payload import JSON, body_of, parse_json, validate
from .routes import service_of
from .schemas import PREDICTION_ERRORS, Number, request_body, to_matrix

CSV = "text/csv"
FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")

router = APIRouter(tags=["MLflow scoring protocol"])


class DataFrameSplit(BaseModel):
    """pandas' `split` orientation: column names, then rows of values in that order."""

    columns: list[str]
    data: list[list[Any]]
    index: list[Any] | None = None


class InvocationsRequest(BaseModel):
    """Exactly one of MLflow's four input formats."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"dataframe_records": [dict.fromkeys(FEATURES, 1.0)]}]},
    )

    dataframe_split: DataFrameSplit | None = None
    dataframe_records: list[dict[str, Any]] | None = Field(
        default=None, description="One object per row"
    )
    instances: list[dict[str, Any]] | list[list[Any]] | None = Field(
        default=None, description="Rows as objects, or as lists of the features in order"
    )
    inputs: dict[str, list[Any]] | list[dict[str, Any]] | list[list[Any]] | None = Field(
        default=None, description="Columns as lists, or rows as `instances` takes them"
    )
    params: dict[str, Any] | None = Field(
        default=None, description="Accepted for compatibility; the model takes none"
    )

    @model_validator(mode="after")
    def _one_format(self) -> InvocationsRequest:
        given = [name for name in FORMATS if getattr(self, name) is not None]
        if len(given) != 1:
            raise PydanticCustomError(
                "one_format",
                "give exactly one of {formats} (got {given})",
                {"formats": ", ".join(FORMATS), "given": ", ".join(given) or "none"},
            )
        return self


REQUEST_MODELS = (InvocationsRequest,)

_INVOCATION = TypeAdapter(InvocationsRequest)
_FeatureRecord: type[BaseModel] = create_model(
    "FeatureRecord",
    __config__=ConfigDict(extra="ignore"),
    **{name: (Number, ...) for name in FEATURES},  # type: ignore[call-overload]
)
_RECORDS = TypeAdapter(list[_FeatureRecord])  # type: ignore[valid-type]
_ROWS = TypeAdapter(
    list[Annotated[list[Number], Field(min_length=len(FEATURES), max_length=len(FEATURES))]]
)
_FeatureColumns: type[BaseModel] = create_model(
    "FeatureColumns",
    __config__=ConfigDict(extra="ignore"),
    **{name: (list[Number], ...) for name in FEATURES},  # type: ignore[call-overload]
)
_COLUMNS = TypeAdapter(_FeatureColumns)
_CSV_EXAMPLE = ",".join(FEATURES) + "\n" + ",".join("1.0" for _ in FEATURES) + "\n"


@router.get("/ping", summary="MLflow's health check: 200 once the model is ready")
@router.get("/health", summary="MLflow's health check: 200 once the model is ready")
async def ping(request: Request) -> dict[str, str]:
    service = service_of(request)
    if not service.ready:
        raise service.not_ready()
    return {"status": "ready"}


@router.get("/version", summary="Which model version answers, and the MLflow version")
async def version(request: Request) -> dict[str, str | None]:
    model = service_of(request).model
    return {
        "model_name": model.name if model else None,
        "model_version": model.version if model else None,
        "mlflow_version": installed_version("mlflow"),
    }


@router.post(
    "/invocations",
    summary="Predict, as `mlflow models serve` does",
    openapi_extra=request_body(InvocationsRequest, csv_example=_CSV_EXAMPLE),
    responses={200: {"description": '`{"predictions": [...]}`'}, **PREDICTION_ERRORS},
)
async def invocations(request: Request) -> JSONResponse:
    service = service_of(request)
    body, media_type = await body_of(request, JSON, CSV)
    matrix = csv_matrix(body) if media_type == CSV else json_matrix(body)
    prediction = await service.predict(matrix)
    return JSONResponse({"predictions": prediction.outputs.tolist()})


def json_matrix(body: bytes) -> np.ndarray:
    """The rows x FEATURES matrix of a JSON invocation, in whichever format it came."""
    request = parse_json(_INVOCATION, body)
    name = next(name for name in FORMATS if getattr(request, name) is not None)
    value = getattr(request, name)
    if isinstance(value, DataFrameSplit):
        return _split_matrix(value)
    if isinstance(value, dict):
        columns = validate(_COLUMNS, value, at=(name,))
        lengths = {len(getattr(columns, feature)) for feature in FEATURES}
        if len(lengths) > 1:
            raise InvalidInput(f"{name}: every column must have as many values")
        return np.column_stack([getattr(columns, feature) for feature in FEATURES]).astype(float)
    if value and isinstance(value[0], dict):
        return to_matrix(validate(_RECORDS, value, at=(name,)))
    return np.array(validate(_ROWS, value, at=(name,)), dtype=float).reshape(-1, len(FEATURES))


def _split_matrix(split: DataFrameSplit) -> np.ndarray:
    missing = [feature for feature in FEATURES if feature not in split.columns]
    if missing:
        raise InvalidInput(f"dataframe_split.columns: missing {', '.join(missing)}")
    positions = {name: position for position, name in enumerate(split.columns)}
    records = []
    for number, row in enumerate(split.data):
        if len(row) != len(split.columns):
            raise InvalidInput(
                f"dataframe_split.data[{number}]: {len(row)} values for "
                f"{len(split.columns)} columns"
            )
        records.append({feature: row[positions[feature]] for feature in FEATURES})
    return to_matrix(validate(_RECORDS, records, at=("dataframe_split", "data")))


def csv_matrix(body: bytes) -> np.ndarray:
    """The rows x FEATURES matrix of a CSV table whose first line names the columns."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MalformedRequest("the CSV body is not UTF-8 text") from None
    lines = [row for row in csv.reader(io.StringIO(text)) if row]
    if not lines:
        raise InvalidInput("the CSV body is empty: send a header line, then rows")
    header = [name.strip() for name in lines[0]]
    missing = [feature for feature in FEATURES if feature not in header]
    if missing:
        raise InvalidInput(f"CSV header: missing {', '.join(missing)}")
    positions = [header.index(feature) for feature in FEATURES]
    matrix = np.empty((len(lines) - 1, len(FEATURES)))
    for number, row in enumerate(lines[1:], start=1):
        if len(row) != len(header):
            raise InvalidInput(
                f"CSV line {number + 1}: {len(row)} values for {len(header)} columns"
            )
        for column, position in enumerate(positions):
            matrix[number - 1, column] = _csv_number(row[position], number, FEATURES[column])
    return matrix


def _csv_number(text: str, row: int, feature: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"CSV line {row + 1}, {feature}: not a number") from None
    if not math.isfinite(value):
        raise InvalidInput(f"CSV line {row + 1}, {feature}: the value must be finite")
    return value
