"""The markdown report as a reviewer reads it in a PR comment or a CI job summary."""

from __future__ import annotations

import re

import pytest

from prodcheck.engine import AuditResult, StageVerdict
from prodcheck.findings import Finding, Severity
from prodcheck.report.markdown import render
from tests.report.conftest import ResultBuilder

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def row_of(markdown: str, rule_id: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith(f"| [{rule_id}]("))


def rendered_message(build_result: ResultBuilder, message: str) -> str:
    return row_of(
        render(build_result([Finding("OWN001", Severity.ERROR, message, "OWNERS", 3)])), "OWN001"
    )


def test_the_verdict_comes_first(purgatory: AuditResult) -> None:
    assert render(purgatory).splitlines()[0] == (
        "**Stage 0 of 3: pilot purgatory** — 2 errors block stage 1: BC001, OWN001; "
        "target stage 3 not reached"
    )


def test_the_counts_follow_the_verdict(purgatory: AuditResult) -> None:
    assert render(purgatory).splitlines()[2] == "3 errors, 3 warnings, 3 suppressed."


def test_a_partial_verdict_says_so(purgatory: AuditResult) -> None:
    purgatory.verdict = StageVerdict(0, 3, ("BC001", "OWN001"), partial=True)
    assert "judged on the selected rules only" in render(purgatory).splitlines()[0]


def test_a_repository_in_production_says_every_stage_passes(in_production: AuditResult) -> None:
    markdown = render(in_production)
    assert markdown.splitlines()[0] == (
        "**Stage 3 of 3: in production** — every stage passes; target stage 3 reached"
    )
    assert "###" not in markdown


def test_findings_are_grouped_in_stage_order(purgatory: AuditResult) -> None:
    markdown = render(purgatory)
    titles = [
        "### About the audit itself",
        "### Stage 1: business case validated",
        "### Stage 2: production foundation",
    ]
    positions = [markdown.index(title) for title in titles]
    assert positions == sorted(positions)
    assert (
        markdown.index("| [OWN001](")
        < markdown.index("### Stage 2")
        < markdown.index("| [DATA001](")
    )


def test_rule_ids_link_to_their_docs_page(purgatory: AuditResult) -> None:
    assert row_of(render(purgatory), "BC001").startswith(
        "| [BC001](https://prodcheck.readthedocs.io/en/latest/rules/BC001/) | error |"
    )


@pytest.mark.parametrize(
    ("rule_id", "location"),
    [
        ("BC001", "repository"),
        ("OWN001", "`OWNERS:3`"),
        ("NB003", "`notebooks/explore.ipynb cell 3:4`"),
        ("DATA001", "`data/churn export.csv`"),
    ],
    ids=["repository", "file-line", "notebook-cell", "whole-file"],
)
def test_each_row_shows_where_the_finding_is(
    purgatory: AuditResult, rule_id: str, location: str
) -> None:
    assert row_of(render(purgatory), rule_id).split(" | ")[2] == location


def test_a_pipe_in_a_message_stays_inside_its_cell(purgatory: AuditResult) -> None:
    row = row_of(render(purgatory), "OWN002")
    assert "Every role is held by @maria \\| one person." in row
    assert len(UNESCAPED_PIPE.findall(row)) == 5


def test_a_newline_in_a_message_stays_in_its_row(build_result: ResultBuilder) -> None:
    assert rendered_message(build_result, "first line\nsecond line").endswith(
        "| first line<br>second line |"
    )


def test_html_in_a_message_is_shown_not_interpreted(build_result: ResultBuilder) -> None:
    row = rendered_message(build_result, "owner is <unset>, placeholder `<...>` left | fix it")
    assert "owner is &lt;unset&gt;, placeholder `<...>` left \\| fix it" in row


def test_the_remedies_of_the_next_blockers_follow_the_tables(purgatory: AuditResult) -> None:
    markdown = render(purgatory)
    section = markdown[markdown.index("### How to reach stage 1") :]
    link = "[BC001](https://prodcheck.readthedocs.io/en/latest/rules/BC001/)"
    remedy = "Copy the template's file for BC001 and fill in every `<...>` placeholder."
    assert f"- {link} `business-case-missing`: {remedy}" in section
    assert "[OWN001](" in section
    assert "DATA001" not in section.split("<details>")[0]


def test_suppressed_findings_are_folded_away_with_their_reasons(purgatory: AuditResult) -> None:
    markdown = render(purgatory)
    folded = markdown[markdown.index("<details>") : markdown.index("</details>")]
    assert "<summary>3 suppressed findings</summary>\n\n" in folded
    assert "suppressed via inline: the &lt;team&gt; owns it all | for now" in folded
    assert "`tests/fixtures/sample.csv`" in folded
    assert "| [DATA001](" not in folded


def test_without_suppressions_there_is_nothing_to_unfold(in_production: AuditResult) -> None:
    assert "<details>" not in render(in_production)


def test_files_mode_lists_the_findings_without_a_stage(files_mode: AuditResult) -> None:
    markdown = render(files_mode)
    assert markdown.splitlines()[0] == (
        "**Checked the given files** — 1 error must be fixed before committing"
    )
    assert "Stage" not in markdown
    assert "| [DATA001](" in markdown and "| [NB003](" in markdown


def test_a_real_audit_renders_every_finding(real_audit: AuditResult) -> None:
    markdown = render(real_audit)
    assert markdown.startswith("**Stage 0 of 3: pilot purgatory**")
    assert all(f"| [{f.rule_id}](" in markdown for f in real_audit.findings)
