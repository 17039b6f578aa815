"""SARIF: valid against the official 2.1.0 schema and shaped the way GitHub code scanning needs."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from jsonschema import validators

from prodcheck import __version__
from prodcheck.config import Config
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, Severity
from prodcheck.registry import Registry
from prodcheck.report._common import DOCS_URL
from prodcheck.report.sarif import GITHUB_DESCRIPTION_LIMIT, render
from prodcheck.snapshot import Snapshot
from tests.helpers import build_tree
from tests.report.conftest import (
    NO_CASE,
    NO_ON_CALL,
    RULES,
    SARIF_SCHEMA,
    ResultBuilder,
    load_json,
    make_rule,
)


def sarif(result: AuditResult) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(render(result))
    return loaded


def run_of(result: AuditResult) -> dict[str, Any]:
    run: dict[str, Any] = sarif(result)["runs"][0]
    return run


def results_for(result: AuditResult, rule_id: str) -> list[dict[str, Any]]:
    return [r for r in run_of(result)["results"] if r["ruleId"] == rule_id]


def descriptor(result: AuditResult, rule_id: str) -> dict[str, Any]:
    return next(r for r in run_of(result)["tool"]["driver"]["rules"] if r["id"] == rule_id)


def test_the_vendored_schema_is_the_official_errata_01_file() -> None:
    digest = hashlib.sha256(SARIF_SCHEMA.read_bytes()).hexdigest()
    assert digest == "ddddcccbf95c7c50c037b5b07eff4140556278ca574ff374db46786b5fce7949"


def test_every_log_validates_against_the_official_schema(any_result: AuditResult) -> None:
    schema = load_json(SARIF_SCHEMA)
    validator_class = validators.validator_for(schema)  # draft-04, as the schema declares
    validator_class(schema, format_checker=validator_class.FORMAT_CHECKER).validate(
        sarif(any_result)
    )


def test_every_result_points_at_its_own_rule_descriptor(any_result: AuditResult) -> None:
    run = run_of(any_result)
    rules = run["tool"]["driver"]["rules"]
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in run["results"])


def test_the_driver_names_the_tool_and_its_version(purgatory: AuditResult) -> None:
    driver = run_of(purgatory)["tool"]["driver"]
    assert (driver["name"], driver["version"], driver["semanticVersion"]) == (
        "prodcheck",
        __version__,
        __version__,
    )
    assert driver["informationUri"] == DOCS_URL


def test_the_driver_lists_every_rule_that_ran_and_any_other_a_finding_names(
    build_result: ResultBuilder, report_registry: Registry
) -> None:
    ran = [r for r in report_registry if r.id != "PC005"]
    crashed = Finding("PC005", Severity.WARNING, "rule DATA001 crashed (KeyError: 'x')")
    result = build_result([crashed], rules=ran)
    ids = [r["id"] for r in run_of(result)["tool"]["driver"]["rules"]]
    assert ids == [*(r.id for r in ran), "PC005"]


def test_a_rule_descriptor_carries_what_github_shows_beside_an_alert(
    purgatory: AuditResult,
) -> None:
    rule = purgatory.rule("BC001")
    described = descriptor(purgatory, "BC001")
    assert described["name"] == "business-case-missing"
    assert described["shortDescription"] == {"text": rule.summary}
    assert described["fullDescription"] == {"text": rule.rationale}
    assert described["helpUri"] == "https://prodcheck.readthedocs.io/en/latest/rules/BC001/"
    assert described["defaultConfiguration"] == {"level": "error"}
    assert described["properties"]["tags"] == ["business-case", "stage-1"]
    assert described["properties"]["precision"] == "high"


@pytest.mark.parametrize("form", ["text", "markdown"])
def test_rule_help_gives_the_rationale_and_the_remedy(purgatory: AuditResult, form: str) -> None:
    rule = purgatory.rule("OWN001")
    help_text = descriptor(purgatory, "OWN001")["help"][form]
    assert rule.rationale in help_text
    assert rule.remedy in help_text


def test_long_descriptions_are_clipped_to_githubs_limit(build_result: ResultBuilder) -> None:
    registry = Registry()
    registry.add(make_rule("BC001", *RULES["BC001"], rationale="Nobody can decide. " * 200))
    text = descriptor(build_result([], registry=registry), "BC001")["fullDescription"]["text"]
    assert len(text) <= GITHUB_DESCRIPTION_LIMIT
    assert text.endswith("…")


@pytest.mark.parametrize(
    ("rule_id", "level"), [("BC001", "error"), ("OWN002", "warning"), ("PC004", "warning")]
)
def test_a_results_level_is_its_severity(purgatory: AuditResult, rule_id: str, level: str) -> None:
    assert results_for(purgatory, rule_id)[0]["level"] == level


def test_a_finding_on_a_line_is_shown_on_that_line(purgatory: AuditResult) -> None:
    [found] = results_for(purgatory, "OWN001")
    assert found["locations"] == [
        {
            "physicalLocation": {
                "artifactLocation": {"uri": "OWNERS", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3},
            }
        }
    ]


def test_a_path_is_a_percent_encoded_relative_uri_on_its_first_line(purgatory: AuditResult) -> None:
    [counted] = [r for r in results_for(purgatory, "DATA001") if "suppressions" not in r]
    physical = counted["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "data/churn%20export.csv"
    assert physical["region"] == {"startLine": 1}


def test_a_notebook_finding_names_its_cell_since_no_file_line_can(purgatory: AuditResult) -> None:
    [found] = results_for(purgatory, "NB003")
    assert found["message"]["text"].endswith("(notebook cell 3, line 4)")
    assert found["properties"] == {"cell": 3, "cellLine": 4}
    assert found["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}


@pytest.mark.parametrize(
    ("files", "anchor"),
    [
        ({"README.md": "# pilot\n", "pyproject.toml": "[project]\nname = 'x'\n"}, "README.md"),
        ({"pyproject.toml": "[project]\nname = 'x'\n", "train.py": "print(1)\n"}, "pyproject.toml"),
        ({"train.py": "print(1)\n"}, "README.md"),
    ],
    ids=["readme", "pyproject-without-readme", "nothing-to-anchor-on"],
)
def test_a_repository_level_finding_is_anchored_on_a_file_the_repository_has(
    build_result: ResultBuilder, tmp_path: Path, files: dict[str, str], anchor: str
) -> None:
    build_tree(tmp_path, files)
    result = build_result([NO_CASE])
    result.snapshot = Snapshot.scan(tmp_path, Config())
    [found] = results_for(result, "BC001")
    location = found["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == anchor
    assert location["physicalLocation"]["region"] == {"startLine": 1}
    assert "whole repository" in location["message"]["text"]
    assert found["properties"] == {"repositoryLevel": True}


def test_every_result_has_the_location_github_requires(any_result: AuditResult) -> None:
    for found in run_of(any_result)["results"]:
        physical = found["locations"][0]["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        assert physical["region"]["startLine"] >= 1


def test_fingerprints_ignore_the_line_so_alerts_survive_edits_above(
    build_result: ResultBuilder,
) -> None:
    moved = Finding(NO_ON_CALL.rule_id, NO_ON_CALL.severity, NO_ON_CALL.message, "OWNERS", 40)
    before, after = (results_for(build_result([f]), "OWN001")[0] for f in (NO_ON_CALL, moved))
    assert before["partialFingerprints"] == after["partialFingerprints"]


def test_identical_findings_get_distinct_fingerprints(build_result: ResultBuilder) -> None:
    twice = [NO_ON_CALL, Finding("OWN001", Severity.ERROR, NO_ON_CALL.message, "OWNERS", 9)]
    hashes = [
        r["partialFingerprints"]["primaryLocationLineHash"]
        for r in results_for(build_result(twice), "OWN001")
    ]
    assert hashes[0].split(":")[0] == hashes[1].split(":")[0]
    assert [h.split(":")[1] for h in hashes] == ["1", "2"]


def test_different_findings_get_different_fingerprints(purgatory: AuditResult) -> None:
    hashes = [
        r["partialFingerprints"]["primaryLocationLineHash"] for r in run_of(purgatory)["results"]
    ]
    assert len(set(hashes)) == len(hashes)


@pytest.mark.parametrize(
    ("rule_id", "kind", "justification"),
    [
        ("OWN002", "inSource", "the <team> owns it all | for now"),
        ("DATA001", "external", "per_path_ignores 'tests/**'"),
        ("LIFE004", "external", ".prodcheck-baseline.json"),
    ],
    ids=["inline", "config", "baseline"],
)
def test_suppressed_findings_are_reported_as_suppressed_with_their_reason(
    purgatory: AuditResult, rule_id: str, kind: str, justification: str
) -> None:
    suppressions = [
        r["suppressions"] for r in results_for(purgatory, rule_id) if "suppressions" in r
    ]
    assert len(suppressions) == 1
    [[entry]] = suppressions
    assert (entry["kind"], entry["justification"]) == (kind, justification)


def test_findings_that_count_carry_no_suppression(purgatory: AuditResult) -> None:
    results = run_of(purgatory)["results"]
    assert sum("suppressions" not in r for r in results) == len(purgatory.findings)


def test_relative_uris_resolve_against_the_audited_root(purgatory: AuditResult) -> None:
    assert run_of(purgatory)["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file:///work/pilot/"


def test_uris_are_absolute_where_sarif_needs_them_and_relative_for_files(
    any_result: AuditResult,
) -> None:
    run = run_of(any_result)
    absolute = [
        run["tool"]["driver"]["informationUri"],
        *(r["helpUri"] for r in run["tool"]["driver"]["rules"]),
    ]
    assert all(urlparse(u).scheme == "https" and urlparse(u).netloc for u in absolute)
    files = [
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]
    ]
    assert all(not urlparse(u).scheme and not u.startswith("/") and " " not in u for u in files)


def test_the_run_carries_the_stage_verdict(purgatory: AuditResult) -> None:
    stage = run_of(purgatory)["properties"]["stage"]
    assert (stage["reached"], stage["next_blockers"]) == (0, ["BC001", "OWN001"])


def test_rule_help_links_point_at_the_published_docs(real_audit: AuditResult) -> None:
    # Code scanning shows the help text away from the repository: a relative link leads nowhere.
    for descriptor in run_of(real_audit)["tool"]["driver"]["rules"]:
        links = re.findall(r"\]\(([^)]+)\)", descriptor["help"]["markdown"])
        assert all(link.startswith(DOCS_URL) for link in links), descriptor["id"]
