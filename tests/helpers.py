"""Small builders that let a test say what repository it means in a few lines."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent

from prodcheck.commands.audit import audit_path
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding


def build_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (path -> text or bytes) under `root`; text is dedented, so tests may indent."""
    for relative, content in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(dedent(content).lstrip("\n"), encoding="utf-8")
    return root


def audit_tree(
    root: Path, files: Mapping[str, str | bytes] | None = None, **options: object
) -> AuditResult:
    """Build the tree (if given) and audit it with the real registry."""
    if files is not None:
        build_tree(root, files)
    return audit_path(root, **options)  # type: ignore[arg-type]


def run_rule(
    rule_id: str, root: Path, files: Mapping[str, str | bytes] | None = None
) -> list[Finding]:
    """Run one rule alone on a tree and return its findings (suppressed ones left out)."""
    result = audit_tree(root, files, select=[rule_id])
    return [f for f in result.findings if f.rule_id == rule_id]


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` under a test identity, whatever the machine's configuration; its output."""
    identity = ["-c", "user.name=prodcheck tests", "-c", "user.email=tests@example.com"]
    done = subprocess.run(
        ["git", *identity, *args], cwd=cwd, check=True, capture_output=True, text=True
    )
    return done.stdout


def commit_all(repo: Path, message: str) -> None:
    """Stage everything in the work tree `repo` and commit it."""
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", message)
