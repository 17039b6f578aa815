"""The model service: `uvicorn <package>.service.app:app`.

At start-up the lifespan begins loading the model from `MODEL_URI` in the background (once; then
only to retry a failure), so the process answers liveness probes at once and readiness as soon
as the model is loaded and warmed up. A model that cannot be loaded leaves the process up and
unready, with one clear line in the log, rather than crash-looping. On SIGTERM readiness turns
503, a short drain lets load balancers notice, and in-flight requests finish.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.middleware import Middleware

from .. import __version__
from ..model_spec import MODEL_NAME
from ..settings import Settings, get_settings
from . import mlflow_scoring, open_inference, routes
from .errors import install_error_handlers
from .middleware import (
    BodyLimitMiddleware,
    HttpMetricsMiddleware,
    RequestContextMiddleware,
    RouteTemplates,
)
from .schemas import openapi_components
from .shutdown import drain_on_sigterm
from .state import ServiceState

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
METRICS_REFRESH_S = 5.0


def create_app(settings: Settings | None = None) -> FastAPI:
    """A service instance for `settings` (by default, from the environment)."""
    settings = settings or get_settings()
    service = ServiceState(settings)
    templates = RouteTemplates()
    middleware = [Middleware(RequestContextMiddleware, service=service)]
    if settings.metrics_enabled:
        middleware.append(
            Middleware(HttpMetricsMiddleware, metrics=service.metrics, routes=templates)
        )
    middleware.append(Middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes))
    app = FastAPI(
        title=f"{MODEL_NAME} model service",
        version=__version__,
        description="Predictions from the model registered as "
        f"`{MODEL_NAME}`, over the native API, MLflow's scoring protocol and the "
        "Open Inference Protocol V2.",
        lifespan=_lifespan,
        middleware=middleware,
    )
    app.state.service = service
    templates.add(app.routes)
    for module in (routes, mlflow_scoring, open_inference):
        app.include_router(module.router)
        templates.add(module.router.routes)
    install_error_handlers(app)
    _document_request_bodies(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    service: ServiceState = app.state.service
    _log_to_stderr()
    tasks = [asyncio.create_task(service.load(), name="load-model")]
    if service.metrics.multiprocess_dir is not None:
        tasks.append(asyncio.create_task(_refresh_metrics(service), name="refresh-metrics"))
    with drain_on_sigterm(service.drain, service.settings.shutdown_drain_s):
        yield
    service.drain()
    for task in tasks:
        task.cancel()
    service.close()


async def _refresh_metrics(service: ServiceState) -> None:
    """With several workers a scrape reaches only one, which refreshes its own gauges: the
    others refresh theirs on a timer, well within a scrape interval."""
    while True:
        await asyncio.sleep(METRICS_REFRESH_S)
        service.metrics.refresh()


def _document_request_bodies(app: FastAPI) -> None:
    """Add the schemas of bodies the routes parse themselves to the OpenAPI components."""
    models = (
        *routes.REQUEST_MODELS,
        *mlflow_scoring.REQUEST_MODELS,
        *open_inference.REQUEST_MODELS,
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                openapi_components(models)
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _log_to_stderr() -> None:
    """Give the service's log lines a handler when nothing configured logging (uvicorn sets up
    only its own loggers), so the model's load and failures show in the container log."""
    logger = logging.getLogger(__package__.rpartition(".")[0])
    if logger.handlers or logging.getLogger().handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)


app = create_app()
