"""GitHub Actions workflow commands: each finding that counts becomes an annotation.

Annotations appear on the pull request's changed files and in the run summary without any
upload step, so they suit repositories without code scanning. The last line is a notice with
the verdict, so the run summary says where the repository stands even when nothing failed.
"""

from __future__ import annotations

from prodcheck.engine import AuditResult
from prodcheck.findings import Finding
from prodcheck.report._common import message_with_cell, summary, verdict


def render(result: AuditResult) -> str:
    lines = [_annotation(result, finding) for finding in result.findings]
    headline, details = verdict(result)
    lines.append(
        f"::notice title=prodcheck::{escape_data(f'{headline} — {details}. {summary(result)}.')}"
    )
    return "\n".join(lines) + "\n"


def _annotation(result: AuditResult, finding: Finding) -> str:
    rule = result.rule(finding.rule_id)
    properties: dict[str, str] = {}
    if finding.path is not None:
        properties["file"] = finding.path
        # A notebook's line counts inside its cell, not in the .ipynb file: the message names it.
        if finding.line is not None and finding.cell is None:
            properties["line"] = str(finding.line)
    properties["title"] = f"{rule.id} {rule.slug}"
    joined = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{finding.severity.value} {joined}::{escape_data(message_with_cell(finding))}"


def escape_data(text: str) -> str:
    """Escape a command's message as @actions/core does, so a newline cannot end the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value: also `:` and `,`, which would end the value early."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
