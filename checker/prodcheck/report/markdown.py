"""Markdown for pull-request comments and CI job summaries (GitHub-flavoured).

A reviewer reads it top-down and stops early: the verdict first, then what counts per stage,
then how to reach the next stage; suppressed findings stay folded away but visible, with
their reasons, so a suppression is never silent.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from itertools import groupby

from prodcheck import __version__
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, SuppressedFinding
from prodcheck.report._common import (
    DOCS_URL,
    location,
    rule_docs_url,
    section_title,
    summary,
    verdict,
)

CODE_SPAN = re.compile(r"(`[^`]*`)")
TABLE_HEADER = "| Rule | Severity | Location | Message |\n|---|---|---|---|"


def render(result: AuditResult) -> str:
    headline, details = verdict(result)
    blocks = [f"**{headline}** — {details}", f"{summary(result)}."]
    if result.files_mode:
        if result.findings:
            blocks.append(_table(result.findings))
    else:
        for stage, findings in groupby(
            _by_stage(result), key=lambda f: result.rule(f.rule_id).stage
        ):
            blocks.append(f"### {section_title(stage)}\n\n{_table(findings)}")
        blocks.extend(_remedies(result))
    if result.suppressed:
        blocks.append(_suppressed(result.suppressed))
    blocks.append(f"<sub>prodcheck {__version__} · [rule reference]({DOCS_URL}rules/)</sub>")
    return "\n\n".join(blocks) + "\n"


def _by_stage(result: AuditResult) -> list[Finding]:
    return sorted(
        result.findings, key=lambda f: (result.rule(f.rule_id).stage, f.rule_id, f.sort_key)
    )


def _table(findings: Iterable[Finding]) -> str:
    rows = [
        (
            _rule_link(f.rule_id),
            f.severity.value,
            _where(f, table=True),
            _escape(f.message, table=True),
        )
        for f in findings
    ]
    return "\n".join([TABLE_HEADER, *("| " + " | ".join(row) + " |" for row in rows)])


def _remedies(result: AuditResult) -> list[str]:
    blockers = result.verdict.next_blockers
    if not blockers:
        return []
    next_stage = (result.verdict.reached or 0) + 1
    items = [
        f"- {_rule_link(rule.id)} `{rule.slug}`: {_escape(rule.remedy)}"
        for rule in (result.rule(rule_id) for rule_id in blockers)
    ]
    return [f"### How to reach stage {next_stage}\n\n" + "\n".join(items)]


def _suppressed(suppressed: list[SuppressedFinding]) -> str:
    items = []
    for entry in suppressed:
        finding, why = entry.finding, entry.suppression
        what = f"{_rule_link(finding.rule_id)} {_where(finding, table=False)}"
        why_not = f"suppressed via {why.via}: {_escape(why.reason)}"
        items.append(f"- {what}: {_escape(finding.message)} — {why_not}")
    count = len(suppressed)
    title = f"{count} suppressed finding" + ("" if count == 1 else "s")
    # The blank line after <summary> lets GitHub render the list inside as markdown.
    return f"<details>\n<summary>{title}</summary>\n\n" + "\n".join(items) + "\n\n</details>"


def _rule_link(rule_id: str) -> str:
    return f"[{rule_id}]({rule_docs_url(rule_id)})"


def _where(finding: Finding, *, table: bool) -> str:
    where = location(finding)
    if where is None:
        return "repository"
    # A path can hold anything a file name can: a backtick needs a longer fence, and a pipe
    # or newline would break the table row.
    where = where.replace("\r", " ").replace("\n", " ")
    if table:
        where = where.replace("|", "\\|")
    return f"`` {where} ``" if "`" in where else f"`{where}`"


def _escape(text: str, *, table: bool = False) -> str:
    """Make rule or user text inert in markdown: `<owner>` must not vanish as an HTML tag, and
    in a table a pipe must not open a column nor a newline end the row.

    Code spans (paths in backticks, as messages write them) keep their text; only pipes and
    newlines, which would break the table around them, are changed inside them.
    """
    parts = []
    for part in CODE_SPAN.split(text):
        if part.startswith("`") and part.endswith("`") and len(part) > 1:
            part = part.replace("\r", " ").replace("\n", " ")
        else:
            part = (
                html.escape(part, quote=False)
                .replace("\r\n", "\n")
                .replace("\r", "\n")
                .replace("\n", "<br>")
            )
        parts.append(part.replace("|", "\\|") if table else part)
    return "".join(parts)
