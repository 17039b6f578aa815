"""Configuration: `[tool.prodcheck]` in pyproject.toml, or a `.prodcheck.toml` beside it.

Validated by hand against a small dataclass rather than with pydantic: the pre-commit hook
must start in well under 300 ms, and the schema is small enough that clear messages cost
only a few lines.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from prodcheck.findings import FINAL_STAGE

PYPROJECT = "pyproject.toml"
DEDICATED = ".prodcheck.toml"


class ConfigError(ValueError):
    """The configuration says something prodcheck cannot honour: a usage error (exit 2)."""


@dataclass(frozen=True)
class Config:
    target_stage: int = FINAL_STAGE
    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    per_path_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min_roi: float = 0.0
    max_data_kb: int = 100
    max_file_kb: int = 10_240
    business_case: str = "docs/business-case.md"
    metrics: str = "reports/metrics.json"
    """The metrics file the pipeline writes and `prodcheck gate` reads."""
    gate_stage: int = 2
    """The stage a repository must reach before `prodcheck gate` can say go."""
    fixtures: tuple[str, ...] = ()
    source: str | None = None
    """Where the settings came from, for messages; None when every value is a default."""

    @property
    def max_file_bytes(self) -> int:
        return self.max_file_kb * 1024


@dataclass(frozen=True)
class LoadedConfig:
    config: Config
    warning: str | None = None
    """Set when pyproject.toml exists but is not TOML: the audit goes on with defaults."""


def load_config(root: Path) -> LoadedConfig:
    """Read the project's settings; `.prodcheck.toml` wins over pyproject.toml (as in ruff)."""
    dedicated = root / DEDICATED
    if dedicated.is_file():
        try:
            table = tomllib.loads(dedicated.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
            raise ConfigError(f"{DEDICATED} is not valid TOML: {exc}") from None
        return LoadedConfig(parse_config(table, source=DEDICATED))

    pyproject = root / PYPROJECT
    if not pyproject.is_file():
        return LoadedConfig(Config())
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        return LoadedConfig(
            Config(),
            warning=f"{PYPROJECT} is not valid TOML ({exc}); "
            "[tool.prodcheck] could not be read, defaults apply",
        )
    table = document.get("tool", {}).get("prodcheck")
    if table is None:
        return LoadedConfig(Config())
    return LoadedConfig(parse_config(table, source=f"{PYPROJECT} [tool.prodcheck]"))


def parse_config(table: Any, *, source: str) -> Config:
    """Turn a TOML table into a Config, refusing unknown keys and wrong types by name."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: expected a table of settings")
    known = {f.name for f in fields(Config)} - {"source"}
    values: dict[str, Any] = {"source": source}
    for raw_key, value in table.items():
        key = raw_key.replace("-", "_")
        if key not in known:
            raise ConfigError(
                f"{source}: unknown setting {raw_key!r}; known: {', '.join(sorted(known))}"
            )
        values[key] = _coerce(key, value, source)
    config = Config(**values)
    for key in ("target_stage", "gate_stage"):
        if getattr(config, key) not in range(FINAL_STAGE + 1):
            raise ConfigError(
                f"{source}: {key} must be 0-{FINAL_STAGE}, got {getattr(config, key)}"
            )
    return config


def _coerce(key: str, value: Any, source: str) -> Any:
    where = f"{source}: {key}"
    if key in ("target_stage", "gate_stage", "max_data_kb", "max_file_kb"):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{where} must be a whole number >= 0, got {value!r}")
        return value
    if key == "min_roi":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where} must be a number (0.25 means an ROI of 25%), got {value!r}")
        return float(value)
    if key in ("business_case", "metrics"):
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{where} must be a path relative to the repository root")
        return value.strip().removeprefix("./")
    if key == "per_path_ignores":
        if not isinstance(value, dict):
            raise ConfigError(f"{where} must be a table of glob = [rule ids]")
        return {pattern: _string_list(f"{where}.{pattern}", ids) for pattern, ids in value.items()}
    return _string_list(where, value)  # select, ignore, fixtures


def _string_list(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where} must be a list of strings, got {value!r}")
    return tuple(value)
