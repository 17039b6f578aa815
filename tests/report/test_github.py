"""GitHub Actions annotations: one workflow command per finding, escaped so none can break."""

from __future__ import annotations

import re

import pytest

from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, Severity
from prodcheck.report.github import render
from tests.report.conftest import ResultBuilder

COMMAND = re.compile(
    r"^::(?P<command>error|warning|notice)(?: (?P<properties>[^:]*))?::(?P<message>.*)$"
)


def unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse(line: str) -> tuple[str, dict[str, str], str]:
    """Read a workflow command back the way the runner does."""
    match = COMMAND.match(line)
    assert match, line
    properties = dict(p.split("=", 1) for p in (match["properties"] or "").split(",") if p)
    return (
        match["command"],
        {k: unescape(v) for k, v in properties.items()},
        unescape(match["message"]),
    )


def annotation_for(result: AuditResult, rule_id: str) -> str:
    return next(line for line in render(result).splitlines() if f"title={rule_id} " in line)


def test_one_annotation_per_finding_that_counts_then_the_verdict(purgatory: AuditResult) -> None:
    lines = render(purgatory).splitlines()
    assert len(lines) == len(purgatory.findings) + 1
    assert [parse(line)[0] for line in lines] == [f.severity.value for f in purgatory.findings] + [
        "notice"
    ]


def test_an_error_on_a_line_annotates_that_line(purgatory: AuditResult) -> None:
    assert annotation_for(purgatory, "OWN001") == (
        "::error file=OWNERS,line=3,title=OWN001 owners-missing::"
        "`OWNERS` names no `on_call`, so an alert at night reaches nobody."
    )


def test_a_warning_is_a_warning(purgatory: AuditResult) -> None:
    assert annotation_for(purgatory, "OWN002").startswith(
        "::warning file=OWNERS,line=1,title=OWN002 "
    )


def test_a_repository_level_finding_names_no_file(purgatory: AuditResult) -> None:
    assert annotation_for(purgatory, "BC001").startswith(
        "::error title=BC001 business-case-missing::"
    )


def test_a_notebook_annotation_names_the_cell_not_a_file_line(purgatory: AuditResult) -> None:
    _, properties, message = parse(annotation_for(purgatory, "NB003"))
    assert properties == {
        "file": "notebooks/explore.ipynb",
        "title": "NB003 notebook-large-outputs",
    }
    assert message.endswith("(notebook cell 3, line 4)")


def test_suppressed_findings_are_not_annotated(purgatory: AuditResult) -> None:
    assert "tests/fixtures/sample.csv" not in render(purgatory)


@pytest.mark.parametrize(
    ("message", "escaped"),
    [
        ("100% of rows", "100%25 of rows"),
        ("first\nsecond", "first%0Asecond"),
        ("first\r\nsecond", "first%0D%0Asecond"),
        ("ROI: -90%, so stop", "ROI: -90%25, so stop"),
    ],
    ids=["percent", "newline", "crlf", "colon-and-comma-stay-in-messages"],
)
def test_messages_are_escaped_so_they_cannot_end_the_command(
    build_result: ResultBuilder, message: str, escaped: str
) -> None:
    result = build_result([Finding("OWN001", Severity.ERROR, message, "OWNERS", 3)])
    line = annotation_for(result, "OWN001")
    assert line.endswith(f"::{escaped}")
    assert "\n" not in line and "\r" not in line


def test_property_values_escape_colons_and_commas(build_result: ResultBuilder) -> None:
    result = build_result([Finding("DATA001", Severity.ERROR, "Tracked.", "data/q1,q2: 100%.csv")])
    assert annotation_for(result, "DATA001").startswith(
        "::error file=data/q1%2Cq2%3A 100%25.csv,title=DATA001 data-export-tracked::"
    )


def test_every_line_parses_back_to_the_finding(any_result: AuditResult) -> None:
    lines = render(any_result).splitlines()
    for line, finding in zip(lines, any_result.findings, strict=False):
        command, properties, message = parse(line)
        assert command == finding.severity.value
        assert properties.get("file") == finding.path
        assert message.startswith(finding.message)


def test_the_last_line_is_a_notice_with_the_verdict(purgatory: AuditResult) -> None:
    assert render(purgatory).splitlines()[-1] == (
        "::notice title=prodcheck::Stage 0 of 3: pilot purgatory — 2 errors block stage 1: "
        "BC001, OWN001; target stage 3 not reached. 3 errors, 3 warnings, 3 suppressed."
    )


def test_files_mode_ends_with_what_blocks_the_commit(files_mode: AuditResult) -> None:
    assert render(files_mode).splitlines()[-1] == (
        "::notice title=prodcheck::Checked the given files — 1 error must be fixed before "
        "committing. 1 error, 1 warning."
    )
