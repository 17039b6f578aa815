"""The vocabulary every part of prodcheck shares: severities, principles, findings, stages."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """Errors block a stage; warnings are advice and never block."""

    ERROR = "error"
    WARNING = "warning"


class Principle(StrEnum):
    BUSINESS_CASE = "business-case"
    DATA_PIPELINE = "data-pipeline"
    CONTAINER = "container"
    SERVICE = "service"
    MONITORING = "monitoring"
    OWNERSHIP = "ownership"
    LIFECYCLE = "lifecycle"
    GOVERNANCE = "governance"
    ENGINEERING = "engineering"


class Scope(StrEnum):
    """`file` rules judge one file at a time, so pre-commit can run them on changed files alone."""

    FILE = "file"
    REPO = "repo"


STAGE_NAMES: dict[int, str] = {
    0: "pilot purgatory",
    1: "business case validated",
    2: "production foundation",
    3: "in production",
}
FINAL_STAGE = 3


@dataclass(frozen=True)
class Violation:
    """What a check reports: the rule's metadata is attached later, by the engine.

    `path` is POSIX and relative to the audited root; `line` is 1-based (inside the cell for
    notebooks); `cell` is the 0-based index of a notebook cell.
    """

    message: str
    path: str | None = None
    line: int | None = None
    cell: int | None = None


@dataclass(frozen=True)
class Finding:
    """A violation tied to the rule that found it."""

    rule_id: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    cell: int | None = None

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.path or "", self.cell or 0, self.line or 0, self.rule_id, self.message)


@dataclass(frozen=True)
class Suppression:
    """Why a finding does not count: an inline comment, a config per-path ignore or the baseline."""

    via: str
    reason: str


@dataclass(frozen=True)
class SuppressedFinding:
    finding: Finding
    suppression: Suppression
