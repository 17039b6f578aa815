"""`prodcheck report`: the HTML readiness page, with the day-90 decision when one can be made.

`prodcheck audit --format html` shows the audit alone; this command also asks the gate, so
the page a sponsor opens carries the GO, STOP or NOT READY decision next to the chart.
"""

from __future__ import annotations

from pathlib import Path

from prodcheck.commands.audit import audit_path
from prodcheck.engine import AuditResult


def readiness_page(
    path: Path, *, metrics_file: Path | None = None, stage: int | None = None
) -> tuple[AuditResult, str]:
    """The audit and its page; GateError only for a metrics file the user named.

    Without `metrics_file`, a repository the gate cannot judge (no business case, amounts
    that cannot be added up) gets the page without a decision: the findings say why.
    """
    from prodcheck.commands.gate import GateError, decide
    from prodcheck.report.html import render

    result = audit_path(path, stage=stage)
    try:
        decision = decide(path, metrics_file=metrics_file, audit=result)
    except GateError:
        if metrics_file is not None:
            raise
        decision = None
    return result, render(result, decision=decision)
