"""`prodcheck audit`: judge a repository, or only some of its files (pre-commit mode)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from prodcheck.config import load_config
from prodcheck.engine import AuditResult, audit, select_rules
from prodcheck.registry import Registry, load_rules
from prodcheck.snapshot import Problem, Snapshot


class UsageError(ValueError):
    """Bad input from the user (exit 2): a missing path, an unknown rule, a corrupt baseline."""


def audit_path(
    path: Path,
    *,
    files: Sequence[Path] = (),
    select: Sequence[str] = (),
    ignore: Sequence[str] = (),
    stage: int | None = None,
    baseline: Path | None = None,
    registry: Registry | None = None,
) -> AuditResult:
    """Audit the repository at `path`; with `files`, run only file-scoped rules on those files.

    Raises UsageError for anything the user must fix before an audit can mean something.
    """
    registry = registry or load_rules()
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    if not path.is_dir():
        raise UsageError(f"{path} is not a directory; give the repository's root")
    root = path.resolve()
    loaded = load_config(root)
    config = loaded.config
    rules = select_rules(registry, config, select=select, ignore=ignore)
    known_baseline = None
    if baseline is not None:
        from prodcheck.baseline import Baseline  # only when asked for: keeps start-up small

        known_baseline = Baseline.load(baseline)
    if files:
        snapshot = Snapshot.of_files(root, _relative_to(root, files), config)
    else:
        snapshot = Snapshot.scan(root, config)
    if loaded.warning:
        snapshot.report(Problem.UNPARSABLE, "pyproject.toml", loaded.warning)
    return audit(
        snapshot, rules, registry, target=stage, baseline=known_baseline, files_mode=bool(files)
    )


def record_baseline(result: AuditResult, destination: Path) -> int:
    """Record every finding present today, old or new, so fixing one shrinks the baseline."""
    from prodcheck.baseline import write_baseline

    assert result.snapshot is not None
    present = result.findings + [
        s.finding for s in result.suppressed if s.suppression.via == "baseline"
    ]
    return write_baseline(destination, present, result.snapshot)


def _relative_to(root: Path, files: Sequence[Path]) -> list[str]:
    """Paths as given by pre-commit (relative to the working directory) made relative to root."""
    relative = []
    for file in files:
        absolute = Path(os.path.realpath(file.parent)) / file.name
        try:
            relative.append(absolute.relative_to(root).as_posix())
        except ValueError:
            raise UsageError(f"{file} is outside the audited repository {root}") from None
    return relative
