"""The terminal report: the verdict first, then what blocks each stage and how to fix it.

Written with plain ANSI codes rather than rich: this is what the pre-commit hook prints, and
importing rich would cost a third of its start-up budget.
"""

from __future__ import annotations

from itertools import groupby

from prodcheck import __version__
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, Severity
from prodcheck.report._common import location, section_title, summary, verdict

ANSI = {"bold": "1", "dim": "2", "underline": "4", "red": "31", "yellow": "33", "cyan": "36"}


def render(result: AuditResult, *, color: bool = False) -> str:
    paint = _Painter(color)
    lines = [
        paint(f"prodcheck {__version__} · {result.root}", "dim"),
        paint("; ".join(verdict(result)), "bold"),
    ]
    findings = sorted(result.findings, key=lambda f: (result.rule(f.rule_id).stage, f.rule_id))
    for stage, of_stage in groupby(findings, key=lambda f: result.rule(f.rule_id).stage):
        lines += ["", paint(section_title(stage), "bold", "underline")]
        for rule_id, of_rule in groupby(of_stage, key=lambda f: f.rule_id):
            lines += _rule_lines(result, rule_id, list(of_rule), paint)
    lines += ["", _closing_line(result)]
    return "\n".join(lines) + "\n"


class _Painter:
    """Wraps text in ANSI styles, or leaves it plain when colour is off."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not text:
            return text
        return f"\x1b[{';'.join(ANSI[s] for s in styles)}m{text}\x1b[0m"


def _rule_lines(
    result: AuditResult, rule_id: str, findings: list[Finding], paint: _Painter
) -> list[str]:
    rule = result.rule(rule_id)
    mark, tone = (
        ("✗", "red") if any(f.severity is Severity.ERROR for f in findings) else ("!", "yellow")
    )
    lines = [
        paint(f"  {mark} {rule.id} ", "bold", tone)
        + paint(rule.slug, tone)
        + paint(f"  {rule.severity.value}", "dim")
    ]
    for finding in findings:
        where = location(finding)
        lines.append("      " + (paint(f"{where}  ", "cyan") if where else "") + finding.message)
    lines.append(paint(f"      fix: {rule.remedy}", "dim"))
    return lines


def _closing_line(result: AuditResult) -> str:
    line = summary(result) + "."
    judged = result.verdict
    if not result.files_mode and judged.next_blockers:
        next_stage = (judged.reached or 0) + 1
        line += f" Fix {', '.join(judged.next_blockers)} to reach stage {next_stage}."
    return line
