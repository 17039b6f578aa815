"""The Open Inference Protocol (V2), so KServe, Triton and MLServer clients work unchanged.

An inference request sends either one tensor per feature (named after it, shape `[rows]` or
`[rows, 1]`) or a single `[rows, features]` tensor with the features in order. The answer's
`predict` output holds the predicted classes or values; a classifier also offers
`predict_proba` (`[rows, classes]`) when the request asks for it in `outputs`.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, TypeAdapter

from .. import __version__
from ..model_spec import FEATURES
from .errors import InvalidInput, NotFound, request_id_of
from .model import LoadedModel, Prediction
from .payload import JSON, body_of, parse_json
from .routes import service_of
from .schemas import PREDICTION_ERRORS, Number, error_responses, request_body

router = APIRouter(prefix="/v2", tags=["Open Inference Protocol V2"])

NumericType = Literal[
    "FP64",
    "FP32",
    "FP16",
    "INT64",
    "INT32",
    "INT16",
    "INT8",
    "UINT64",
    "UINT32",
    "UINT16",
    "UINT8",
]


class RequestInput(BaseModel):
    """One input tensor; `data` flat in row-major order, or nested by row."""

    name: str
    shape: list[int] = Field(min_length=1, max_length=2)
    datatype: NumericType
    data: list[Number] | list[list[Number]]
    parameters: dict[str, Any] | None = None


class RequestOutput(BaseModel):
    name: str
    parameters: dict[str, Any] | None = None


class InferenceRequest(BaseModel):
    """Open Inference Protocol V2 inference request."""

    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[RequestInput] = Field(min_length=1)
    outputs: list[RequestOutput] | None = Field(
        default=None, description="Outputs wanted: `predict` (default), `predict_proba`"
    )


REQUEST_MODELS = (InferenceRequest,)
_REQUEST = TypeAdapter(InferenceRequest)
_DATATYPES = {"i": "INT64", "u": "UINT64", "f": "FP64", "b": "BOOL"}
_SIGNATURE_TYPES = {
    "double": "FP64",
    "float": "FP32",
    "long": "INT64",
    "integer": "INT32",
    "boolean": "BOOL",
    "string": "BYTES",
}


def _served(request: Request, name: str) -> LoadedModel:
    """The loaded model, if `name` is its name (503 before it is loaded, 404 for another)."""
    model = service_of(request).require_model()
    if name != model.name:
        raise NotFound(f"no model named {name!r}: this service serves {model.name!r}")
    return model


@router.get("", summary="Server metadata")
async def server_metadata(request: Request) -> dict[str, Any]:
    return {
        "name": service_of(request).settings.model_name,
        "version": __version__,
        "extensions": [],
    }


@router.get("/health/live", summary="Liveness")
async def live() -> dict[str, bool]:
    return {"live": True}


@router.get("/health/ready", summary="Readiness", responses=error_responses(503))
async def ready(request: Request) -> dict[str, bool]:
    service = service_of(request)
    if not service.ready:
        raise service.not_ready()
    return {"ready": True}


@router.get("/models/{name}", summary="Model metadata", responses=error_responses(404, 503))
async def model_metadata(request: Request, name: str) -> dict[str, Any]:
    """Inputs and outputs as the model's MLflow signature declares them."""
    model = _served(request, name)
    return {
        "name": model.name,
        "versions": [model.version],
        "platform": "sklearn",
        "inputs": _input_metadata(model),
        "outputs": _output_metadata(model),
    }


@router.get("/models/{name}/ready", summary="Model readiness", responses=error_responses(404, 503))
async def model_ready(request: Request, name: str) -> dict[str, Any]:
    service = service_of(request)
    model = _served(request, name)
    if not service.ready:
        raise service.not_ready()
    return {"name": model.name, "ready": True}


@router.post(
    "/models/{name}/infer",
    summary="Predict",
    openapi_extra=request_body(InferenceRequest),
    responses={
        200: {"description": "An inference response"},
        **error_responses(404),
        **PREDICTION_ERRORS,
    },
)
async def infer(request: Request, name: str) -> JSONResponse:
    service = service_of(request)
    model = _served(request, name)
    body, _ = await body_of(request, JSON)
    inference = parse_json(_REQUEST, body)
    wanted = [output.name for output in inference.outputs or ()] or ["predict"]
    offered = [item["name"] for item in _output_metadata(model)]
    unknown = [output for output in wanted if output not in offered]
    if unknown:
        raise InvalidInput(f"outputs: unknown {', '.join(unknown)}; offered: {', '.join(offered)}")
    prediction = await service.predict(to_matrix(inference))
    return JSONResponse(
        {
            "model_name": model.name,
            "model_version": model.version,
            "id": inference.id or request_id_of(request.scope),
            "outputs": [_output_tensor(output, prediction) for output in wanted],
        }
    )


def _output_tensor(name: str, prediction: Prediction) -> dict[str, Any]:
    if name == "predict_proba" and prediction.probabilities is not None:
        probabilities = prediction.probabilities
        return {
            "name": name,
            "shape": list(probabilities.shape),
            "datatype": "FP64",
            "data": probabilities.ravel().tolist(),
        }
    outputs = prediction.outputs
    return {
        "name": "predict",
        "shape": [len(outputs)],
        "datatype": _DATATYPES.get(outputs.dtype.kind, "BYTES"),
        "data": outputs.tolist(),
    }


def to_matrix(inference: InferenceRequest) -> np.ndarray:
    """The rows x FEATURES matrix an inference request's tensors hold."""
    inputs = inference.inputs
    if len(inputs) == 1 and len(inputs[0].shape) == 2 and inputs[0].name not in FEATURES:
        matrix = _tensor(inputs[0], 0)
        if matrix.shape[1] != len(FEATURES):
            raise InvalidInput(
                f"inputs[0].shape: {matrix.shape[1]} columns, but the model takes "
                f"{len(FEATURES)} features: {', '.join(FEATURES)}"
            )
        return matrix
    columns: dict[str, np.ndarray] = {}
    for position, tensor in enumerate(inputs):
        if tensor.name not in FEATURES:
            raise InvalidInput(
                f"inputs[{position}].name: {tensor.name!r} is not a feature; send one tensor "
                f"per feature ({', '.join(FEATURES)}) or one [rows, {len(FEATURES)}] tensor"
            )
        if tensor.name in columns:
            raise InvalidInput(f"inputs[{position}].name: {tensor.name!r} is sent twice")
        values = _tensor(tensor, position)
        if values.shape[1] != 1:
            raise InvalidInput(
                f"inputs[{position}].shape: a feature's tensor is [rows] or [rows, 1]"
            )
        columns[tensor.name] = values[:, 0]
    missing = [feature for feature in FEATURES if feature not in columns]
    if missing:
        raise InvalidInput(f"inputs: missing {', '.join(missing)}")
    if len({len(column) for column in columns.values()}) > 1:
        raise InvalidInput("inputs: every feature's tensor must have as many rows")
    return np.column_stack([columns[feature] for feature in FEATURES])


def _tensor(tensor: RequestInput, position: int) -> np.ndarray:
    """The tensor's data as a rows x columns float matrix, checked against its shape."""
    if any(size < 0 for size in tensor.shape):
        raise InvalidInput(f"inputs[{position}].shape: sizes cannot be negative")
    try:
        values = np.asarray(tensor.data, dtype=float).ravel()
    except ValueError:
        raise InvalidInput(f"inputs[{position}].data: rows of different lengths") from None
    expected = int(np.prod(tensor.shape))
    if values.size != expected:
        raise InvalidInput(
            f"inputs[{position}].data: {values.size} values for shape {tensor.shape} "
            f"({expected} expected)"
        )
    return values.reshape(tensor.shape[0], tensor.shape[1] if len(tensor.shape) == 2 else 1)


def _input_metadata(model: LoadedModel) -> list[dict[str, Any]]:
    columns = _signature_columns(model.signature.inputs if model.signature else None)
    return [
        {"name": name, "datatype": columns.get(name, "FP64"), "shape": [-1]} for name in FEATURES
    ]


def _output_metadata(model: LoadedModel) -> list[dict[str, Any]]:
    declared = model.signature.outputs if model.signature else None
    if declared is not None and declared.is_tensor_spec():
        datatype = _DATATYPES.get(declared.inputs[0].type.kind, "BYTES")
    elif declared is not None:
        datatype = next(iter(_signature_columns(declared).values()), "FP64")
    else:
        datatype = "FP64" if model.classes is None else "INT64"
    outputs = [{"name": "predict", "datatype": datatype, "shape": [-1]}]
    if model.classes is not None and hasattr(model.estimator, "predict_proba"):
        outputs.append(
            {"name": "predict_proba", "datatype": "FP64", "shape": [-1, len(model.classes)]}
        )
    return outputs


def _signature_columns(schema: Any) -> dict[str, str]:
    """Column name -> OIP datatype, from an MLflow column-based schema."""
    if schema is None or schema.is_tensor_spec():
        return {}
    return {
        column.name: _SIGNATURE_TYPES.get(str(getattr(column.type, "name", column.type)), "FP64")
        for column in schema.inputs
        if column.name
    }
