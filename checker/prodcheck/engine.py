"""Run the rules over a snapshot and turn what they find into a stage verdict.

The order is fixed: rules run (a crash inside one becomes a warning, never an aborted
audit), then config per-path ignores, inline `# prodcheck: ignore[ID]` comments and the
baseline decide which findings still count, then the stage is computed from those alone.
"""

from __future__ import annotations

import gc
import re
import traceback
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import translate
from pathlib import Path
from typing import TYPE_CHECKING

from prodcheck.config import Config
from prodcheck.findings import (
    FINAL_STAGE,
    STAGE_NAMES,
    Finding,
    Scope,
    Severity,
    SuppressedFinding,
    Suppression,
    Violation,
)
from prodcheck.registry import Registry, Rule
from prodcheck.snapshot import Snapshot, SourceFile

if TYPE_CHECKING:
    import pathspec

    from prodcheck.baseline import Baseline

    PathIgnore = tuple[pathspec.GitIgnoreSpec, frozenset[str], str]

RULE_CRASHED = "PC005"
INLINE_DIRECTIVE = re.compile(
    r"prodcheck:\s*ignore\[([A-Za-z0-9,\s]+)\][ \t]*(.*?)\s*(?:-->|\*/)?\s*$"
)
"""`# prodcheck: ignore[ID, FAMILY] reason`; a closing `-->` or `*/` is not part of the reason."""


@dataclass(frozen=True)
class StageVerdict:
    reached: int | None
    """None in FILES mode, where only file-scoped rules run and no stage can be judged."""
    target: int
    next_blockers: tuple[str, ...]
    partial: bool = False
    """True when configuration left out error rules, so the stage is judged on fewer rules."""

    @property
    def name(self) -> str | None:
        return None if self.reached is None else STAGE_NAMES[self.reached]

    @property
    def passed(self) -> bool:
        return self.reached is not None and self.reached >= self.target


@dataclass
class AuditResult:
    root: Path
    rules: list[Rule]
    """The rules that were selected to run, in report order."""
    findings: list[Finding]
    """Findings that count: not suppressed, not in the baseline."""
    suppressed: list[SuppressedFinding]
    verdict: StageVerdict
    registry: Registry = field(repr=False)
    files_mode: bool = False
    snapshot: Snapshot | None = field(default=None, repr=False)

    def rule(self, rule_id: str) -> Rule:
        return self.registry.get(rule_id)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def exit_code(self) -> int:
        if self.files_mode:
            return 1 if self.errors else 0
        return 0 if self.verdict.passed else 1


def select_rules(
    registry: Registry, config: Config, *, select: Sequence[str] = (), ignore: Sequence[str] = ()
) -> list[Rule]:
    """The rules to run: `--select` replaces the configured selection; ignores from both add up.

    Every id the configuration names is checked here, per-path ignores included, so a typo
    is a usage error instead of a suppression that silently suppresses nothing.
    """
    for ids in config.per_path_ignores.values():
        registry.resolve(ids)
    chosen = registry.resolve(select or config.select)
    chosen -= registry.resolve([*config.ignore, *ignore])
    return [r for r in registry if r.id in chosen]


def audit(
    snapshot: Snapshot,
    rules: Sequence[Rule],
    registry: Registry,
    *,
    target: int | None = None,
    baseline: Baseline | None = None,
    files_mode: bool = False,
) -> AuditResult:
    """Judge `snapshot` with `rules`; pure apart from reading the snapshot's files."""
    config = snapshot.config
    with _collector_paused():
        raw = _run_rules(snapshot, rules, files_mode=files_mode)
    raw.extend(_diagnostic_findings(snapshot, rules, registry))

    suppressed: list[SuppressedFinding] = []
    counted: list[Finding] = []
    path_ignores = _path_ignores(config)
    for finding in raw:
        reason = _config_suppression(finding, path_ignores) or _inline_suppression(
            finding, snapshot
        )
        if reason is not None:
            suppressed.append(SuppressedFinding(finding, reason))
        else:
            counted.append(finding)
    if baseline is not None:
        counted, baselined = baseline.split(counted, snapshot)
        suppressed.extend(baselined)

    counted.sort(key=lambda f: f.sort_key)
    suppressed.sort(key=lambda s: s.finding.sort_key)
    target_stage = config.target_stage if target is None else target
    if files_mode:
        verdict = StageVerdict(None, target_stage, ())
    else:
        verdict = stage_verdict(rules, counted, registry, target_stage)
    return AuditResult(
        snapshot.root, list(rules), counted, suppressed, verdict, registry, files_mode, snapshot
    )


def stage_verdict(
    rules: Sequence[Rule], findings: Iterable[Finding], registry: Registry, target: int
) -> StageVerdict:
    """The highest stage whose error rules, and those of every stage before it, all pass.

    A stage none of whose error rules ran is not judged, so it is never reached by default:
    selecting only the business-case rules cannot make a notebook repo "in production".
    """
    blockers: dict[int, set[str]] = {stage: set() for stage in range(1, FINAL_STAGE + 1)}
    judged = {r.stage for r in rules if r.check is not None and r.severity is Severity.ERROR}
    for finding in findings:
        if finding.severity is Severity.ERROR and finding.rule_id in registry:
            stage = registry.get(finding.rule_id).stage
            if stage in blockers:
                blockers[stage].add(finding.rule_id)
    reached = 0
    while reached < FINAL_STAGE and reached + 1 in judged and not blockers[reached + 1]:
        reached += 1
    next_blockers = tuple(sorted(blockers[reached + 1])) if reached < FINAL_STAGE else ()
    selected = {r.id for r in rules}
    partial = any(
        r.severity is Severity.ERROR and r.check is not None and r.id not in selected
        for r in registry
    )
    return StageVerdict(reached, target, next_blockers, partial)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Keep the cyclic garbage collector away from the snapshot's caches while rules run.

    The snapshot caches thousands of syntax trees and notebooks; each full collection walks
    all of them again, which doubled the audit's time. They hold no reference cycles, so
    reference counting frees them. Afterwards they are frozen out of the collector's view,
    so the first collection after the audit does not walk them once more.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if was_enabled:
            gc.enable()


def _run_rules(snapshot: Snapshot, rules: Sequence[Rule], *, files_mode: bool) -> list[Finding]:
    findings: list[Finding] = []
    failed: set[str] = set()
    matching: dict[tuple[str, ...], list[SourceFile]] = {}
    for rule in _requirements_first(rules):
        if rule.check is None or (files_mode and rule.scope is Scope.REPO):
            continue
        if any(required in failed for required in rule.requires):
            continue  # the rule it builds on already failed: a second finding would only repeat it
        if rule.scope is Scope.REPO:
            produced = _guarded(rule, None, rule.run(snapshot))
        else:
            if rule.files not in matching:
                matching[rule.files] = _files_matching(snapshot, rule.files)
            produced = []
            for file in matching[rule.files]:
                produced += _guarded(rule, file.path, rule.run_on(snapshot, file))
        findings.extend(produced)
        if any(f.rule_id == rule.id and f.severity is Severity.ERROR for f in produced):
            failed.add(rule.id)
    if not any(rule.id == RULE_CRASHED for rule in rules):
        findings = [f for f in findings if f.rule_id != RULE_CRASHED]  # the user left PC005 out
    return findings


def _files_matching(snapshot: Snapshot, patterns: tuple[str, ...]) -> list[SourceFile]:
    """The files a file-scoped rule reads, by gitignore-style patterns.

    The common shapes are string tests: `*.py` is a suffix, and a pattern without a slash
    matches any component of a path (gitignore's rule), so neither needs pathspec, whose
    import alone costs the pre-commit hook more than its matching. This runs once per
    distinct pattern list, not once per rule.
    """
    suffixes = tuple(p[1:] for p in patterns if p.startswith("*.") and not _has_magic(p[1:]))
    if len(suffixes) == len(patterns):
        return [f for f in snapshot if f.path.endswith(suffixes)]
    if not any(c in p for p in patterns for c in "/\\!#") and "**" not in "".join(patterns):
        matches = re.compile("|".join(translate(p) for p in patterns)).match
        verdicts: dict[str, bool] = {"": False}  # per directory, computed once for its files

        def directory_matches(directory: str) -> bool:
            if directory not in verdicts:
                parent, _, name = directory.rpartition("/")
                verdicts[directory] = bool(matches(name)) or directory_matches(parent)
            return verdicts[directory]

        chosen = []
        for file in snapshot:
            directory, _, name = file.path.rpartition("/")
            if matches(name) or directory_matches(directory):
                chosen.append(file)
        return chosen
    import pathspec

    spec = pathspec.GitIgnoreSpec.from_lines(patterns)
    return [f for f in snapshot if spec.match_file(f.path)]


def _has_magic(pattern: str) -> bool:
    return any(c in pattern for c in "*?[]!\\")


def _requirements_first(rules: Sequence[Rule]) -> list[Rule]:
    """`rules` reordered so each runs after those it requires, whatever their ids and stages."""
    by_id = {rule.id: rule for rule in rules}
    ordered: list[Rule] = []
    placed: set[str] = set()

    def place(rule: Rule) -> None:
        if rule.id in placed:
            return
        placed.add(rule.id)
        for required in rule.requires:
            if required in by_id:
                place(by_id[required])
        ordered.append(rule)

    for rule in rules:
        place(rule)
    return ordered


def _guarded(rule: Rule, path: str | None, violations: Iterator[Violation]) -> list[Finding]:
    """Drain one check; an exception inside it is reported as a warning, not an aborted audit."""
    try:
        found = list(violations)
    except Exception as exc:
        where = traceback.extract_tb(exc.__traceback__)[-1]
        location = f" on `{path}`" if path else ""
        message = (
            f"rule {rule.id} crashed{location} ({type(exc).__name__}: {exc}, at "
            f"{Path(where.filename).name}:{where.lineno}); its verdict is unknown, "
            "please report this"
        )
        return [Finding(RULE_CRASHED, Severity.WARNING, message, path)]
    return [Finding(rule.id, rule.severity, v.message, v.path, v.line, v.cell) for v in found]


def _diagnostic_findings(
    snapshot: Snapshot, rules: Sequence[Rule], registry: Registry
) -> list[Finding]:
    """Files the snapshot could not read, reported under their PC rule when it is selected."""
    selected = {r.id for r in rules}
    return [
        Finding(d.problem.value, registry.get(d.problem.value).severity, d.message, d.path, d.line)
        for d in snapshot.diagnostics
        if d.problem.value in selected
    ]


def _path_ignores(config: Config) -> list[PathIgnore]:
    """Compile each per-path ignore once: (spec, the ids or families it names, pattern)."""
    if not config.per_path_ignores:
        return []
    import pathspec

    return [
        (pathspec.GitIgnoreSpec.from_lines([pattern]), frozenset(i.upper() for i in ids), pattern)
        for pattern, ids in config.per_path_ignores.items()
    ]


def _config_suppression(finding: Finding, path_ignores: list[PathIgnore]) -> Suppression | None:
    if finding.path is None:
        return None
    for spec, ids, pattern in path_ignores:
        if _names_rule(ids, finding.rule_id) and spec.match_file(finding.path):
            return Suppression("config", f"per_path_ignores {pattern!r}")
    return None


def _inline_suppression(finding: Finding, snapshot: Snapshot) -> Suppression | None:
    """`# prodcheck: ignore[ID] reason` on the finding's line, on a comment line just above it
    (where the syntax allows nothing after the code, as in a Dockerfile), or anywhere in the
    finding's notebook cell."""
    if finding.path is None:
        return None
    if finding.cell is not None:
        notebook = snapshot.notebook(finding.path)
        if notebook is None or finding.cell >= len(notebook.cells):
            return None
        candidates = str(notebook.cells[finding.cell].get("source", "")).splitlines()
    elif finding.line is not None:
        lines = snapshot.lines(finding.path)
        candidates = lines[finding.line - 1 : finding.line]
        if 1 < finding.line <= len(lines):
            above = lines[finding.line - 2]
            if above.lstrip().startswith(("#", "//", "<!--", "--")):
                candidates.append(above)
    else:
        return None
    for text in candidates:
        match = INLINE_DIRECTIVE.search(text)
        if match and _names_rule(
            {i.strip().upper() for i in match.group(1).split(",")}, finding.rule_id
        ):
            return Suppression("inline", match.group(2).strip() or "no reason given")
    return None


def _names_rule(ids: Iterable[str], rule_id: str) -> bool:
    family = rule_id.rstrip("0123456789")
    return any(i in (rule_id, family) for i in ids)
