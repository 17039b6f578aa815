"""The terminal report: the verdict comes first and every failing rule says how to fix it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from prodcheck.engine import AuditResult, StageVerdict, stage_verdict
from prodcheck.findings import Finding, Principle, Scope, Severity, Violation
from prodcheck.registry import Registry, Rule, rule
from prodcheck.report.text import render


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    for rule_id, stage, severity in [
        ("AA001", 1, Severity.ERROR),
        ("AA002", 1, Severity.WARNING),
        ("BB001", 2, Severity.ERROR),
    ]:
        rule(
            rule_id,
            f"fake-rule-{rule_id.lower()}",
            stage=stage,
            principle=Principle.ENGINEERING,
            severity=severity,
            scope=Scope.REPO,
            summary="A fake rule.",
            remedy=f"Do what {rule_id} asks.",
            registry=registry,
        )(_documented)
    return registry


def _documented(repo: object) -> Iterator[Violation]:
    """A rationale, because the registry insists on one."""
    yield from ()


def result_with(
    registry: Registry, findings: list[Finding], *, target: int = 3, files_mode: bool = False
) -> AuditResult:
    rules: list[Rule] = list(registry)
    verdict = (
        StageVerdict(None, target, ())
        if files_mode
        else stage_verdict(rules, findings, registry, target)
    )
    return AuditResult(Path("/repo"), rules, findings, [], verdict, registry, files_mode)


def test_the_verdict_comes_first_and_counts_the_blockers(registry: Registry) -> None:
    findings = [
        Finding("AA001", Severity.ERROR, "No case.", "docs/case.md", 3),
        Finding("AA001", Severity.ERROR, "No owner."),
        Finding("BB001", Severity.ERROR, "No container."),
    ]
    lines = render(result_with(registry, findings)).splitlines()
    assert lines[0] == "prodcheck 0.1.0 · /repo"
    assert lines[1] == (
        "Stage 0 of 3: pilot purgatory; 2 errors block stage 1: AA001; target stage 3 not reached"
    )


def test_findings_are_grouped_by_stage_with_location_and_remedy(registry: Registry) -> None:
    findings = [
        Finding("BB001", Severity.ERROR, "No container."),
        Finding("AA001", Severity.ERROR, "No case.", "docs/case.md", 3),
    ]
    text = render(result_with(registry, findings))
    stage_1, stage_2 = (
        text.index("Stage 1: business case validated"),
        text.index("Stage 2: production foundation"),
    )
    assert stage_1 < text.index("docs/case.md:3  No case.") < stage_2 < text.index("No container.")
    assert "fix: Do what AA001 asks." in text


def test_notebook_findings_name_the_cell(registry: Registry) -> None:
    findings = [Finding("AA002", Severity.WARNING, "Large outputs.", "nb/explore.ipynb", 2, cell=4)]
    assert "nb/explore.ipynb cell 4:2  Large outputs." in render(result_with(registry, findings))


def test_reached_target_says_so(registry: Registry) -> None:
    findings = [Finding("BB001", Severity.ERROR, "No container.")]
    text = render(result_with(registry, findings, target=1))
    assert (
        "Stage 1 of 3: business case validated; 1 error blocks stage 2: BB001; "
        "target stage 1 reached"
    ) in text
    assert text.rstrip().endswith("1 error, 0 warnings. Fix BB001 to reach stage 2.")


def test_files_mode_has_no_stage(registry: Registry) -> None:
    findings = [Finding("AA002", Severity.WARNING, "Large outputs.", "nb.ipynb")]
    text = render(result_with(registry, findings, files_mode=True))
    assert "Stage 0" not in text
    assert "no errors" in text


@pytest.mark.parametrize(("color", "has_escape_codes"), [(False, False), (True, True)])
def test_color_only_when_asked(registry: Registry, color: bool, has_escape_codes: bool) -> None:
    text = render(
        result_with(registry, [Finding("AA001", Severity.ERROR, "No case.")]), color=color
    )
    assert ("\x1b[" in text) is has_escape_codes
