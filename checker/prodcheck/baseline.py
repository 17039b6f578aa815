"""The baseline: today's findings recorded so a legacy repo fails only on new ones.

A finding is remembered by rule, path and the text of its line rather than the line number,
so code moved up or down a file keeps matching; identical entries are counted, so fixing
one of two equal findings frees exactly one.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck.findings import Finding, SuppressedFinding, Suppression

if TYPE_CHECKING:
    from prodcheck.snapshot import Snapshot

BASELINE_VERSION = 1


class BaselineError(ValueError):
    """The baseline file cannot be used; the message names it."""


def fingerprint(finding: Finding, snapshot: Snapshot) -> str:
    """A digest of what the finding is about that survives line shifts."""
    anchor = finding.message
    if finding.path is not None and finding.line is not None and finding.cell is None:
        lines = snapshot.lines(finding.path)
        if 0 < finding.line <= len(lines):
            anchor = " ".join(lines[finding.line - 1].split())
    elif finding.cell is not None:
        anchor = f"{finding.message}\0cell"
    digest = hashlib.sha256("\0".join((finding.rule_id, finding.path or "", anchor)).encode())
    return digest.hexdigest()[:20]


@dataclass
class Baseline:
    counts: Counter[str]
    source: str

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BaselineError(f"baseline file {path} does not exist") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BaselineError(f"baseline file {path} is not readable JSON: {exc}") from None
        entries = document.get("findings") if isinstance(document, dict) else None
        if (
            not isinstance(entries, list)
            or document.get("schema_version") != BASELINE_VERSION
            or not all(
                isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
            )
        ):
            raise BaselineError(
                f"baseline file {path} is not a prodcheck baseline "
                f"(schema_version {BASELINE_VERSION})"
            )
        return cls(Counter(e["fingerprint"] for e in entries), str(path))

    def split(
        self, findings: Iterable[Finding], snapshot: Snapshot
    ) -> tuple[list[Finding], list[SuppressedFinding]]:
        """Separate new findings from those the baseline already knows."""
        remaining = Counter(self.counts)
        new: list[Finding] = []
        known: list[SuppressedFinding] = []
        for finding in findings:
            key = fingerprint(finding, snapshot)
            if remaining[key] > 0:
                remaining[key] -= 1
                known.append(SuppressedFinding(finding, Suppression("baseline", self.source)))
            else:
                new.append(finding)
        return new, known


def write_baseline(path: Path, findings: Iterable[Finding], snapshot: Snapshot) -> int:
    """Record `findings` atomically (a crash never leaves half a file); returns how many."""
    entries = [
        {
            "rule": f.rule_id,
            "path": f.path,
            "fingerprint": fingerprint(f, snapshot),
            "message": f.message,
        }
        for f in sorted(findings, key=lambda f: f.sort_key)
    ]
    document = {"schema_version": BASELINE_VERSION, "tool": "prodcheck", "findings": entries}
    import tempfile  # only when writing: it imports `random`, which costs start-up time

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out, indent=2)
            out.write("\n")
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return len(entries)
