"""GitLab Code Quality: the issues a `codequality` artifact holds, with fingerprints that last."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from prodcheck.baseline import fingerprint
from prodcheck.config import Config
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, Severity
from prodcheck.report.gitlab import render
from prodcheck.snapshot import Snapshot
from tests.helpers import audit_tree, build_tree
from tests.report.conftest import NO_CASE, NO_ON_CALL, ResultBuilder

CODE_QUALITY_SCHEMA: dict[str, Any] = {
    "$comment": "The fields GitLab's Code Quality report format documents as required "
    "(docs.gitlab.com/ci/testing/code_quality/, 'Code Quality report format').",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    # Relative to the repository root, without a leading `./` or `/`.
                    "path": {"type": "string", "pattern": r"^(?!\./|/)\S"},
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}

PILOT = {
    "README.md": "# Churn pilot\n",
    "train.py": """
        import pandas as pd

        df = pd.read_csv("/home/maria/exports/churn.csv")
        again = pd.read_csv("/home/maria/exports/churn.csv")
        """,
}


def issues(result: AuditResult) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(render(result))
    return loaded


def issue_for(result: AuditResult, rule_id: str) -> dict[str, Any]:
    return next(i for i in issues(result) if i["check_name"] == rule_id)


def fingerprints(result: AuditResult) -> list[str]:
    return [i["fingerprint"] for i in issues(result)]


def test_every_report_has_the_fields_gitlab_documents(any_result: AuditResult) -> None:
    Draft202012Validator(CODE_QUALITY_SCHEMA).validate(issues(any_result))


def test_one_issue_per_finding_that_counts(purgatory: AuditResult) -> None:
    assert [i["check_name"] for i in issues(purgatory)] == [f.rule_id for f in purgatory.findings]


def test_an_issue_names_its_rule_and_says_what_is_wrong(purgatory: AuditResult) -> None:
    assert issue_for(purgatory, "OWN001") == {
        "description": "OWN001: `OWNERS` names no `on_call`, so an alert at night reaches nobody.",
        "check_name": "OWN001",
        "fingerprint": fingerprint(NO_ON_CALL, Snapshot(purgatory.root, (), Config())),
        "severity": "major",
        "location": {"path": "OWNERS", "lines": {"begin": 3}},
    }


@pytest.mark.parametrize(("rule_id", "severity"), [("BC001", "major"), ("OWN002", "minor")])
def test_errors_are_major_and_warnings_minor(
    purgatory: AuditResult, rule_id: str, severity: str
) -> None:
    assert issue_for(purgatory, rule_id)["severity"] == severity


def test_a_notebook_issue_is_on_the_files_first_line_and_names_the_cell(
    purgatory: AuditResult,
) -> None:
    found = issue_for(purgatory, "NB003")
    assert found["location"] == {"path": "notebooks/explore.ipynb", "lines": {"begin": 1}}
    assert found["description"].endswith("(notebook cell 3, line 4)")


def test_a_repository_level_issue_is_shown_on_the_readme(
    build_result: ResultBuilder, tmp_path: Path
) -> None:
    build_tree(tmp_path, {"README.md": "# pilot\n"})
    result = build_result([NO_CASE])
    result.snapshot = Snapshot.scan(tmp_path, Config())
    found = issue_for(result, "BC001")
    assert found["location"] == {"path": "README.md", "lines": {"begin": 1}}
    assert "whole repository" in found["description"]


def test_suppressed_and_baselined_findings_are_not_issues(purgatory: AuditResult) -> None:
    paths = {i["location"]["path"] for i in issues(purgatory)}
    assert "tests/fixtures/sample.csv" not in paths
    assert "LIFE004" not in {i["check_name"] for i in issues(purgatory)}


def test_fingerprints_are_unique_even_for_identical_lines(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, PILOT, select=["DATA003"])
    assert len(result.findings) == 2
    assert len(set(fingerprints(result))) == 2


def test_fingerprints_are_the_same_on_every_run(tmp_path: Path) -> None:
    build_tree(tmp_path, PILOT)
    assert fingerprints(audit_tree(tmp_path)) == fingerprints(audit_tree(tmp_path))


def test_fingerprints_survive_lines_moving(tmp_path: Path) -> None:
    before = {i["check_name"] + i["fingerprint"] for i in issues(audit_tree(tmp_path, PILOT))}
    moved = {"train.py": "# Load the export.\n\n\n" + (tmp_path / "train.py").read_text()}
    after = {i["check_name"] + i["fingerprint"] for i in issues(audit_tree(tmp_path, moved))}
    assert before == after


def test_a_fingerprint_is_the_findings_baseline_entry(tmp_path: Path) -> None:
    result = audit_tree(tmp_path, PILOT, select=["DATA003"])
    assert result.snapshot is not None
    first = result.findings[0]
    assert fingerprints(result)[0] == fingerprint(first, result.snapshot)


def test_identical_findings_get_numbered_fingerprints(build_result: ResultBuilder) -> None:
    twice = [NO_ON_CALL, Finding("OWN001", Severity.ERROR, NO_ON_CALL.message, "OWNERS", 9)]
    first, second = fingerprints(build_result(twice))
    assert second == f"{first}-2"


def test_a_clean_repository_is_an_empty_list(in_production: AuditResult) -> None:
    assert render(in_production) == "[]\n"
