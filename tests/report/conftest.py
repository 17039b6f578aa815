"""Audit results for the reporter tests, built the way the engine builds them.

The reporters are judged on a registry of their own, modelled on the standard's rules, so a
reporter test does not change meaning when a rule's wording does. The verdict is always the
engine's own `stage_verdict`, never a hand-written one. `real_audit` runs the whole pipeline on
a tiny repository with the real rules, so every format is also checked on genuine output.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from prodcheck.engine import AuditResult, StageVerdict, stage_verdict
from prodcheck.findings import (
    Finding,
    Principle,
    Scope,
    Severity,
    SuppressedFinding,
    Suppression,
    Violation,
)
from prodcheck.registry import Registry, Rule
from tests.helpers import audit_tree

ROOT = Path("/work/pilot")
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPORT_SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "schema" / "report-v1.schema.json"
SARIF_SCHEMA = FIXTURES / "sarif-schema-2.1.0.json"

ResultBuilder = Callable[..., AuditResult]

E, W = Severity.ERROR, Severity.WARNING
RULES = {
    "PC004": ("symlink-not-followed", 0, Principle.ENGINEERING, W, Scope.FILE),
    "PC005": ("rule-crashed", 0, Principle.ENGINEERING, W, Scope.REPO),
    "BC001": ("business-case-missing", 1, Principle.BUSINESS_CASE, E, Scope.REPO),
    "OWN001": ("owners-missing", 1, Principle.OWNERSHIP, E, Scope.REPO),
    "OWN002": ("ownership-not-cross-functional", 1, Principle.OWNERSHIP, W, Scope.REPO),
    "DATA001": ("data-export-tracked", 2, Principle.DATA_PIPELINE, E, Scope.FILE),
    "NB003": ("notebook-large-outputs", 2, Principle.DATA_PIPELINE, W, Scope.FILE),
    "LIFE004": ("model-card-missing", 3, Principle.LIFECYCLE, E, Scope.REPO),
}


def make_rule(
    rule_id: str,
    slug: str,
    stage: int,
    principle: Principle,
    severity: Severity,
    scope: Scope,
    rationale: str | None = None,
) -> Rule:
    return Rule(
        id=rule_id,
        slug=slug,
        stage=stage,
        principle=principle,
        severity=severity,
        scope=scope,
        summary=f"The pilot passes {slug}.",
        rationale=rationale or f"Without it ({slug}) the pilot stays in purgatory.",
        remedy=f"Copy the template's file for {rule_id} and fill in every `<...>` placeholder.",
        check=_judges_nothing,
        files=("*",) if scope is Scope.FILE else (),
    )


def _judges_nothing(*args: object) -> list[Violation]:
    """A stand-in check: a stage is judged only when some rule of it can run."""
    return []


@pytest.fixture
def report_registry() -> Registry:
    registry = Registry()
    for rule_id, spec in RULES.items():
        registry.add(make_rule(rule_id, *spec))
    return registry


@pytest.fixture
def build_result(report_registry: Registry) -> ResultBuilder:
    """`build_result(findings, suppressed=(), rules=None, target=3, files_mode=False)`."""

    def build(
        findings: Sequence[Finding],
        suppressed: Sequence[SuppressedFinding] = (),
        *,
        rules: Sequence[Rule] | None = None,
        target: int = 3,
        files_mode: bool = False,
        registry: Registry | None = None,
    ) -> AuditResult:
        registry = registry or report_registry
        ran = list(registry) if rules is None else list(rules)
        counted = sorted(findings, key=lambda f: f.sort_key)
        verdict = (
            StageVerdict(None, target, ())
            if files_mode
            else stage_verdict(ran, counted, registry, target)
        )
        return AuditResult(
            ROOT,
            ran,
            counted,
            sorted(suppressed, key=lambda s: s.finding.sort_key),
            verdict,
            registry,
            files_mode,
        )

    return build


# The findings of a legacy notebook pilot, one of each shape a reporter must handle.
NO_CASE = Finding(
    "BC001",
    E,
    "No business case at `docs/business-case.md`: nobody can say "
    "whether the pilot pays for itself.",
)
NO_ON_CALL = Finding(
    "OWN001", E, "`OWNERS` names no `on_call`, so an alert at night reaches nobody.", "OWNERS", 3
)
ONE_OWNER = Finding("OWN002", W, "Every role is held by @maria | one person.", "OWNERS", 1)
EXPORT = Finding(
    "DATA001",
    E,
    "`data/churn export.csv` (2.1 MB) is a data export tracked in git.",
    "data/churn export.csv",
)
OUTPUTS = Finding(
    "NB003", W, "Cell outputs of 512 KB bloat every diff.", "notebooks/explore.ipynb", 4, cell=3
)
DANGLING = Finding(
    "PC004", W, "`data/latest.csv` points outside the repository; not followed.", "data/latest.csv"
)
SUPPRESSED = [
    SuppressedFinding(
        Finding(
            "DATA001",
            E,
            "`tests/fixtures/sample.csv` is a data export.",
            "tests/fixtures/sample.csv",
        ),
        Suppression("config", "per_path_ignores 'tests/**'"),
    ),
    SuppressedFinding(
        Finding("OWN002", W, "Every role is held by @maria.", "src/train.py", 12),
        Suppression("inline", "the <team> owns it all | for now"),
    ),
    SuppressedFinding(
        Finding("LIFE004", E, "No model card at `docs/model-card.md`."),
        Suppression("baseline", ".prodcheck-baseline.json"),
    ),
]


@pytest.fixture
def purgatory(build_result: ResultBuilder) -> AuditResult:
    """Stage 0: BC001 and OWN001 block stage 1; warnings, a stage-2 error and suppressions too."""
    return build_result([NO_CASE, NO_ON_CALL, ONE_OWNER, EXPORT, OUTPUTS, DANGLING], SUPPRESSED)


@pytest.fixture
def in_production(build_result: ResultBuilder) -> AuditResult:
    """Stage 3 with nothing to report."""
    return build_result([])


@pytest.fixture
def files_mode(build_result: ResultBuilder) -> AuditResult:
    """Pre-commit mode: file-scoped findings only, no stage."""
    return build_result([EXPORT, OUTPUTS], files_mode=True)


@pytest.fixture
def real_audit(tmp_path: Path) -> AuditResult:
    """The real engine and rules on a legacy pilot: a README, a notebook, a dangling data link."""
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "source": "import pandas as pd",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    root = tmp_path / "legacy pilot"
    root.mkdir()
    (root / "data.csv").symlink_to("/nonexistent/export.csv")
    return audit_tree(
        root, {"README.md": "# Churn pilot\n", "notebooks/explore.ipynb": json.dumps(notebook)}
    )


@pytest.fixture(params=["purgatory", "in_production", "files_mode", "real_audit"])
def any_result(request: pytest.FixtureRequest) -> AuditResult:
    """Each kind of result every format must render correctly."""
    result: AuditResult = request.getfixturevalue(request.param)
    return result


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))
