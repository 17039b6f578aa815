"""Reading a prediction request's body: its media type, then its JSON parsed and validated in
one pass by pydantic (malformed JSON is a 400, a schema violation a 422 naming the field)."""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import Request
from pydantic import TypeAdapter, ValidationError

from .errors import MalformedRequest, ServiceError, UnsupportedMediaType, field_errors

T = TypeVar("T")
JSON = "application/json"


def _media_type(request: Request) -> str | None:
    """The request's media type, lower case without parameters; None when not given."""
    header = request.headers.get("content-type")
    if header is None:
        return None
    return header.partition(";")[0].strip().lower() or None


async def body_of(request: Request, *accepted: str) -> tuple[bytes, str]:
    """The body and its media type, one of `accepted` (a missing Content-Type counts as JSON)."""
    given = _media_type(request) or JSON
    if given not in accepted:
        raise UnsupportedMediaType(
            f"Content-Type {given} is not accepted here; send {' or '.join(accepted)}"
        )
    return await request.body(), given


def parse_json(adapter: TypeAdapter[T], body: bytes, *, skip: int = 0) -> T:
    """Parse and validate `body`; `skip` drops a union's tag from error locations."""
    try:
        return adapter.validate_json(body)
    except ValidationError as error:
        raise _rejected(error, skip) from None


def validate(adapter: TypeAdapter[T], value: Any, *, at: tuple[str | int, ...] = ()) -> T:
    """Validate an already parsed value; `at` is where it sits in the request, for messages."""
    try:
        return adapter.validate_python(value)
    except ValidationError as error:
        raise field_errors(
            [{**problem, "loc": (*at, *problem["loc"])} for problem in error.errors()]
        ) from None


def _rejected(error: ValidationError, skip: int) -> ServiceError:
    problems = error.errors(include_url=False)
    if problems and problems[0]["type"] == "json_invalid":
        return MalformedRequest(f"the body is not valid JSON: {problems[0]['msg']}")
    return field_errors(problems, skip=skip)
