"""The rule registry: each rule is declared once, with its metadata beside its check.

`prodcheck rules`, `prodcheck explain`, the SARIF rule list and the docs reference are all
generated from these declarations, so they cannot drift apart. Rule ids are a public
contract (users write them in suppressions, baselines and CI logs), which is why the registry
refuses malformed or reused ids at import time rather than at some later audit.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from prodcheck.findings import Principle, Scope, Severity, Violation

if TYPE_CHECKING:
    from prodcheck.snapshot import Snapshot, SourceFile

ID_PATTERN = re.compile(r"^[A-Z]{2,4}[0-9]{3}$")
FAMILY_PATTERN = re.compile(r"^[A-Z]{2,4}$")
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")

Check = Callable[..., Iterable[Violation]]
"""`check(repo)` for repo-scoped rules, `check(repo, file)` for file-scoped ones."""

CheckT = TypeVar("CheckT", bound=Check)


class RegistryError(ValueError):
    """A rule declaration breaks the registry's invariants: a bug in prodcheck itself."""


class UnknownRuleError(ValueError):
    """A user named a rule id or family that does not exist."""


@dataclass(frozen=True)
class Examples:
    """A tiny repository (path -> text) on which the rule fires, and one on which it does not.

    They are rendered in the docs and run by the test suite, so an example cannot go stale.
    """

    failing: Mapping[str, str]
    passing: Mapping[str, str]


@dataclass(frozen=True)
class Rule:
    id: str
    slug: str
    stage: int
    principle: Principle
    severity: Severity
    scope: Scope
    summary: str
    rationale: str
    remedy: str
    check: Check | None = None
    requires: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    examples: Examples | None = None

    @property
    def family(self) -> str:
        return self.id.rstrip("0123456789")

    def run(self, repo: Snapshot) -> Iterator[Violation]:
        """Run a repo-scoped check."""
        if self.check is None or self.scope is not Scope.REPO:
            raise RegistryError(f"{self.id} is not a runnable repo-scoped rule")
        yield from self.check(repo)

    def run_on(self, repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
        """Run a file-scoped check on one file; the file's path is the default location."""
        if self.check is None or self.scope is not Scope.FILE:
            raise RegistryError(f"{self.id} is not a runnable file-scoped rule")
        for violation in self.check(repo, file):
            if violation.path is None:
                violation = Violation(violation.message, file.path, violation.line, violation.cell)
            yield violation


@dataclass
class Registry:
    _rules: dict[str, Rule] = field(default_factory=dict)

    def add(self, rule: Rule) -> Rule:
        _validate(rule, self)
        self._rules[rule.id] = rule
        return rule

    def __iter__(self) -> Iterator[Rule]:
        return iter(sorted(self._rules.values(), key=lambda r: (r.stage, r.id)))

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._rules

    def get(self, rule_id: str) -> Rule:
        try:
            return self._rules[rule_id.upper()]
        except KeyError:
            raise UnknownRuleError(f"unknown rule id {rule_id!r}") from None

    def resolve(self, codes: Iterable[str]) -> set[str]:
        """Expand ids and families (`BC`, `DATA`, `ALL`) into rule ids, refusing unknown ones."""
        ids: set[str] = set()
        for raw in codes:
            code = raw.strip().upper()
            if code == "ALL":
                ids.update(self._rules)
            elif code in self._rules:
                ids.add(code)
            elif FAMILY_PATTERN.match(code) and any(r.family == code for r in self._rules.values()):
                ids.update(r.id for r in self._rules.values() if r.family == code)
            else:
                raise UnknownRuleError(f"unknown rule id or family {raw!r}")
        return ids


def _validate(rule: Rule, registry: Registry) -> None:
    problems = []
    if not ID_PATTERN.match(rule.id):
        problems.append("id must be 2-4 capital letters and 3 digits")
    if rule.id in registry:
        problems.append("id is already declared")
    if not SLUG_PATTERN.match(rule.slug):
        problems.append("slug must be kebab-case")
    if any(other.slug == rule.slug for other in registry):
        problems.append(f"slug {rule.slug!r} is already used")
    if rule.stage not in range(4):
        problems.append("stage must be 0-3")
    for name in ("summary", "rationale", "remedy"):
        if not getattr(rule, name).strip():
            problems.append(f"{name} is empty")
    if rule.scope is Scope.FILE and rule.check is not None and not rule.files:
        problems.append("a file-scoped rule must say which files it reads (files=...)")
    unknown = [r for r in rule.requires if r not in registry]
    if unknown:
        problems.append(f"requires rules not declared before it: {', '.join(unknown)}")
    if problems:
        raise RegistryError(f"rule {rule.id!r}: " + "; ".join(problems))


RULES = Registry()
"""The registry the CLI uses; `prodcheck.rules` fills it on import."""


def rule(
    id: str,
    slug: str,
    *,
    stage: int,
    principle: Principle,
    severity: Severity,
    scope: Scope,
    summary: str,
    remedy: str,
    requires: tuple[str, ...] = (),
    files: tuple[str, ...] = (),
    examples: Examples | None = None,
    registry: Registry = RULES,
) -> Callable[[CheckT], CheckT]:
    """Declare a rule; the decorated check's docstring is its rationale."""

    def declare(check: CheckT) -> CheckT:
        registry.add(
            Rule(
                id=id,
                slug=slug,
                stage=stage,
                principle=principle,
                severity=severity,
                scope=scope,
                summary=summary,
                rationale=inspect.getdoc(check) or "",
                remedy=remedy,
                check=check,
                requires=requires,
                files=files,
                examples=examples,
            )
        )
        return check

    return declare


def load_rules() -> Registry:
    """Import every rule module once, filling `RULES`."""
    import prodcheck.rules  # noqa: F401  (imported for its declarations)

    return RULES


def rule_as_dict(rule: Rule) -> dict[str, Any]:
    """The public JSON shape of a rule (`prodcheck rules --format json`)."""
    return {
        "id": rule.id,
        "slug": rule.slug,
        "stage": rule.stage,
        "principle": rule.principle.value,
        "severity": rule.severity.value,
        "scope": rule.scope.value,
        "summary": rule.summary,
        "rationale": rule.rationale,
        "remedy": rule.remedy,
    }
