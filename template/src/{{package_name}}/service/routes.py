"""The native routes: probes, predictions, the model's description and the metrics scrape."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..model_spec import FEATURES, PROBLEM_TYPE
from .model import Prediction
from .payload import JSON, body_of, parse_json
from .schemas import (
    PREDICT_REQUEST,
    PREDICTION_ERRORS,
    BatchPredictionResponse,
    FeatureRow,
    ModelDescription,
    PredictBatch,
    PredictionResponse,
    error_responses,
    request_body,
    to_matrix,
)
from .state import ServiceState

router = APIRouter()

REQUEST_MODELS = (FeatureRow, PredictBatch)
"""Request bodies this module documents by reference (see `schemas.request_body`)."""


def service_of(request: Request) -> ServiceState:
    return request.app.state.service


@router.get("/healthz", tags=["probes"], summary="Liveness: the process answers")
async def healthz() -> dict[str, str]:
    """Never touches the model: a worker whose model failed to load is alive, not ready."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    tags=["probes"],
    summary="Readiness: 200 once the model is loaded and warmed up",
    responses=error_responses(503),
)
async def readyz(request: Request) -> dict[str, str]:
    """503 while the model loads, after it failed to load, and while the service drains."""
    service = service_of(request)
    if not service.ready or service.model is None:
        raise service.not_ready()
    return {"status": "ready", "model_version": service.model.version}


@router.post(
    "/v1/predict",
    tags=["predictions"],
    summary="Predict for one row or a batch of rows",
    openapi_extra=request_body(FeatureRow, PredictBatch),
    responses={
        200: {"model": PredictionResponse | BatchPredictionResponse},  # type: ignore[operator]
        **PREDICTION_ERRORS,
    },
)
async def predict(request: Request) -> JSONResponse:
    """One row, `{"feature": value, ...}`, gets `prediction`; a batch, `{"instances": [...]}`,
    gets `predictions` in the same order. Both say which `model_version` answered."""
    service = service_of(request)
    body, _ = await body_of(request, JSON)
    parsed = parse_json(PREDICT_REQUEST, body, skip=1)
    single = isinstance(parsed, FeatureRow)
    prediction = await service.predict(to_matrix([parsed] if single else parsed.instances))
    version = service.require_model().version
    return JSONResponse(_answer(prediction, version, single=single))


def _answer(prediction: Prediction, version: str, *, single: bool) -> dict[str, Any]:
    outputs = prediction.outputs.tolist()
    scores = prediction.scores.tolist() if prediction.scores is not None else None
    if single:
        answer: dict[str, Any] = {"model_version": version, "prediction": outputs[0]}
        if PROBLEM_TYPE == "classification":
            answer["probability"] = scores[0] if scores is not None else None
        return answer
    answer = {"model_version": version, "predictions": outputs}
    if PROBLEM_TYPE == "classification":
        answer["probabilities"] = scores
    return answer


@router.get(
    "/v1/model",
    tags=["model"],
    summary="The model this worker serves",
    responses=error_responses(503),
)
async def model_description(request: Request) -> ModelDescription:
    model = service_of(request).require_model()
    return ModelDescription(
        name=model.name,
        version=model.version,
        alias=model.alias,
        run_id=model.run_id,
        trained_at=model.trained_at,
        mlflow_version=model.mlflow_version,
        problem_type=PROBLEM_TYPE,
        features=list(FEATURES),
    )


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Prometheus scrape (a route, not a mounted app, so `/metrics` never redirects)."""
    content, media_type = service_of(request).metrics.exposition()
    return Response(content, media_type=media_type)
