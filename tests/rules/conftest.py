"""Builders for the stage-1 fixture repositories: a complete business case and OWNERS file that
each test changes in the one way it is about."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

import pytest
import yaml

from prodcheck.findings import Finding

CASE = "docs/business-case.md"

COMPLETE_CASE: Mapping[str, Any] = {
    "problem": "Support agents spend three hours a day routing tickets by hand",
    "annual_value": 420_000,
    "annual_cost": {"build": 60_000, "run": 24_000, "maintenance": 36_000},
    "currency": "EUR",
    "horizon_years": 3,
    "decision_date": date(2025, 9, 30),
    "success_metrics": [
        {
            "name": "minutes_to_route_a_ticket",
            "kind": "business",
            "target": 2,
            "direction": "lower",
        },
        {"name": "macro_f1", "kind": "model", "target": 0.85, "direction": "higher"},
    ],
}
"""Worth 420,000 a year against 120,000 of cost: an ROI of 250%."""

COMPLETE_OWNERS: Mapping[str, Any] = {
    "model_owner": "@maria-lopez",
    "data_owner": "@acme/data-platform",
    "engineering_owner": "ken.okafor@acme.example",
    "on_call": ["@acme/ml-oncall", "@ken-okafor"],
    "executive_sponsor": "@dana-whitfield",
    "backup_sponsor": "coo@acme.example",
}

Files = dict[str, str]
Builder = Callable[..., Files]


def _yaml(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True)


@pytest.fixture
def case() -> Builder:
    """`case(annual_value="50k", omit=["currency"], path=...)`: the complete business case,
    changed as a test needs (values are Python values, as the YAML loader would give them)."""

    def build(*, omit: Iterable[str] = (), path: str = CASE, **fields: Any) -> Files:
        data = {k: v for k, v in {**COMPLETE_CASE, **fields}.items() if k not in set(omit)}
        return {path: f"---\n{_yaml(data)}---\n# Business case: ticket routing\n"}

    return build


@pytest.fixture
def owners() -> Builder:
    """`owners(on_call="TBD", omit=["data_owner"])`: the complete OWNERS file, changed."""

    def build(*, omit: Iterable[str] = (), **roles: Any) -> Files:
        data = {k: v for k, v in {**COMPLETE_OWNERS, **roles}.items() if k not in set(omit)}
        return {"OWNERS": _yaml(data)}

    return build


@pytest.fixture
def line_at() -> Callable[[Files, Finding], str]:
    """The source line a finding points at, so a test can say "it points at `annual_value:`"."""

    def at(files: Files, finding: Finding) -> str:
        assert finding.path is not None and finding.line is not None, finding
        return files[finding.path].splitlines()[finding.line - 1]

    return at
