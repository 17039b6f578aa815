"""The JSON report is a versioned contract: it says exactly what docs/schema promises."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError

from prodcheck import __version__
from prodcheck.engine import AuditResult
from prodcheck.findings import STAGE_NAMES, Finding, Principle, Severity
from prodcheck.report.json import render
from tests.report.conftest import REPORT_SCHEMA, ResultBuilder, load_json


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schema = load_json(REPORT_SCHEMA)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def report(result: AuditResult) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(render(result))
    return loaded


def finding_of(result: AuditResult, rule_id: str) -> dict[str, Any]:
    return next(f for f in report(result)["findings"] if f["rule"] == rule_id)


def test_every_report_validates_against_the_published_schema(
    validator: Draft202012Validator, any_result: AuditResult
) -> None:
    validator.validate(report(any_result))


def test_the_top_level_fields_are_exactly_the_contract(purgatory: AuditResult) -> None:
    assert list(report(purgatory)) == [
        "schema_version",
        "tool",
        "root",
        "stage",
        "summary",
        "findings",
        "suppressed",
        "files_mode",
    ]


def test_it_names_the_tool_the_version_and_the_absolute_root(purgatory: AuditResult) -> None:
    document = report(purgatory)
    assert document["schema_version"] == 1
    assert document["tool"] == {"name": "prodcheck", "version": __version__}
    assert document["root"] == "/work/pilot"


def test_the_stage_is_the_engines_verdict(purgatory: AuditResult) -> None:
    assert report(purgatory)["stage"] == {
        "reached": 0,
        "name": "pilot purgatory",
        "target": 3,
        "next_blockers": ["BC001", "OWN001"],
        "partial": False,
    }


def test_the_summary_counts_what_counts_and_what_was_suppressed(purgatory: AuditResult) -> None:
    assert report(purgatory)["summary"] == {"errors": 3, "warnings": 3, "suppressed": 3}


def test_a_finding_carries_its_rules_metadata(purgatory: AuditResult) -> None:
    assert finding_of(purgatory, "DATA001") == {
        "rule": "DATA001",
        "slug": "data-export-tracked",
        "severity": "error",
        "stage": 2,
        "principle": "data-pipeline",
        "message": "`data/churn export.csv` (2.1 MB) is a data export tracked in git.",
        "path": "data/churn export.csv",
        "line": None,
        "cell": None,
    }


@pytest.mark.parametrize(
    ("rule_id", "where"),
    [
        ("BC001", {"path": None, "line": None, "cell": None}),
        ("OWN001", {"path": "OWNERS", "line": 3, "cell": None}),
        ("NB003", {"path": "notebooks/explore.ipynb", "line": 4, "cell": 3}),
    ],
    ids=["repository", "file-line", "notebook-cell"],
)
def test_locations_are_relative_with_nulls_where_there_is_none(
    purgatory: AuditResult, rule_id: str, where: dict[str, Any]
) -> None:
    found = finding_of(purgatory, rule_id)
    assert {key: found[key] for key in where} == where


def test_findings_keep_the_engines_order(purgatory: AuditResult) -> None:
    assert [f["rule"] for f in report(purgatory)["findings"]] == [
        f.rule_id for f in purgatory.findings
    ]


def test_suppressed_findings_say_how_and_why(purgatory: AuditResult) -> None:
    assert report(purgatory)["suppressed"] == [
        {
            "rule": "LIFE004",
            "message": "No model card at `docs/model-card.md`.",
            "path": None,
            "line": None,
            "cell": None,
            "via": "baseline",
            "reason": ".prodcheck-baseline.json",
        },
        {
            "rule": "OWN002",
            "message": "Every role is held by @maria.",
            "path": "src/train.py",
            "line": 12,
            "cell": None,
            "via": "inline",
            "reason": "the <team> owns it all | for now",
        },
        {
            "rule": "DATA001",
            "message": "`tests/fixtures/sample.csv` is a data export.",
            "path": "tests/fixtures/sample.csv",
            "line": None,
            "cell": None,
            "via": "config",
            "reason": "per_path_ignores 'tests/**'",
        },
    ]


def test_files_mode_judges_no_stage(files_mode: AuditResult) -> None:
    document = report(files_mode)
    assert document["files_mode"] is True
    assert (document["stage"]["reached"], document["stage"]["name"]) == (None, None)


def test_a_real_audit_reports_a_dangling_symlink_by_its_relative_path(
    real_audit: AuditResult,
) -> None:
    document = report(real_audit)
    assert {"rule": "PC004", "path": "data.csv"}.items() <= finding_of(real_audit, "PC004").items()
    assert document["root"] == str(real_audit.root)


def test_non_ascii_messages_stay_readable(build_result: ResultBuilder) -> None:
    result = build_result(
        [Finding("BC001", Severity.ERROR, "ROI of -90 %: 50 000 € against 500 000 € for Zoë")]
    )
    assert "500 000 € for Zoë" in render(result)


def _schemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema that describes a field: each property and each $defs entry."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield f"{where}/properties/{name}", sub
            yield from _schemas(sub, f"{where}/properties/{name}")
        for name, sub in node.get("$defs", {}).items():
            yield f"{where}/$defs/{name}", sub
            yield from _schemas(sub, f"{where}/$defs/{name}")
        if isinstance(node.get("items"), dict):
            yield from _schemas(node["items"], f"{where}/items")


def test_the_schema_describes_every_field() -> None:
    undocumented = [
        where for where, sub in _schemas(load_json(REPORT_SCHEMA)) if not sub.get("description")
    ]
    assert undocumented == []


def test_the_schema_names_the_same_principles_and_stages_as_the_code() -> None:
    definitions = load_json(REPORT_SCHEMA)["$defs"]["finding"]["properties"]
    stage_names = load_json(REPORT_SCHEMA)["properties"]["stage"]["properties"]["name"]["enum"]
    assert definitions["principle"]["enum"] == [p.value for p in Principle]
    assert stage_names == [*STAGE_NAMES.values(), None]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda doc: doc.update(extra=True),
        lambda doc: doc["findings"][0].update(column=7),
        lambda doc: doc["stage"].update(reached=None),
        lambda doc: doc["findings"][0].update(path="/work/pilot/OWNERS"),
    ],
    ids=[
        "unknown-top-level-field",
        "unknown-finding-field",
        "no-stage-outside-files-mode",
        "absolute-path",
    ],
)
def test_the_schema_is_tight_enough_to_catch_a_broken_report(
    validator: Draft202012Validator, purgatory: AuditResult, tamper: Any
) -> None:
    document = report(purgatory)
    tamper(document)
    with pytest.raises(ValidationError):
        validator.validate(document)
