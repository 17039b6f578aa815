"""SARIF 2.1.0, shaped for GitHub code scanning, so findings show in place on pull requests.

Valid against the official OASIS schema (the test suite checks it against a vendored copy),
and within what GitHub's ingestion documents as required: every result has a location with
`artifactLocation.uri` and `region.startLine`, rule descriptions stay under 1024 characters,
and `partialFingerprints` carry a stable identity so an alert survives edits above it.
"""

from __future__ import annotations

import json
from collections import Counter
from hashlib import sha256
from typing import Any
from urllib.parse import quote

from prodcheck import __version__
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, Suppression
from prodcheck.registry import Rule
from prodcheck.report._common import DOCS_URL, message_with_cell, rule_docs_url, stage_as_dict
from prodcheck.ruledocs import rule_page

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
SRCROOT = "%SRCROOT%"
GITHUB_DESCRIPTION_LIMIT = 1024
"""GitHub code scanning's limit on a rule's shortDescription and fullDescription."""

REPO_LEVEL_ANCHORS = ("README.md", "README.rst", "README.txt", "README", "pyproject.toml")
"""Where a finding about the whole repository (no business case, no OWNERS file) is shown.

GitHub code scanning rejects the *whole* upload when one result has no location ("expected
at least one location", github/codeql-action#1738 and #2459) or a location without
`artifactLocation.uri` (microsoft/sarif-sdk#2694), and its SARIF reference marks `locations[]`,
`artifactLocation.uri` and `region.startLine` as required. So a repo-level finding is anchored
at line 1 of the first of these files the repository has: the file a reader opens first, that
exists, so the alert shows with a snippet. The location's message says why it is there, and the
result's properties mark it `repositoryLevel`. A repository with none of them gets `README.md`,
the file that would hold it.
"""

SUPPRESSION_KINDS = {"inline": "inSource", "config": "external", "baseline": "external"}


def render(result: AuditResult) -> str:
    return json.dumps(sarif_log(result), indent=2, ensure_ascii=False) + "\n"


def sarif_log(result: AuditResult) -> dict[str, Any]:
    rules = reported_rules(result)
    index = {rule.id: position for position, rule in enumerate(rules)}
    anchor = _repo_level_anchor(result)
    entries: list[tuple[Finding, Suppression | None]] = [(f, None) for f in result.findings]
    entries += [(s.finding, s.suppression) for s in result.suppressed]
    entries.sort(key=lambda entry: entry[0].sort_key)
    seen: Counter[str] = Counter()
    results = []
    for finding, suppression in entries:
        identity = _identity(finding)
        seen[identity] += 1
        results.append(
            _result(
                finding, suppression, index[finding.rule_id], anchor, f"{identity}:{seen[identity]}"
            )
        )
    root_uri = result.root.absolute().as_uri().rstrip("/") + "/"
    run = {
        "tool": {
            "driver": {
                "name": "prodcheck",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": DOCS_URL,
                "rules": [_descriptor(rule) for rule in rules],
            }
        },
        "originalUriBaseIds": {
            SRCROOT: {"uri": root_uri, "description": {"text": "The audited repository's root."}}
        },
        "results": results,
        "properties": {"stage": stage_as_dict(result), "files_mode": result.files_mode},
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def reported_rules(result: AuditResult) -> list[Rule]:
    """Every rule that ran, then any other rule a finding names (a crash is reported as PC005
    even when PC005 was not selected), so each result's `ruleIndex` has a descriptor."""
    rules = list(result.rules)
    known = {rule.id for rule in rules}
    for finding in [*result.findings, *(s.finding for s in result.suppressed)]:
        if finding.rule_id not in known:
            known.add(finding.rule_id)
            rules.append(result.rule(finding.rule_id))
    return rules


def _descriptor(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.slug,
        "shortDescription": {"text": _clip(rule.summary)},
        "fullDescription": {"text": _clip(rule.rationale)},
        "help": {
            "text": f"{rule.rationale}\n\nHow to fix it: {rule.remedy}",
            "markdown": rule_page(rule, base_url=DOCS_URL),
        },
        "helpUri": rule_docs_url(rule.id),
        "defaultConfiguration": {"level": rule.severity.value},
        "properties": {
            "tags": [rule.principle.value, f"stage-{rule.stage}"],
            "precision": "high",
            "problem.severity": rule.severity.value,
        },
    }


def _result(
    finding: Finding,
    suppression: Suppression | None,
    rule_index: int,
    anchor: str,
    fingerprint: str,
) -> dict[str, Any]:
    sarif: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": finding.severity.value,
        "message": {"text": message_with_cell(finding)},
        "locations": [_location(finding, anchor)],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
    }
    properties = _properties(finding)
    if properties:
        sarif["properties"] = properties
    if suppression is not None:
        sarif["suppressions"] = [
            {
                "kind": SUPPRESSION_KINDS[suppression.via],
                "justification": suppression.reason,
                "properties": {"via": suppression.via},
            }
        ]
    return sarif


def _location(finding: Finding, anchor: str) -> dict[str, Any]:
    if finding.path is None:
        return {
            "physicalLocation": _physical(anchor, 1),
            "message": {
                "text": f"This finding concerns the whole repository; it is shown on `{anchor}`."
            },
        }
    # A notebook's line counts inside its cell, not in the .ipynb file, so the file's first line
    # is the honest anchor; a finding about a whole file is anchored there too.
    line = finding.line if finding.line is not None and finding.cell is None else 1
    return {"physicalLocation": _physical(finding.path, line)}


def _physical(path: str, line: int) -> dict[str, Any]:
    return {
        "artifactLocation": {"uri": quote(path, safe="/"), "uriBaseId": SRCROOT},
        "region": {"startLine": line},
    }


def _properties(finding: Finding) -> dict[str, Any]:
    if finding.path is None:
        return {"repositoryLevel": True}
    if finding.cell is None:
        return {}
    return {"cell": finding.cell} | ({} if finding.line is None else {"cellLine": finding.line})


def _identity(finding: Finding) -> str:
    """A hash of what the finding is, not where its line is, so an alert keeps its identity
    (and its dismissal) when lines are added above it; GitHub reads `primaryLocationLineHash`."""
    cell = "" if finding.cell is None else str(finding.cell)
    key = "\0".join((finding.rule_id, finding.path or "", cell, finding.message))
    return sha256(key.encode("utf-8")).hexdigest()[:16]


def _repo_level_anchor(result: AuditResult) -> str:
    found = result.snapshot.first_existing(*REPO_LEVEL_ANCHORS) if result.snapshot else None
    return found or REPO_LEVEL_ANCHORS[0]


def _clip(text: str) -> str:
    if len(text) <= GITHUB_DESCRIPTION_LIMIT:
        return text
    return text[: GITHUB_DESCRIPTION_LIMIT - 1].rstrip() + "…"
