"""What every machine-readable reporter says the same way: docs links, locations, the verdict.

Kept in one place so a PR comment, a CI annotation, the JSON report and the SARIF log can
never describe the same audit in different words or point at different docs pages.
"""

from __future__ import annotations

from typing import Any

from prodcheck.engine import AuditResult
from prodcheck.findings import FINAL_STAGE, STAGE_NAMES, Finding

DOCS_URL = "https://prodcheck.readthedocs.io/en/latest/"
"""The published docs site; `docs/rules/<ID>.md` is served at `rules/<ID>/` beneath it."""


def rule_docs_url(rule_id: str) -> str:
    """The reference page of one rule, as SARIF `helpUri` and markdown links name it."""
    return f"{DOCS_URL}rules/{rule_id}/"


def location(finding: Finding) -> str | None:
    """`path`, `path:line`, `nb.ipynb cell 3` or `nb.ipynb cell 3:2`; None for a repo-level finding.

    In a notebook the line counts inside the cell, so the cell must be named for the line
    to mean anything.
    """
    if finding.path is None:
        return None
    where = finding.path
    if finding.cell is not None:
        where += f" cell {finding.cell}"
    if finding.line is not None:
        where += f":{finding.line}"
    return where


def message_with_cell(finding: Finding) -> str:
    """The message; in a notebook, followed by the cell, which no file line number can express."""
    if finding.cell is None:
        return finding.message
    where = f"cell {finding.cell}" + (f", line {finding.line}" if finding.line is not None else "")
    return f"{finding.message} (notebook {where})"


def section_title(stage: int) -> str:
    """Stage 0 holds the notes about the audit itself (unreadable files, crashed rules)."""
    return f"Stage {stage}: {STAGE_NAMES[stage]}" if stage else "About the audit itself"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def verdict(result: AuditResult) -> tuple[str, str]:
    """The verdict as (headline, details), e.g. ("Stage 0 of 3: pilot purgatory",
    "2 errors block stage 1: BC001, OWN001; target stage 3 not reached").

    Reporters decorate the headline (bold in markdown) and join the two; the words stay the
    same in every format.
    """
    if result.files_mode:
        checked = len(result.snapshot.files) if result.snapshot is not None else None
        headline = (
            "Checked the given files" if checked is None else f"Checked {plural(checked, 'file')}"
        )
        errors = len(result.errors)
        details = (
            f"{plural(errors, 'error')} must be fixed before committing" if errors else "no errors"
        )
        return headline, details
    judged = result.verdict
    reached = judged.reached or 0
    headline = f"Stage {reached} of {FINAL_STAGE}: {judged.name}"
    if reached < FINAL_STAGE and not judged.next_blockers:
        details = f"no rule of stage {reached + 1} ran, so it is not judged"
    elif reached < FINAL_STAGE:
        next_stage = reached + 1
        blocking = sum(1 for f in result.errors if result.rule(f.rule_id).stage == next_stage)
        verb = "blocks" if blocking == 1 else "block"
        details = (
            f"{plural(blocking, 'error')} {verb} stage {next_stage}: "
            f"{', '.join(judged.next_blockers)}"
        )
    else:
        details = "every stage passes"
    details += f"; target stage {judged.target} " + ("reached" if judged.passed else "not reached")
    if judged.partial:
        details += "; judged on the selected rules only"
    return headline, details


def summary(result: AuditResult) -> str:
    """`3 errors, 1 warning, 2 suppressed`: the counts a reviewer scans for."""
    parts = [plural(len(result.errors), "error"), plural(len(result.warnings), "warning")]
    if result.suppressed:
        parts.append(f"{len(result.suppressed)} suppressed")
    return ", ".join(parts)


def stage_as_dict(result: AuditResult) -> dict[str, Any]:
    """The `stage` object of the JSON report (also carried in the SARIF run's properties)."""
    judged = result.verdict
    return {
        "reached": judged.reached,
        "name": judged.name,
        "target": judged.target,
        "next_blockers": list(judged.next_blockers),
        "partial": judged.partial,
    }
