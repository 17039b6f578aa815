"""Every knob of the pipeline and the service, read from the environment (or a `.env` file), so
the same code runs on a laptop with embedded defaults and in production by configuration."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from .model_spec import MODEL_NAME


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", protected_namespaces=())

    # Data: any SQLAlchemy URL; PostgreSQL in production, a generated SQLite sample by default.
    database_url: str = "sqlite:///data/sample.db"
    source_table: str = "training_examples"

    # Registry: MLflow tracking and model registry (a local SQLite store by default).
    mlflow_tracking_uri: str = "sqlite:///mlflow.db"
    model_name: str = MODEL_NAME
    model_alias: str = "champion"
    # What the service serves: `models:/<name>@<alias>`, `models:/<name>/<version>` or a local path.
    model_uri: str = f"models:/{MODEL_NAME}@champion"
    # Where the pipeline writes what it measured, for the day-90 gate (`prodcheck gate`).
    metrics_path: str = "reports/metrics.json"

    # Service limits (see docs/slo.md).
    max_request_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_batch_rows: int = Field(default=1000, gt=0)
    max_concurrency: int = Field(default=8, gt=0)
    request_timeout_s: float = Field(default=5.0, gt=0)
    drift_window_rows: int = Field(default=1000, gt=0)

    # Service behaviour (see docs/runbook.md).
    # Off only to measure what instrumentation costs: no HTTP or model metrics, no drift.
    metrics_enabled: bool = True
    # Seconds between attempts to load the model after a failure (0: try once), so a service
    # started before its model was registered becomes ready without a restart.
    model_load_retry_s: float = Field(default=30.0, ge=0)
    # Seconds between SIGTERM (readiness turns 503) and the server closing its listener, so
    # load balancers stop routing to this replica before it stops accepting connections.
    shutdown_drain_s: float = Field(default=5.0, ge=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
