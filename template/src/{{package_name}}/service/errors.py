"""The service's errors and the one body every error answers with.

`{"error", "error_code", "message", "request_id"}` is a superset of the Open Inference Protocol
shape (`error`) and the MLflow scoring server's (`error_code`, `message`), so clients of either
read it unchanged; 422s add `detail`, one entry per rejected field. Responses never carry a stack
trace or the request's payload: those go to the log, with the request id that ties them together.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

logger = logging.getLogger(__name__)


class ServiceError(Exception):
    """An error the service answers on purpose, with its status and stable codes."""

    status: int = 500
    error: str = "internal error"
    error_code: str = "INTERNAL_ERROR"

    def __init__(
        self,
        message: str,
        *,
        detail: Sequence[Mapping[str, str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        self.headers = headers


class MalformedRequest(ServiceError):
    status, error, error_code = 400, "malformed request", "MALFORMED_REQUEST"


class NotFound(ServiceError):
    status, error, error_code = 404, "not found", "RESOURCE_DOES_NOT_EXIST"


class PayloadTooLarge(ServiceError):
    status, error, error_code = 413, "payload too large", "REQUEST_TOO_LARGE"


class UnsupportedMediaType(ServiceError):
    status, error, error_code = 415, "unsupported media type", "UNSUPPORTED_MEDIA_TYPE"


class InvalidInput(ServiceError):
    status, error, error_code = 422, "invalid input", "INVALID_INPUT"


class Overloaded(ServiceError):
    status, error, error_code = 429, "too many requests", "TOO_MANY_REQUESTS"


class PredictionFailed(ServiceError):
    status, error, error_code = 500, "prediction failed", "PREDICTION_FAILED"


class NotReady(ServiceError):
    status, error, error_code = 503, "not ready", "MODEL_NOT_READY"


class PredictionTimeout(ServiceError):
    status, error, error_code = 504, "prediction timed out", "PREDICTION_TIMEOUT"


_BY_STATUS: Mapping[int, type[ServiceError]] = {
    error.status: error
    for error in (MalformedRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, InvalidInput)
}


def request_id_of(scope: Mapping[str, Any]) -> str | None:
    """The id `RequestContextMiddleware` gave the request (None outside it)."""
    return scope.get("state", {}).get("request_id")


def error_response(error: ServiceError, request_id: str | None) -> JSONResponse:
    body: dict[str, Any] = {
        "error": error.error,
        "error_code": error.error_code,
        "message": error.message,
        "request_id": request_id,
    }
    if error.detail is not None:
        body["detail"] = list(error.detail)
    return JSONResponse(body, status_code=error.status, headers=error.headers)


def field_errors(errors: Iterable[Mapping[str, Any]], *, skip: int = 0) -> InvalidInput:
    """A 422 naming each rejected field, from pydantic's errors.

    `skip` drops leading location parts that are not the client's (a union's tag). The message
    names the first problem, so a client that logs only `message` still knows what to fix.
    """
    detail = [
        {
            "field": field_path(error["loc"][skip:]),
            "message": error["msg"],
            "type": error["type"],
        }
        for error in errors
    ]
    first = detail[0]
    more = f" (and {len(detail) - 1} more)" if len(detail) > 1 else ""
    where = f"{first['field']}: " if first["field"] else ""
    return InvalidInput(f"{where}{first['message']}{more}", detail=detail)


def field_path(location: Sequence[str | int]) -> str:
    """`("instances", 0, "age")` -> `instances[0].age`, as a client would write it."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _from_http(error: HTTPException, request: Request) -> ServiceError:
    """Starlette's own errors (no such route, method not allowed) in the contract's terms."""
    phrase = HTTPStatus(error.status_code).phrase
    message = f"{phrase}: {request.method} {request.url.path}"
    known = _BY_STATUS.get(error.status_code)
    if known is not None:
        return known(message, headers=error.headers)
    generic = ServiceError(message, headers=error.headers)
    generic.status = error.status_code
    generic.error = phrase.lower()
    generic.error_code = phrase.upper().replace(" ", "_")
    return generic


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error with the contract's body: the service's own, FastAPI's 422 for path
    parameters, the router's 404 and 405, and anything unexpected as a logged 500."""

    async def service_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, ServiceError)
        request_id = request_id_of(request.scope)
        if isinstance(error, MalformedRequest | InvalidInput):
            request.app.state.service.metrics.validation_errors.inc()
        if isinstance(error, PredictionFailed):
            logger.error("prediction failed (request_id=%s)", request_id, exc_info=error.__cause__)
        return error_response(error, request_id)

    async def validation_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return error_response(field_errors(error.errors()), request_id_of(request.scope))

    async def http_error(request: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, HTTPException)
        return error_response(_from_http(error, request), request_id_of(request.scope))

    async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
        # The server logs the traceback after this answer; this line ties it to the request.
        request_id = request_id_of(request.scope)
        logger.error("unexpected error (request_id=%s): %r", request_id, error)
        return error_response(ServiceError("the service failed; see its log"), request_id)

    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
