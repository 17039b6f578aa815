"""The terminal report: the verdict first, then what blocks each stage and how to fix it."""

from __future__ import annotations

from itertools import groupby

from rich.console import Console
from rich.text import Text

from prodcheck import __version__
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, Severity
from prodcheck.report._common import location, section_title, summary, verdict

REPORT_WIDTH = 100


def render(result: AuditResult, *, color: bool = False) -> str:
    console = Console(
        width=REPORT_WIDTH,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        soft_wrap=False,
    )
    with console.capture() as capture:
        console.print(Text(f"prodcheck {__version__} · {result.root}", style="dim"))
        console.print(Text("; ".join(verdict(result)), style="bold"))
        findings = sorted(result.findings, key=lambda f: (result.rule(f.rule_id).stage, f.rule_id))
        for stage, of_stage in groupby(findings, key=lambda f: result.rule(f.rule_id).stage):
            console.print()
            console.print(Text(section_title(stage), style="bold underline"))
            for rule_id, of_rule in groupby(of_stage, key=lambda f: f.rule_id):
                _print_rule(console, result, rule_id, list(of_rule))
        console.print()
        console.print(Text(_closing_line(result)))
    return capture.get()


def _closing_line(result: AuditResult) -> str:
    line = summary(result) + "."
    judged = result.verdict
    if not result.files_mode and judged.next_blockers:
        next_stage = (judged.reached or 0) + 1
        line += f" Fix {', '.join(judged.next_blockers)} to reach stage {next_stage}."
    return line


def _print_rule(
    console: Console, result: AuditResult, rule_id: str, findings: list[Finding]
) -> None:
    rule = result.rule(rule_id)
    blocking = any(f.severity is Severity.ERROR for f in findings)
    mark, style = ("✗", "red") if blocking else ("!", "yellow")
    console.print(
        Text.assemble(
            (f"  {mark} {rule.id} ", f"bold {style}"),
            (rule.slug, style),
            (f"  {rule.severity.value}", "dim"),
        )
    )
    for finding in findings:
        where = location(finding)
        console.print(
            Text.assemble("      ", (f"{where}  " if where else "", "cyan"), finding.message)
        )
    console.print(Text(f"      fix: {rule.remedy}", style="dim"))
