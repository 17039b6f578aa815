"""Pure ASGI middleware: what every request goes through, at the cost of a function call.

`RequestContextMiddleware` gives each request an id (the client's `X-Request-ID` when it is a
sane token, a new one otherwise) and adds `X-Request-ID` and `X-Model-Version` to every answer.
`HttpMetricsMiddleware` counts and times requests by route template. `BodyLimitMiddleware` refuses
bodies over `MAX_REQUEST_BYTES`, by `Content-Length` before reading and while reading a chunked
body. Starlette's `BaseHTTPMiddleware` would do the same with a task and a queue per request.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import PayloadTooLarge, error_response, request_id_of
from .metrics import ServiceMetrics
from .state import ServiceState

_REQUEST_ID = re.compile(r"[\w.:/+=-]{1,128}", re.ASCII)
"""A client's id is echoed only if it is a short token: nothing to inject into logs or headers."""
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
NOT_TIMED = frozenset(
    {
        "/metrics",
        "/healthz",
        "/readyz",
        "/ping",
        "/health",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{name}/ready",
    }
)
"""Probes and scrapes: frequent, cheap, and not what the service level is about."""


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, service: ServiceState) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        text = given.decode("latin-1") if given is not None else ""
        request_id = text if _REQUEST_ID.fullmatch(text) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        id_header = (b"x-request-id", request_id.encode("ascii"))
        service = self.service

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), id_header]
                if service.version_header is not None:
                    headers.append((b"x-model-version", service.version_header))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, routes: RouteTemplates) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        handler = self.routes.template(scope)
        if handler in NOT_TIMED:
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in METHODS else "other"
        duration, in_progress = self.metrics.http_children(handler, method)
        status = 500  # unless a response starts: an exception escaped every handler

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        in_progress.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            duration.observe(time.perf_counter() - started)
            in_progress.dec()
            self.metrics.count_http(handler, method, status)


class RouteTemplates:
    """The route template a request path matches (`/v2/models/{name}/infer`), or `unmatched`:
    a bounded label, however many distinct paths clients send. Known before the request runs,
    so the in-progress gauge can carry it too."""

    def __init__(self) -> None:
        self._static: dict[str, str] = {}
        self._dynamic: list[tuple[re.Pattern[str], str]] = []

    def add(self, routes: Iterable[Any]) -> None:
        """Learn the templates of routes that have one (a path and its compiled pattern)."""
        for route in routes:
            path, pattern = getattr(route, "path", None), getattr(route, "path_regex", None)
            if path is None or pattern is None:
                continue
            if "{" in path:
                self._dynamic.append((pattern, path))
            else:
                self._static[path] = path

    def template(self, scope: Scope) -> str:
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root + "/"):
            path = path[len(root) :]
        found = self._static.get(path)
        if found is not None:
            return found
        for pattern, template in self._dynamic:
            if pattern.match(path):
                return template
        return UNMATCHED


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None:
            if declared > self.max_bytes:
                response = error_response(self._too_large(), request_id_of(scope))
                await response(scope, receive, send)
                return
            await self.app(scope, receive, send)  # the server delivers no more than declared
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, receive_within_limit, send)

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"the request body is over {self.max_bytes} bytes (MAX_REQUEST_BYTES): send fewer "
            "rows per request"
        )


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
