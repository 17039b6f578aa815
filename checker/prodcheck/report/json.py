"""The JSON report: the versioned contract scripts and dashboards build on.

Its shape is documented, field by field, in `docs/schema/report-v1.schema.json`; any change
to the fields below is a change of that contract and needs a new `schema_version`.
"""

from __future__ import annotations

import json
from typing import Any

from prodcheck import __version__
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, SuppressedFinding
from prodcheck.report._common import stage_as_dict

SCHEMA_VERSION = 1


def render(result: AuditResult) -> str:
    return json.dumps(report_as_dict(result), indent=2, ensure_ascii=False) + "\n"


def report_as_dict(result: AuditResult) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "prodcheck", "version": __version__},
        "root": str(result.root),
        "stage": stage_as_dict(result),
        "summary": {
            "errors": len(result.errors),
            "warnings": len(result.warnings),
            "suppressed": len(result.suppressed),
        },
        "findings": [_finding(result, f) for f in result.findings],
        "suppressed": [_suppressed(s) for s in result.suppressed],
        "files_mode": result.files_mode,
    }


def _finding(result: AuditResult, finding: Finding) -> dict[str, Any]:
    rule = result.rule(finding.rule_id)
    return {
        "rule": rule.id,
        "slug": rule.slug,
        "severity": finding.severity.value,
        "stage": rule.stage,
        "principle": rule.principle.value,
        "message": finding.message,
        "path": finding.path,
        "line": finding.line,
        "cell": finding.cell,
    }


def _suppressed(suppressed: SuppressedFinding) -> dict[str, Any]:
    finding, why = suppressed.finding, suppressed.suppression
    return {
        "rule": finding.rule_id,
        "message": finding.message,
        "path": finding.path,
        "line": finding.line,
        "cell": finding.cell,
        "via": why.via,
        "reason": why.reason,
    }
