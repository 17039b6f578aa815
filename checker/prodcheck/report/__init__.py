"""Reporters: each turns an AuditResult into one output format, behind `render`."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prodcheck.engine import AuditResult

FORMATS: dict[str, str] = {
    "text": "prodcheck.report.text",
    "json": "prodcheck.report.json",
    "sarif": "prodcheck.report.sarif",
    "markdown": "prodcheck.report.markdown",
    "github": "prodcheck.report.github",
    "gitlab": "prodcheck.report.gitlab",
    "html": "prodcheck.report.html",
}


def render(result: AuditResult, fmt: str, *, color: bool = False) -> str:
    """Render `result` in `fmt` (a key of FORMATS); `color` only matters to the text format."""
    module = importlib.import_module(FORMATS[fmt])
    rendered: str = module.render(result, color=color) if fmt == "text" else module.render(result)
    return rendered
