"""Throwaway rules, so the checker core is tested apart from the real ones.

`Checker` is a private registry holding only prodcheck's own audit-health rules (PC001-PC005,
which the engine needs to report files it could not read and rules that crashed) plus the
rules a test declares; the check builders below are the usual bodies of such rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from prodcheck.baseline import Baseline
from prodcheck.config import Config
from prodcheck.engine import AuditResult, audit, select_rules
from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Registry, Rule, load_rules, rule
from prodcheck.snapshot import Snapshot, SourceFile

Check = Callable[..., Iterable[Violation]]


class Checker:
    """A registry of throwaway rules, and a way to audit a tree with them."""

    def __init__(self) -> None:
        self.registry = Registry()
        for health_rule in load_rules():
            if health_rule.family == "PC":
                self.registry.add(health_rule)

    def repo_rule(
        self,
        rule_id: str,
        check: Check,
        *,
        stage: int = 1,
        severity: Severity = Severity.ERROR,
        requires: Sequence[str] = (),
    ) -> Rule:
        """Declare a rule judging the whole tree: `check(repo)`."""
        return self._declare(rule_id, check, Scope.REPO, stage, severity, (), requires)

    def file_rule(
        self,
        rule_id: str,
        files: Sequence[str],
        check: Check,
        *,
        stage: int = 1,
        severity: Severity = Severity.ERROR,
        requires: Sequence[str] = (),
    ) -> Rule:
        """Declare a rule judging each file matching `files`: `check(repo, file)`."""
        return self._declare(rule_id, check, Scope.FILE, stage, severity, files, requires)

    def _declare(
        self,
        rule_id: str,
        check: Check,
        scope: Scope,
        stage: int,
        severity: Severity,
        files: Sequence[str],
        requires: Sequence[str],
    ) -> Rule:
        def documented(*args: object) -> Iterable[Violation]:
            """A throwaway rule declared by a test."""
            return check(*args)

        rule(
            rule_id,
            f"test-rule-{rule_id.lower()}",
            stage=stage,
            principle=Principle.ENGINEERING,
            severity=severity,
            scope=scope,
            summary=f"{rule_id} for tests.",
            remedy="Nothing: it is a test.",
            requires=tuple(requires),
            files=tuple(files),
            registry=self.registry,
        )(documented)
        return self.registry.get(rule_id)

    def audit(
        self,
        root: Path,
        config: Config | None = None,
        *,
        files: Sequence[str] | None = None,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        target: int | None = None,
        baseline: Baseline | None = None,
    ) -> AuditResult:
        """Audit `root` (or only `files` under it, as pre-commit does) with the declared rules."""
        config = config or Config()
        if files is None:
            snapshot = Snapshot.scan(root, config)
        else:
            snapshot = Snapshot.of_files(root, files, config)
        return self.audit_snapshot(
            snapshot,
            select=select,
            ignore=ignore,
            target=target,
            baseline=baseline,
            files_mode=files is not None,
        )

    def audit_snapshot(
        self,
        snapshot: Snapshot,
        *,
        select: Sequence[str] = (),
        ignore: Sequence[str] = (),
        target: int | None = None,
        baseline: Baseline | None = None,
        files_mode: bool = False,
    ) -> AuditResult:
        rules = select_rules(self.registry, snapshot.config, select=select, ignore=ignore)
        return audit(
            snapshot, rules, self.registry, target=target, baseline=baseline, files_mode=files_mode
        )


def fails(
    message: str = "it does not hold",
    path: str | None = None,
    line: int | None = None,
    cell: int | None = None,
) -> Check:
    """A check (repo or file) that always reports one violation."""
    return lambda *args: [Violation(message, path, line, cell)]


def passes(*args: object) -> list[Violation]:
    return []


def crashes(*args: object) -> list[Violation]:
    raise KeyError("success_metrics")


def records(seen: list[str]) -> Check:
    """A check that notes what it runs on (a file's path, or "repo") and finds nothing."""

    def check(repo: Snapshot, file: SourceFile | None = None) -> list[Violation]:
        seen.append("repo" if file is None else file.path)
        return []

    return check


def flags_lines_with(token: str) -> Check:
    """A file check reporting every line that holds `token`."""

    def check(repo: Snapshot, file: SourceFile) -> list[Violation]:
        return [
            Violation(f"`{token}` found", line=number)
            for number, text in enumerate(repo.lines(file.path), 1)
            if token in text
        ]

    return check


PARSERS = {
    ".py": "python",
    ".ipynb": "notebook",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "toml",
    ".md": "front_matter",
}


def reads_everything(repo: Snapshot, file: SourceFile) -> list[Violation]:
    """A file check that asks for each file's parsed form, as real rules do, and finds nothing."""
    parser = PARSERS.get(file.suffix)
    if parser is None:
        repo.read_bytes(file.path)
    else:
        getattr(repo, parser)(file.path)
    return []
