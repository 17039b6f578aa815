"""Ownership: named people accountable for the model, its data, its code and its pager.

Also the one place that reads the root OWNERS file and judges who it names (handles and
emails) and what counts as an unfilled placeholder: the sponsor rules of the business case
(BC005, BC006) and its completeness rule (BC002) reuse them from here.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from datetime import date
from typing import Any

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._patterns import lazy, lazy_dataclass
from prodcheck.snapshot import Snapshot, YamlDocument, parse_yaml

OWNERS_FILES = ("OWNERS", "OWNERS.yaml", "OWNERS.yml")
REQUIRED_ROLES = ("model_owner", "data_owner", "engineering_owner", "on_call")
CODEOWNERS_FILES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
"""GitHub's lookup order: the first one found is the one GitHub uses."""

_PLACEHOLDER_WORD = lazy(r"\b(?:TODO|TBD|TBC|TBA|FIXME|XXX)\b", re.IGNORECASE)
_ANGLE_PLACEHOLDER = lazy(r"<[A-Za-z_][^<>@]*>")  # <fill me>, but not <jane@acme.com>
_PLACEHOLDER_TEXT = frozenset({"", "?", "...", "\u2026", "n/a", "-"})

_HANDLE = lazy(r"@[A-Za-z0-9][A-Za-z0-9._-]*(?:/[A-Za-z0-9][A-Za-z0-9._-]*)*")
_EMAIL = r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
_PLAIN_EMAIL = lazy(_EMAIL)
_NAMED_EMAIL = lazy(rf"[^<>@]*<({_EMAIL})>")
_UNQUOTED_HANDLE = lazy(r"(?::|^\s*-)\s+@")
_CONTACT_FORMS = "a handle (@name or @org/team) or an email"

_NOT_PRODUCT_DIRS = frozenset({"tests", "test", "docs"})
_CODE_SUFFIXES = frozenset({"py", "ipynb"})
_NAMED_GROUP = lazy(r"\(\?P<\w+>")


# -- values nobody filled in -----------------------------------------------------------------


def is_placeholder(value: Any) -> bool:
    """True for a value nobody filled in: empty, TODO/TBD-style words, `<fill me>`, `?`, `n/a`."""
    if value is None:
        return True
    if isinstance(value, str):
        text = value.strip()
        return (
            text.lower() in _PLACEHOLDER_TEXT
            or _PLACEHOLDER_WORD().search(text) is not None
            or _ANGLE_PLACEHOLDER().search(text) is not None
        )
    if isinstance(value, list | dict):
        return not value
    return False


def shown(value: Any) -> str:
    """A YAML value as a message quotes it: text in quotes, containers by their kind."""
    if value is None or value in ("", [], {}):
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, date):
        return value.isoformat()
    return repr(value)


# -- who a role names ------------------------------------------------------------------------


@lazy_dataclass(frozen=True)
class Role:
    """What the OWNERS file says about one role: the people it names, or why it names nobody."""

    key: str
    contacts: tuple[str, ...] = ()
    """Handles and emails, lower-cased so the same person compares equal however written."""
    problem: str | None = None
    """Why the value names nobody usable, as a phrase such as "is 'Jane', not a handle"."""
    missing: bool = False

    @property
    def named(self) -> bool:
        return not self.missing and self.problem is None


def _contact(text: str) -> str | None:
    """The handle or email `text` names, lower-cased; None when it is neither."""
    text = text.strip()
    if _HANDLE().fullmatch(text) or _PLAIN_EMAIL().fullmatch(text):
        return text.lower()
    named = _NAMED_EMAIL().fullmatch(text)  # "Jane Doe <jane@acme.com>"
    return named.group(1).lower() if named else None


def read_role(roles: Mapping[Any, Any], key: str) -> Role:
    """Judge one role's value: a handle or email, or a non-empty list of them."""
    if key not in roles:
        return Role(key, missing=True)
    value = roles[key]
    if is_placeholder(value):
        return Role(key, problem=f"is still {shown(value)}, a placeholder for {_CONTACT_FORMS}")
    items = value if isinstance(value, list) else [value]
    verb = "lists" if isinstance(value, list) else "is"
    contacts: list[str] = []
    for item in items:
        contact = _contact(item) if isinstance(item, str) and not is_placeholder(item) else None
        if contact is None:
            return Role(key, problem=f"{verb} {shown(item)}, which is not {_CONTACT_FORMS}")
        contacts.append(contact)
    return Role(key, tuple(contacts))


# -- the OWNERS file -------------------------------------------------------------------------


@lazy_dataclass(frozen=True)
class OwnersFile:
    """The root OWNERS file: its roles with their lines, or why it cannot be read as roles."""

    path: str
    document: YamlDocument
    problem: str | None = None
    """A sentence fragment naming the file and what is wrong with it, for OWN001."""
    problem_line: int | None = None

    def role(self, key: str) -> Role:
        roles = self.document.data if self.problem is None else {}
        return read_role(roles, key)

    def line_of(self, key: str) -> int | None:
        return self.document.line_of(key)


def owners_file(repo: Snapshot) -> OwnersFile | None:
    """The root OWNERS file, read once per audit through `repo.memo`; None when there is none."""
    path = repo.first_existing(*OWNERS_FILES)
    if path is None:
        return None
    text = repo.text(path)
    if text is None:
        return OwnersFile(path, YamlDocument({}, {}), f"`{path}` could not be read as text")
    document = parse_yaml(text)
    if document.error is not None:
        line, lines = document.error_line, text.splitlines()
        source = lines[line - 1] if line and line <= len(lines) else ""
        hint = (
            '; quote handles, as in `model_owner: "@jane"`'
            if _UNQUOTED_HANDLE().search(source)
            else ""
        )
        return OwnersFile(
            path, document, f"`{path}` is not valid YAML ({document.error}){hint}", line
        )
    if not isinstance(document.data, dict):
        return OwnersFile(
            path,
            document,
            f"`{path}` is {shown(document.data)}, not a mapping of roles to people",
            document.line_of() or 1,
        )
    return OwnersFile(path, document)


def unnamed_role(repo: Snapshot, key: str, why: str) -> Violation | None:
    """A violation when the OWNERS file does not name `key` usably; `why` ends the message."""
    owners = repo.memo(owners_file)
    if owners is None:
        return Violation(f"no `OWNERS` file at the repository root names the `{key}`: {why}")
    if owners.problem is not None:
        return Violation(
            f"`{owners.path}` cannot be read as a mapping of roles (see OWN001), so "
            f"it names no `{key}`: {why}",
            owners.path,
            owners.problem_line,
        )
    role = owners.role(key)
    if role.missing:
        return Violation(f"`{owners.path}` does not name the `{key}`: {why}", owners.path, 1)
    if role.problem is not None:
        return Violation(
            f"`{key}` in `{owners.path}` {role.problem}: {why}", owners.path, owners.line_of(key)
        )
    return None


# -- CODEOWNERS ------------------------------------------------------------------------------


@lazy_dataclass(frozen=True)
class _OwnerLine:
    number: int
    pattern: str
    owners: tuple[str, ...]


class _CodeOwners:
    """A CODEOWNERS file as GitHub reads it: gitignore-style patterns, the last match wins.

    The patterns are compiled by pathspec, then joined into one regular expression with the
    last line first, so finding the deciding line of a path costs one match, not one per line.
    """

    def __init__(self, text: str) -> None:
        import pathspec  # imported here: the pre-commit hook imports every rule module

        gitignore_pattern = pathspec.util.lookup_pattern("gitignore")
        self.lines: list[_OwnerLine] = []
        alternatives: list[str] = []
        for number, raw in enumerate(text.splitlines(), 1):
            tokens = raw.split()
            # GitHub skips comments, and negations, which CODEOWNERS does not support.
            if not tokens or tokens[0].startswith(("#", "!")):
                continue
            try:
                pattern = gitignore_pattern(tokens[0])
            except ValueError:
                continue  # an invalid pattern: GitHub skips the line too
            if not isinstance(pattern, pathspec.RegexPattern) or pattern.regex is None:
                continue
            owners = itertools.takewhile(lambda token: not token.startswith("#"), tokens[1:])
            source = _NAMED_GROUP().sub("(?:", pattern.regex.pattern)  # names would collide
            # pathspec applies a pattern with `search`: an unanchored one may match anywhere.
            source = source if source.startswith("^") else f".*?(?:{source})"
            alternatives.append(f"(?P<line{len(self.lines)}>{source})")
            self.lines.append(_OwnerLine(number, tokens[0], tuple(owners)))
        self._regex = re.compile("|".join(reversed(alternatives))) if alternatives else None

    def deciding_line(self, path: str) -> _OwnerLine | None:
        """The last line whose pattern matches `path`, or None when none does."""
        match = self._regex.match(path) if self._regex is not None else None
        if match is None or match.lastgroup is None:
            return None
        return self.lines[int(match.lastgroup.removeprefix("line"))]


def _is_product_code(path: str) -> bool:
    """A Python module or notebook that is neither a test nor documentation.

    Plain string operations: this runs on every file of the repository.
    """
    directory, _, name = path.rpartition("/")
    stem, dot, suffix = name.rpartition(".")
    if not dot or suffix.lower() not in _CODE_SUFFIXES:
        return False
    if not _NOT_PRODUCT_DIRS.isdisjoint(directory.split("/")):
        return False
    return not (stem == "conftest" or stem.startswith("test_") or stem.endswith("_test"))


def _unowned(codeowners: str, group: str, files: list[tuple[str, _OwnerLine | None]]) -> Violation:
    """One finding for the unowned files of a top-level directory (or one root file)."""
    paths = [path for path, _ in files]
    if len(paths) == 1:
        subject = f"`{paths[0]}`"
    else:
        examples = ", ".join(f"`{p}`" for p in paths[:3])
        if len(paths) > 3:
            examples += f" and {len(paths) - 3} more"
        subject = f"{len(paths)} Python or notebook files under `{group}` ({examples})"
    verb, them = ("has", "it") if len(paths) == 1 else ("have", "them")
    consequence = f"changes to {them} can merge without review by the people accountable for {them}"
    deciders = {decider for _, decider in files}
    decider = deciders.pop() if len(deciders) == 1 else None
    if decider is None:
        return Violation(
            f"{subject} {verb} no code owner in `{codeowners}`: {consequence}", codeowners
        )
    return Violation(
        f"{subject} {verb} no code owner because line {decider.number} of "
        f"`{codeowners}` (`{decider.pattern}`) names no owners, which un-owns {them}: "
        f"{consequence}",
        codeowners,
        decider.number,
    )


# -- rules -----------------------------------------------------------------------------------

_OWNERS_EXAMPLE = """\
model_owner: "@maria-lopez"
data_owner: "@acme/data-platform"
engineering_owner: "@ken-okafor"
on_call: "@acme/ml-oncall"
executive_sponsor: "cfo@acme.example"
backup_sponsor: "coo@acme.example"
"""
_NOTEBOOK_EXAMPLE = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


@rule(
    "OWN001",
    "owners-missing",
    stage=1,
    principle=Principle.OWNERSHIP,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="An `OWNERS` file names the model, data and engineering owners and the on-call "
    "rotation.",
    remedy=(
        "Add the template's `OWNERS` file at the repository root (YAML) and name `model_owner`, "
        '`data_owner`, `engineering_owner` and `on_call`, each a quoted handle ("@name", '
        '"@org/team") or an email, or a list of them.'
    ),
    examples=Examples(
        failing={"OWNERS": "approvers:\n  - maria-lopez\nreviewers:\n  - ken-okafor\n"},
        passing={"OWNERS": _OWNERS_EXAMPLE},
    ),
)
def owners_missing(repo: Snapshot) -> Iterator[Violation]:
    """Pilots stall when nobody owns the model. A model in production needs someone who answers
    for its predictions, someone who answers for the data it is fed, someone who keeps the
    service running, and someone who is paged when it breaks at night. If these are not written
    down before the pilot ships, the first incident or the first data change finds nobody
    accountable, and the model is quietly switched off.
    """
    owners = repo.memo(owners_file)
    if owners is None:
        yield Violation(
            "no `OWNERS` file at the repository root names the model, data and "
            "engineering owners and the on-call rotation: nobody owns the model"
        )
        return
    if owners.problem is not None:
        yield Violation(
            f"{owners.problem}, so nobody can tell who owns the model",
            owners.path,
            owners.problem_line,
        )
        return
    roles = [owners.role(key) for key in REQUIRED_ROLES]
    missing = [f"`{role.key}`" for role in roles if role.missing]
    if missing:
        data = owners.document.data
        kubernetes = (
            " (its `approvers` and `reviewers` are the Kubernetes OWNERS format, which "
            "names code reviewers, not people accountable for the model)"
            if "approvers" in data or "reviewers" in data
            else ""
        )
        listed = ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
        yield Violation(
            f"`{owners.path}` does not name {listed}{kubernetes}: every role needs "
            "an owner, or nobody owns the model when it breaks",
            owners.path,
            1,
        )
    for role in roles:
        if role.problem is not None:
            yield Violation(
                f"`{role.key}` in `{owners.path}` {role.problem}: an owner nobody can "
                "mention or mail owns nothing",
                owners.path,
                owners.line_of(role.key),
            )


@rule(
    "OWN002",
    "single-owner",
    stage=1,
    principle=Principle.OWNERSHIP,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="Ownership is cross-functional: not every role is held by one and the same person.",
    remedy=(
        "In `OWNERS`, give the data, engineering and on-call roles to the people or teams who "
        'actually run them (a team handle such as "@acme/ml-oncall" is fine).'
    ),
    requires=("OWN001",),
    examples=Examples(
        failing={
            "OWNERS": 'model_owner: "@maria"\ndata_owner: "@maria"\n'
            'engineering_owner: "@Maria"\non_call: "@maria"\n'
        },
        passing={"OWNERS": _OWNERS_EXAMPLE},
    ),
)
def single_owner(repo: Snapshot) -> Iterator[Violation]:
    """A model owned by one person is owned by nobody the day that person is on holiday, changes
    team or leaves. When the data scientist who built the pilot is also its data owner, its
    engineer and its on-call rotation, nobody else can operate it, and the pilot never becomes a
    product. A team handle holding every role is not flagged: a team is not a single point of
    failure.
    """
    owners = repo.memo(owners_file)
    if owners is None or owners.problem is not None:
        return
    roles = [owners.role(key) for key in REQUIRED_ROLES]
    if not all(role.named for role in roles):
        return
    people = {contact for role in roles for contact in role.contacts}
    if len(people) == 1 and "/" not in (person := next(iter(people))):
        yield Violation(
            f"`{person}` holds every role in `{owners.path}` (model, data and "
            "engineering owner and on-call): when they are away or leave, nobody "
            "else can run the model",
            owners.path,
            owners.line_of(REQUIRED_ROLES[0]),
        )


@rule(
    "OWN003",
    "unowned-code",
    stage=1,
    principle=Principle.OWNERSHIP,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="CODEOWNERS assigns an owner to every model, pipeline and service code path.",
    remedy=(
        "Add the template's `.github/CODEOWNERS` (or `CODEOWNERS`, or `docs/CODEOWNERS`) with a "
        "pattern and at least one owner for every directory of Python modules and notebooks; "
        "remember the last matching pattern wins, and a pattern with no owners un-owns."
    ),
    examples=Examples(
        failing={
            ".github/CODEOWNERS": "/src/ @acme/ml-team\n",
            "src/churn/train.py": "def train():\n    ...\n",
            "notebooks/explore.ipynb": _NOTEBOOK_EXAMPLE,
        },
        passing={
            ".github/CODEOWNERS": "*  @acme/ml-team\n/src/churn/pipeline/  @acme/data-platform\n",
            "src/churn/train.py": "def train():\n    ...\n",
            "notebooks/explore.ipynb": _NOTEBOOK_EXAMPLE,
        },
    ),
)
def unowned_code(repo: Snapshot) -> Iterator[Violation]:
    """OWNERS says who is accountable; CODEOWNERS makes it real, by asking those people to review
    every change to the code they own. Without it, a change to the feature pipeline or the
    service can merge without the model's owners seeing it, and the model breaks in production
    with nobody having approved the change. Tests and documentation need no code owner.
    Patterns follow GitHub: gitignore-style, the last matching line wins, and a line without
    owners un-owns what it matches.
    """
    code = [path for path in repo.files if _is_product_code(path)]
    if not code:
        return
    path = repo.first_existing(*CODEOWNERS_FILES)
    if path is None:
        yield Violation(
            "no CODEOWNERS file (`.github/CODEOWNERS`, `CODEOWNERS` or "
            "`docs/CODEOWNERS`) names who reviews the model, pipeline and service "
            "code, so changes to it can merge without its owners seeing them"
        )
        return
    text = repo.text(path)
    if text is None:
        yield Violation(f"`{path}` could not be read as text, so it assigns no code owners", path)
        return
    codeowners = _CodeOwners(text)
    unowned: dict[str, list[tuple[str, _OwnerLine | None]]] = {}
    for code_path in code:
        decider = codeowners.deciding_line(code_path)
        if decider is None or not decider.owners:
            top, _, rest = code_path.partition("/")
            unowned.setdefault(f"{top}/" if rest else top, []).append((code_path, decider))
    for group, files in sorted(unowned.items()):
        yield _unowned(path, group, files)
