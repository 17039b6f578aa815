"""The terminal report: the verdict first, then what blocks each stage and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from rich.console import Console
from rich.text import Text

from prodcheck import __version__
from prodcheck.engine import AuditResult, StageVerdict
from prodcheck.findings import FINAL_STAGE, STAGE_NAMES, Finding, Severity

REPORT_WIDTH = 100
SECTION_TITLES = {0: "About the audit itself", **{s: f"Stage {s}: {STAGE_NAMES[s]}" for s in range(1, 4)}}


def render(result: AuditResult, *, color: bool = False) -> str:
    console = Console(width=REPORT_WIDTH, force_terminal=color, no_color=not color,
                      highlight=False, soft_wrap=False, record=False)
    with console.capture() as capture:
        console.print(Text(f"prodcheck {__version__} · {result.root}", style="dim"))
        console.print(verdict_line(result), style="bold")
        for stage, findings in groupby(_by_stage(result), key=lambda f: result.rule(f.rule_id).stage):
            console.print()
            console.print(Text(SECTION_TITLES[stage], style="bold underline"))
            for rule_id, of_rule in groupby(findings, key=lambda f: f.rule_id):
                _print_rule(console, result, rule_id, list(of_rule))
        console.print()
        console.print(summary_line(result))
    return capture.get()


def verdict_line(result: AuditResult) -> str:
    """One sentence a lead can act on: where the repo stands and what blocks the next stage."""
    if result.files_mode:
        return f"Checked {_count(len(result.snapshot.files) if result.snapshot else 0, 'file')}: " + (
            f"{_count(len(result.errors), 'error')} must be fixed before committing"
            if result.errors else "no errors"
        )
    verdict: StageVerdict = result.verdict
    assert verdict.reached is not None
    line = f"Stage {verdict.reached} of {FINAL_STAGE}: {verdict.name}"
    if verdict.reached < FINAL_STAGE:
        next_stage = verdict.reached + 1
        blocking = [f for f in result.errors if result.rule(f.rule_id).stage == next_stage]
        verb = "blocks" if len(blocking) == 1 else "block"
        line += f"; {_count(len(blocking), 'error')} {verb} stage {next_stage}"
    target = f"target stage {verdict.target} " + ("reached" if verdict.passed else "not reached")
    line += f" ({target})"
    if verdict.partial:
        line += "; judged on the selected rules only"
    return line


def summary_line(result: AuditResult) -> str:
    parts = [_count(len(result.errors), "error"), _count(len(result.warnings), "warning")]
    if result.suppressed:
        parts.append(f"{len(result.suppressed)} suppressed")
    line = ", ".join(parts) + "."
    if not result.files_mode and result.verdict.next_blockers:
        line += f" Fix {', '.join(result.verdict.next_blockers)} to reach stage {(result.verdict.reached or 0) + 1}."
    return line


def _print_rule(console: Console, result: AuditResult, rule_id: str, findings: list[Finding]) -> None:
    rule = result.rule(rule_id)
    is_error = rule.severity is Severity.ERROR and any(f.severity is Severity.ERROR for f in findings)
    mark, style = ("✗", "red") if is_error else ("!", "yellow")
    console.print(Text.assemble((f"  {mark} {rule.id} ", f"bold {style}"), (rule.slug, style),
                                (f"  {rule.severity.value}", "dim")))
    for finding in findings:
        location = _location(finding)
        console.print(Text.assemble("      ", (f"{location}  " if location else "", "cyan"), finding.message))
    console.print(Text(f"      fix: {rule.remedy}", style="dim"))


def _by_stage(result: AuditResult) -> Iterable[Finding]:
    return sorted(result.findings, key=lambda f: (result.rule(f.rule_id).stage, f.rule_id, f.sort_key))


def _location(finding: Finding) -> str:
    if finding.path is None:
        return ""
    where = finding.path
    if finding.cell is not None:
        where += f" cell {finding.cell}"
    if finding.line is not None:
        where += f":{finding.line}"
    return where


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
