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

    # Service limits (see docs/slo.md).
    max_request_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_batch_rows: int = Field(default=1000, gt=0)
    max_concurrency: int = Field(default=8, gt=0)
    request_timeout_s: float = Field(default=5.0, gt=0)
    drift_window_rows: int = Field(default=1000, gt=0)


@lru_cache
def get_settings() -> Settings:
    return Settings()
