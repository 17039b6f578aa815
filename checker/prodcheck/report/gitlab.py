"""GitLab Code Quality: the report a `codequality` artifact holds, shown on merge requests.

GitLab reads a JSON array of issues, each with `description`, `check_name`, `fingerprint`,
`severity` (`info`, `minor`, `major`, `critical` or `blocker`) and `location.path` plus
`location.lines.begin`. The merge request widget compares the fingerprints of the source and
target branches to say which issues are new and which are fixed, so a fingerprint must stay
the same while the finding does: it is the baseline's, which survives lines moving, and a
user can find an issue's entry in `.prodcheck-baseline.json` by it.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from prodcheck.baseline import fingerprint
from prodcheck.config import Config
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, Severity
from prodcheck.report._common import message_with_cell
from prodcheck.report.sarif import REPO_LEVEL_ANCHORS
from prodcheck.snapshot import Snapshot

SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor"}
"""An error blocks a stage, a warning is advice; `critical` and `blocker` are left to the
security scanners a merge request may also report."""


def render(result: AuditResult) -> str:
    return json.dumps(code_quality_issues(result), indent=2, ensure_ascii=False) + "\n"


def code_quality_issues(result: AuditResult) -> list[dict[str, Any]]:
    """One issue per finding that counts: suppressed and baselined findings are not issues."""
    # A result assembled by hand has no snapshot: its findings are fingerprinted on their
    # messages, as the baseline does for a finding whose line it cannot read.
    snapshot = result.snapshot or Snapshot(result.root, (), Config())
    anchor = snapshot.first_existing(*REPO_LEVEL_ANCHORS) or REPO_LEVEL_ANCHORS[0]
    seen: Counter[str] = Counter()
    issues = []
    for finding in result.findings:
        identity = fingerprint(finding, snapshot)
        seen[identity] += 1
        # Identical findings (the same line twice in a file) share the baseline's digest; GitLab
        # shows only the first issue of a fingerprint, so the second and later are numbered.
        unique = identity if seen[identity] == 1 else f"{identity}-{seen[identity]}"
        issues.append(_issue(finding, unique, anchor))
    return issues


def _issue(finding: Finding, unique: str, anchor: str) -> dict[str, Any]:
    description = f"{finding.rule_id}: {message_with_cell(finding)}"
    if finding.path is None:
        description += f" (this concerns the whole repository; it is shown on `{anchor}`)"
    # A notebook's line counts inside its cell, not in the .ipynb file: the description names it.
    line = finding.line if finding.line is not None and finding.cell is None else 1
    return {
        "description": description,
        "check_name": finding.rule_id,
        "fingerprint": unique,
        "severity": SEVERITIES[finding.severity],
        "location": {"path": finding.path or anchor, "lines": {"begin": line}},
    }
