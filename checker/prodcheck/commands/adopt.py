"""`prodcheck adopt`: add the template's missing production pieces to an existing repository.

The template is rendered whole into a temporary directory, with the same questions as
`prodcheck new`; then only the pieces the repository lacks are copied in. A file that exists is
never touched: the plan says what would have gone there. Each file is written to a temporary
name in its own directory and linked into place, so an interruption leaves whole files or none,
and `.copier-answers.yml` comes last, so it only exists once every piece is in.

What counts as a piece, and why the rest is left out:

- always (when absent): the business case and the other `docs/`, `OWNERS`, `CODEOWNERS`,
  `Dockerfile`, `.dockerignore`, `compose.yaml`, `wheels/`, `.env.example`, `monitoring/`,
  the CI workflow, `.pre-commit-config.yaml`, `.gitignore`, the `Makefile`, `deploy/k8s/`;
- the service skeleton (`src/<pkg>/service/`, `settings.py`, `model_spec.py`,
  `__init__.py`) only when the package does not already hold a service, and only in a `src/`
  layout or when there is no package yet (a second `src/<pkg>` would shadow a top-level one);
- `pyproject.toml` and the locks only when the repository declares no dependencies of its
  own: the template's pins would contradict a `requirements.txt` the project trains with;
- never: the template's pipeline, sample data, tests, retraining workflow and README. They
  are written for the template's sample data; copied in, they would make the audit believe in
  a pipeline and tests that do not exercise this repository's model.

`copier update` works later when the template came from a git checkout (copier records
`_commit`); the template bundled in a wheel is not a git repository, so copier records no
`_commit` and refuses to update: re-run `prodcheck adopt` after upgrading prodcheck instead.
"""

from __future__ import annotations

import difflib
import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import yaml

from prodcheck.commands.audit import audit_path
from prodcheck.commands.new import NewProjectError, new_project, questions, template_source
from prodcheck.config import load_config
from prodcheck.engine import AuditResult

ANSWERS_FILE = ".copier-answers.yml"
DEFAULT_TARGET = 2
"""Adopt aims at the production foundation when the project configures no target of its own."""

ALWAYS = (
    "docs/*",
    "OWNERS",
    "CODEOWNERS",
    "Dockerfile",
    ".dockerignore",
    "compose.yaml",
    "wheels/*",
    ".env.example",
    "monitoring/*",
    ".github/workflows/ci.yml",
    ".gitlab-ci.yml",
    ".pre-commit-config.yaml",
    ".gitignore",
    "Makefile",
    "deploy/k8s/*",
)
SKELETON = ("src/{pkg}/__init__.py", "src/{pkg}/settings.py", "src/{pkg}/model_spec.py")
SKELETON_DIR = "src/{pkg}/service/*"
DEPENDENCY_PIECES = ("pyproject.toml", "requirements.lock", "requirements-dev.lock")
OWN_DEPENDENCIES = (
    "requirements*.txt",
    "requirements*.in",
    "requirements",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "Pipfile",
    "environment.yml",
    "environment.yaml",
    "uv.lock",
    "poetry.lock",
)
SERVICE_MARKERS = ("service", "service.py", "app.py", "api.py", "server.py")
NOT_PACKAGES = {"tests", "test", "docs", "notebooks", "scripts", "data", "models", "examples"}


class AdoptError(ValueError):
    """A repository, an answer or a file in the way that `prodcheck adopt` cannot work with."""


class Action(Enum):
    ADD = "add"
    SKIP = "exists-skip"


@dataclass(frozen=True)
class Step:
    path: str
    """POSIX path relative to the repository root."""
    action: Action
    content: bytes
    """What the template has for this path."""
    mode: int
    current: bytes | None = None
    """What the repository has there (None when the piece is added)."""
    note: str = ""


@dataclass(frozen=True)
class Verdict:
    stage: int
    errors: int
    blockers: int

    @classmethod
    def of(cls, result: AuditResult) -> Verdict:
        return cls(
            result.verdict.reached or 0, len(result.errors), len(result.verdict.next_blockers)
        )

    def __str__(self) -> str:
        blocking = f"{self.blockers} rules blocking the next stage"
        return f"stage {self.stage}, {self.errors} errors, {blocking}"


@dataclass(frozen=True)
class Adoption:
    steps: list[Step]
    before: Verdict
    after: Verdict | None
    """None in a dry run, where nothing changed."""
    target: int

    @property
    def added(self) -> list[Step]:
        return [s for s in self.steps if s.action is Action.ADD]

    @property
    def skipped(self) -> list[Step]:
        return [s for s in self.steps if s.action is Action.SKIP]


def adopt(
    path: Path,
    *,
    answers: Mapping[str, str] | None = None,
    defaults: bool = False,
    stage: int | None = None,
    dry_run: bool = False,
    allow_dirty: bool = False,
) -> Adoption:
    """Plan the pieces `path` lacks and, unless `dry_run`, add them. Nothing existing is changed."""
    root = _repository(path, allow_dirty=allow_dirty)
    target = stage if stage is not None else _target(root)
    first = audit_path(root, stage=target)
    before = Verdict.of(first)
    if first.verdict.passed:
        return Adoption([], before, None if dry_run else before, target)
    with tempfile.TemporaryDirectory(prefix="prodcheck-adopt-") as scratch:
        rendered = Path(scratch) / "render"
        _render(rendered, root, dict(answers or {}), defaults=defaults)
        steps = plan(root, rendered)
    if dry_run:
        return Adoption(steps, before, None, target)
    for step in steps:
        if step.action is Action.ADD:
            write_new(root / step.path, step.content, step.mode)
    return Adoption(steps, before, Verdict.of(audit_path(root, stage=target)), target)


def plan(root: Path, rendered: Path) -> list[Step]:
    """Every piece of the render, in write order: each one added where absent, else skipped.

    Raises AdoptError when a directory stands where a file would go, or a file where a
    directory would: no adoption can leave that repository whole.
    """
    package = _package_of(rendered)
    pieces = _pieces(root, package)
    files = sorted(p for p in rendered.rglob("*") if p.is_file())
    steps = []
    answers = None
    for file in files:
        relative = file.relative_to(rendered).as_posix()
        if relative == ANSWERS_FILE:
            answers = file
            continue
        if any(fnmatch(relative, pattern) for pattern in pieces):
            steps.append(_step(root, relative, file))
    if answers is not None:
        steps.append(_step(root, ANSWERS_FILE, answers))
    return steps


def write_new(target: Path, content: bytes, mode: int) -> None:
    """Write a file that must not exist yet, whole or not at all.

    The content goes to a temporary file beside the target, which is then hard-linked into
    place: the link is atomic and fails if the target appeared meanwhile, so nothing is ever
    overwritten. Where the file system has no hard links, an atomic rename is the fallback.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=".prodcheck-adopt-", dir=target.parent)
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(mode)
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise AdoptError(f"{target} appeared while adopt ran; it was left as it is") from None
        except OSError:
            if target.exists():
                raise AdoptError(
                    f"{target} appeared while adopt ran; it was left as it is"
                ) from None
            temporary.replace(target)
    finally:
        temporary.unlink(missing_ok=True)


def render_plan(adoption: Adoption, *, diff: bool) -> Iterator[str]:
    """The plan as lines: each piece added or skipped, then (with `diff`) a unified diff."""
    if not adoption.steps:
        yield f"already at {adoption.before} (target stage {adoption.target}): nothing to adopt"
        return
    for step in adoption.steps:
        note = f"  ({step.note})" if step.note else ""
        yield f"{step.action.value:<12} {step.path}{note}"
    if diff:
        for step in adoption.steps:
            yield from _diff(step)


def summary(adoption: Adoption) -> Iterator[str]:
    """What was added and skipped, and the audit's verdict before and after."""
    if not adoption.steps:
        return
    yield f"added {len(adoption.added)} files, skipped {len(adoption.skipped)} that exist"
    if adoption.after is None:
        yield f"audit now: {adoption.before} (dry run: nothing was written)"
    else:
        yield f"audit before: {adoption.before}"
        yield f"audit after:  {adoption.after} (target stage {adoption.target})"
        yield "what remains needs a person: `prodcheck audit .` lists it with the remedies"


def _repository(path: Path, *, allow_dirty: bool) -> Path:
    """The work tree's root, refused when adopting into it could not be reviewed or undone."""
    if not path.exists():
        raise AdoptError(f"{path} does not exist")
    if not path.is_dir():
        raise AdoptError(f"{path} is not a directory; give the repository's root")
    root = path.resolve()
    status = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=normal"],
        capture_output=True,
        text=True,
        check=False,
    )
    if status.returncode != 0:
        if allow_dirty:
            return root
        raise AdoptError(
            f"{path} is not a git work tree: commit the project first so what adopt adds "
            "can be reviewed with `git status` and undone, or pass --allow-dirty"
        )
    if status.stdout.strip() and not allow_dirty:
        raise AdoptError(
            f"{path} has uncommitted changes: commit or stash them first so what adopt adds "
            "stands apart, or pass --allow-dirty"
        )
    return root


def _target(root: Path) -> int:
    """The configured target stage, when the project configures prodcheck; else stage 2."""
    config = load_config(root).config
    return config.target_stage if config.source else DEFAULT_TARGET


def _render(dest: Path, root: Path, answers: dict[str, str], *, defaults: bool) -> None:
    """Render the whole template into `dest`, asking (or defaulting) what `answers` leaves open."""
    derived = _derived_answers(root, questions(template_source()))
    try:
        new_project(dest, answers=answers, defaults=defaults, user_defaults=derived, quiet=True)
    except NewProjectError as exc:
        raise AdoptError(str(exc)) from None


def _derived_answers(root: Path, asked: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults drawn from the repository: its recorded answers, its name, its package."""
    derived: dict[str, Any] = {"project_name": root.name}
    package = _existing_package(root)
    if package is not None:
        derived["package_name"] = package
    recorded = root / ANSWERS_FILE
    if recorded.is_file():
        try:
            earlier = yaml.safe_load(recorded.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise AdoptError(f"{ANSWERS_FILE} is not valid YAML: {exc}") from None
        if isinstance(earlier, dict):
            derived.update({k: v for k, v in earlier.items() if k in asked})
    return derived


def _existing_package(root: Path) -> str | None:
    """The project's Python package: one under src/, else one at the top level, else None."""
    for base in (root / "src", root):
        if not base.is_dir():
            continue
        found = sorted(
            child.name
            for child in base.iterdir()
            if child.is_dir()
            and (child / "__init__.py").is_file()
            and child.name.isidentifier()
            and child.name not in NOT_PACKAGES
        )
        if found:
            return found[0]
    return None


def _package_of(rendered: Path) -> str:
    answers = yaml.safe_load((rendered / ANSWERS_FILE).read_text(encoding="utf-8"))
    return str(answers["package_name"])


def _pieces(root: Path, package: str) -> list[str]:
    """The path patterns of the render that this repository gets (see the module's docstring)."""
    pieces = list(ALWAYS)
    home = root / "src" / package
    top_level = (root / package / "__init__.py").is_file()
    has_service = any((home / marker).exists() for marker in SERVICE_MARKERS)
    if not top_level and not has_service:
        pieces += [pattern.format(pkg=package) for pattern in (*SKELETON, SKELETON_DIR)]
    # Globs read whole: a generator left half-consumed holds its directory scan open.
    if not any(list(root.glob(pattern)) for pattern in OWN_DEPENDENCIES):
        pieces += DEPENDENCY_PIECES
    return pieces


def _step(root: Path, relative: str, rendered: Path) -> Step:
    content = rendered.read_bytes()
    mode = rendered.stat().st_mode & 0o777
    _refuse_type_conflict(root, relative)
    existing = root / relative
    if not existing.exists():
        return Step(relative, Action.ADD, content, mode)
    current = existing.read_bytes()
    note = "identical to the template's" if current == content else "yours is kept as it is"
    return Step(relative, Action.SKIP, content, mode, current, note)


def _refuse_type_conflict(root: Path, relative: str) -> None:
    """A directory where the file goes, or a file where one of its directories goes."""
    target = root / relative
    if target.is_dir():
        raise AdoptError(f"`{relative}` is a directory in {root}, where the template has a file")
    for parent in Path(relative).parents:
        if parent != Path() and (root / parent).exists() and not (root / parent).is_dir():
            raise AdoptError(
                f"`{parent.as_posix()}` is a file in {root}, where the template has a directory"
            )


def _diff(step: Step) -> Iterator[str]:
    """What the template would put at the step's path, against what is there now."""
    try:
        theirs = step.content.decode("utf-8").splitlines(keepends=True)
        ours = (step.current or b"").decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        yield f"binary file {step.path}"
        return
    old = "/dev/null" if step.current is None else f"a/{step.path}"
    for line in difflib.unified_diff(ours, theirs, old, f"b/{step.path}"):
        yield line.rstrip("\n")
