"""The read-only view of a repository that every rule reads through.

Files are listed once (from git when the root is a work tree, so .gitignore is honoured
exactly; by a .gitignore-aware walk otherwise), and each parser runs at most once per file,
so twenty rules asking for the same notebook cost one parse. Nothing here imports or runs
audited code, follows a symlink out of the root, or writes to the tree.

Whatever cannot be read is not an exception: it becomes a `Diagnostic` with its path, which
the engine reports as a warning while the audit goes on.
"""

from __future__ import annotations

import ast
import json
import os
import stat
import subprocess
import tomllib
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from prodcheck.config import Config

if TYPE_CHECKING:
    import yaml

T = TypeVar("T")

BINARY_SNIFF_BYTES = 8192
ALWAYS_PRUNED = frozenset({".git", ".hg", ".svn"})
WALK_PRUNED = frozenset(
    {
        ".venv",
        "venv",
        "node_modules",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".ipynb_checkpoints",
    }
)
"""Tool caches a .gitignore may forget: never walked, and listed from git only when tracked."""


def _yaml_loader() -> type[yaml.SafeLoader]:
    """The C-accelerated safe loader where available; yaml is imported only when needed."""
    import yaml

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return loader


class Problem(StrEnum):
    """Why a file could not be judged; each value is the id of the rule that reports it."""

    UNREADABLE = "PC001"
    UNPARSABLE = "PC002"
    TOO_LARGE = "PC003"
    SYMLINK = "PC004"


@dataclass(frozen=True)
class Diagnostic:
    problem: Problem
    path: str
    message: str
    line: int | None = None


@dataclass(frozen=True)
class SourceFile:
    path: str
    """POSIX path relative to the root."""
    size: int

    @property
    def name(self) -> str:
        return self.path.rpartition("/")[2]

    @property
    def suffix(self) -> str:
        """The lower-case extension with its dot, "" for none (string work: this runs per file)."""
        stem, dot, extension = self.name.rpartition(".")
        return f".{extension.lower()}" if dot and stem else ""


@dataclass
class YamlDocument:
    """Parsed YAML with the file line of every key and item, so findings can point at them.

    A document that cannot be parsed has `error` set (and `error_line` where known) instead
    of raising: a broken OWNERS file or front matter is a finding, never a crash.
    """

    data: Any
    lines: dict[tuple[str | int, ...], int]
    error: str | None = None
    error_line: int | None = None

    def line_of(self, *keys: str | int) -> int | None:
        """The 1-based file line of a key path such as ("success_metrics", 0, "target")."""
        while keys and keys not in self.lines:
            keys = keys[:-1]
        return self.lines.get(keys)


@dataclass(frozen=True)
class Notebook:
    """A notebook as nbformat 4 stores it: its JSON, with cells checked to be mappings."""

    document: dict[str, Any]

    @property
    def cells(self) -> list[dict[str, Any]]:
        cells: list[dict[str, Any]] = self.document["cells"]
        return cells


class Snapshot:
    """A repository as prodcheck sees it: its files, their parsed forms, and the settings."""

    def __init__(
        self,
        root: Path,
        files: Iterable[SourceFile],
        config: Config,
        diagnostics: Iterable[Diagnostic] = (),
    ) -> None:
        self.root = root
        self.config = config
        self.files: dict[str, SourceFile] = {f.path: f for f in sorted(files, key=lambda f: f.path)}
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        self._reported: set[tuple[Problem, str]] = {(d.problem, d.path) for d in self.diagnostics}
        self._cache: dict[tuple[str, str], Any] = {}
        self._memo: dict[tuple[Callable[..., Any], tuple[Hashable, ...]], Any] = {}

    # -- construction -------------------------------------------------------------------

    @classmethod
    def scan(cls, root: Path, config: Config) -> Snapshot:
        """List every file git would track (or a .gitignore-aware walk finds) under `root`."""
        root = root.resolve()
        candidates = _git_files(root)
        if candidates is None:
            candidates = _walk_files(root)
        return cls._from_candidates(root, candidates, config)

    @classmethod
    def of_files(cls, root: Path, paths: Iterable[str], config: Config) -> Snapshot:
        """A snapshot of just the given files (relative POSIX paths), as pre-commit passes them."""
        return cls._from_candidates(root.resolve(), paths, config)

    @classmethod
    def _from_candidates(cls, root: Path, paths: Iterable[str], config: Config) -> Snapshot:
        files: list[SourceFile] = []
        diagnostics: list[Diagnostic] = []
        seen: set[str] = set()
        for rel in paths:
            if rel in seen or rel.split("/", 1)[0] in ALWAYS_PRUNED:
                continue
            seen.add(rel)
            entry = _classify(root, rel)
            if isinstance(entry, SourceFile):
                files.append(entry)
            elif isinstance(entry, Diagnostic):
                diagnostics.append(entry)
        return cls(root, files, config, diagnostics)

    # -- listing ------------------------------------------------------------------------

    def __contains__(self, path: object) -> bool:
        return path in self.files

    def __iter__(self) -> Iterator[SourceFile]:
        return iter(self.files.values())

    def first_existing(self, *paths: str) -> str | None:
        """The first of `paths` that is a file in the snapshot."""
        return next((p for p in paths if p in self.files), None)

    def directories(self) -> set[str]:
        """Every directory that holds a listed file ("" is the root)."""
        dirs = {""}
        for path in self.files:
            parent = PurePosixPath(path).parent
            while str(parent) != ".":
                dirs.add(str(parent))
                parent = parent.parent
        return dirs

    def with_suffix(self, *suffixes: str) -> list[SourceFile]:
        """The files whose name ends with one of `suffixes` (".py", "Dockerfile", ...)."""
        return [f for f in self.files.values() if f.path.endswith(suffixes)]

    def files_with(self, needle: bytes, *suffixes: str) -> list[SourceFile]:
        """The files ending with `suffixes` whose bytes contain `needle`: the cheap prefilter.

        Rules parse only these candidates, so an audit costs about one read of each file plus
        a fast substring scan per distinct needle, not a parse of every file. Too large or
        unreadable files are left out (with their diagnostic).
        """
        key = ("files_with", repr((needle, suffixes)))
        if key not in self._cache:
            self._cache[key] = [
                f for f in self.with_suffix(*suffixes) if needle in (self.read_bytes(f.path) or b"")
            ]
        found: list[SourceFile] = self._cache[key]
        return found

    # -- reading ------------------------------------------------------------------------

    def report(self, problem: Problem, path: str, message: str, line: int | None = None) -> None:
        """Record why a file could not be judged, once per file and problem."""
        if (problem, path) not in self._reported:
            self._reported.add((problem, path))
            self.diagnostics.append(Diagnostic(problem, path, message, line))

    def read_bytes(self, path: str) -> bytes | None:
        """The file's content, or None (with a diagnostic) when it is too large or unreadable."""
        return self._cached("bytes", path, self._read_bytes)

    def _read_bytes(self, path: str) -> bytes | None:
        file = self.files.get(path)
        if file is None:
            return None
        limit = self.config.max_file_bytes
        if file.size > limit:
            self.report(
                Problem.TOO_LARGE,
                path,
                f"`{path}` is {_human_size(file.size)}, over the {_human_size(limit)} "
                "read limit (`max_file_kb`); it was not read",
            )
            return None
        try:
            # Plain strings and a sized read: pathlib, or read(limit), cost more than the read.
            with open(f"{self.root}{os.sep}{path}", "rb") as handle:  # noqa: PTH123
                return handle.read(file.size + 1)
        except OSError as exc:
            self.report(
                Problem.UNREADABLE, path, f"`{path}` could not be read: {exc.strerror or exc}"
            )
            return None

    def text(self, path: str) -> str | None:
        """The file decoded as text, or None for a missing, binary or unreadable file."""
        return self._cached("text", path, self._text)

    def _text(self, path: str) -> str | None:
        data = self.read_bytes(path)
        if data is None:
            return None
        if b"\0" in data[:BINARY_SNIFF_BYTES]:
            self.report(
                Problem.UNREADABLE,
                path,
                f"`{path}` looks binary (it holds NUL bytes); not read as text",
            )
            return None
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return data.decode("utf-8", errors="replace")

    def lines(self, path: str) -> list[str]:
        return self._cached("lines", path, lambda p: (self.text(p) or "").splitlines())

    def python(self, path: str) -> ast.Module | None:
        """The module's syntax tree; audited code is parsed, never imported."""
        return self._cached("python", path, self._python)

    def _python(self, path: str) -> ast.Module | None:
        source = self.text(path)
        if source is None:
            return None
        try:
            return ast.parse(source, filename=path)
        except SyntaxError as exc:
            self.report(
                Problem.UNPARSABLE,
                path,
                f"`{path}` is not valid Python 3 ({exc.msg}); its rules were not checked",
                exc.lineno,
            )
        except (ValueError, RecursionError, MemoryError) as exc:
            self.report(Problem.UNPARSABLE, path, f"`{path}` could not be parsed as Python: {exc}")
        return None

    def notebook(self, path: str) -> Notebook | None:
        return self._cached("notebook", path, self._notebook)

    def _notebook(self, path: str) -> Notebook | None:
        source = self.text(path)
        if source is None:
            return None
        try:
            document = json.loads(source)
        except (ValueError, RecursionError) as exc:
            self.report(
                Problem.UNPARSABLE, path, f"`{path}` is not a readable notebook: {_one_line(exc)}"
            )
            return None
        cells = document.get("cells") if isinstance(document, dict) else None
        if not isinstance(cells, list) or not all(isinstance(cell, dict) for cell in cells):
            # The structure every rule relies on, checked by hand: nbformat's reader validates
            # against the whole schema, which costs forty times the JSON parse.
            self.report(
                Problem.UNPARSABLE,
                path,
                f"`{path}` is not a readable notebook: it has no list of cells (nbformat 4)",
            )
            return None
        return Notebook(document)

    def yaml(self, path: str) -> Any:
        """The first YAML document of the file; None when empty, missing or broken."""
        documents = self.yaml_documents(path)
        return documents[0] if documents else None

    def yaml_documents(self, path: str) -> list[Any]:
        """Every document of a multi-document YAML file (Kubernetes manifests); [] when broken."""
        return self._cached("yaml", path, self._yaml_documents)

    def _yaml_documents(self, path: str) -> list[Any]:
        source = self.text(path)
        if source is None:
            return []
        import yaml

        try:
            return list(yaml.load_all(source, Loader=_yaml_loader()))
        except yaml.YAMLError as exc:
            line = _yaml_error_line(exc)
            self.report(
                Problem.UNPARSABLE, path, f"`{path}` is not valid YAML: {_one_line(exc)}", line
            )
        except (ValueError, RecursionError) as exc:  # an impossible date, absurd nesting
            self.report(Problem.UNPARSABLE, path, f"`{path}` is not valid YAML: {_one_line(exc)}")
        return []

    def toml(self, path: str) -> dict[str, Any] | None:
        return self._cached("toml", path, self._toml)

    def _toml(self, path: str) -> dict[str, Any] | None:
        source = self.text(path)
        if source is None:
            return None
        try:
            return tomllib.loads(source)
        except tomllib.TOMLDecodeError as exc:
            self.report(Problem.UNPARSABLE, path, f"`{path}` is not valid TOML: {exc}")
            return None

    def front_matter(self, path: str) -> YamlDocument | None:
        """The YAML front matter of a Markdown file; None when the file has none."""
        return self._cached("front_matter", path, self._front_matter)

    def _front_matter(self, path: str) -> YamlDocument | None:
        source = self.text(path)
        if source is None:
            return None
        return parse_front_matter(source)

    def memo(self, compute: Callable[..., T], *args: Hashable) -> T:
        """`compute(self, *args)` once per audit: a fixture shared by rules, such as the parsed
        business case or the modules that import mlflow."""
        key = (compute, args)
        if key not in self._memo:
            self._memo[key] = compute(self, *args)
        result: T = self._memo[key]
        return result

    def _cached(self, kind: str, path: str, parse: Callable[[str], T]) -> T:
        key = (kind, path)
        if key not in self._cache:
            self._cache[key] = parse(path)
        result: T = self._cache[key]
        return result


# -- front matter ---------------------------------------------------------------------------


def parse_front_matter(source: str) -> YamlDocument | None:
    """Parse a leading `---` ... `---` block; None when the text does not start with one."""
    lines = source.splitlines()
    if not lines or lines[0].strip() != "---":
        return None
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
    if end is None:
        return YamlDocument(
            {}, {}, error="the front matter opened with `---` is never closed", error_line=1
        )
    return parse_yaml("\n".join(lines[1:end]), first_line=2)


def parse_yaml(text: str, *, first_line: int = 1) -> YamlDocument:
    """Parse one YAML document whose first line is line `first_line` of its file."""
    import yaml

    loader = _yaml_loader()(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        line = _yaml_error_line(exc)
        return YamlDocument(
            {}, {}, error=_one_line(exc), error_line=None if line is None else line + first_line - 1
        )
    except (ValueError, RecursionError) as exc:  # an impossible date (2025-02-30), a cyclic alias
        return YamlDocument({}, {}, error=_one_line(exc))
    finally:
        loader.dispose()
    key_lines: dict[tuple[str | int, ...], int] = {}
    if node is not None:
        _index_lines(node, (), key_lines, first_line, visited=set())
    return YamlDocument(data, key_lines)


def _index_lines(
    node: yaml.Node,
    prefix: tuple[str | int, ...],
    out: dict[tuple[str | int, ...], int],
    first_line: int,
    visited: set[int],
) -> None:
    """Record each key's line; an aliased node is indexed once, so cycles and bombs stay cheap."""
    out.setdefault(prefix, node.start_mark.line + first_line)
    if id(node) in visited:
        return
    visited.add(id(node))
    from yaml import MappingNode, ScalarNode, SequenceNode

    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                out[(*prefix, key.value)] = key.start_mark.line + first_line
                _index_lines(value, (*prefix, key.value), out, first_line, visited)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _index_lines(item, (*prefix, index), out, first_line, visited)


def _yaml_error_line(exc: yaml.YAMLError) -> int | None:
    mark = getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


# -- listing --------------------------------------------------------------------------------


def _git_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-but-not-ignored files, or None when git cannot tell."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}
    try:
        inside = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            return None
        ignored_root = subprocess.run(
            ["git", "check-ignore", "-q", "."],
            cwd=root,
            env=env,
            capture_output=True,
            check=False,
        )
        if ignored_root.returncode == 0:
            return None  # the enclosing repository ignores the root: git would list nothing
        listed = subprocess.run(
            [
                "git",
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
                *(f"--exclude={name}/" for name in WALK_PRUNED),
            ],  # --exclude spares tracked files
            cwd=root,
            env=env,
            capture_output=True,
            check=False,
        )
    except OSError:
        return None
    if listed.returncode != 0:
        return None
    return [p for p in listed.stdout.decode("utf-8", errors="surrogateescape").split("\0") if p]


def _walk_files(root: Path) -> list[str]:
    """Walk without git: honour every .gitignore on the way down, never follow a directory link."""
    import pathspec

    found: list[str] = []
    ignores: list[tuple[str, pathspec.GitIgnoreSpec]] = []

    def ignored(rel: str) -> bool:
        # As git does: the deepest .gitignore with a matching pattern decides, so a nested
        # `!keep.log` re-includes what the root's `*.log` ignores.
        for base, spec in reversed(ignores):
            if rel.startswith(base):
                decision = spec.check_file(rel[len(base) :]).include
                if decision is not None:
                    return bool(decision)
        return False

    for current, dirnames, filenames in os.walk(root, topdown=True, followlinks=False):
        rel_dir = os.path.relpath(current, root).replace(os.sep, "/")
        prefix = "" if rel_dir == "." else rel_dir + "/"
        if ".gitignore" in filenames:
            try:
                text = (Path(current) / ".gitignore").read_text(encoding="utf-8", errors="replace")
                ignores.append((prefix, pathspec.GitIgnoreSpec.from_lines(text.splitlines())))
            except OSError:
                pass
        kept = sorted(d for d in dirnames if d not in ALWAYS_PRUNED and d not in WALK_PRUNED)
        # os.walk puts links to directories among dirnames and never enters them: list them as
        # entries too (git lists a link as a file), so one leading out of the root is reported.
        links = [d for d in kept if (Path(current) / d).is_symlink()]
        dirnames[:] = [d for d in kept if d not in links and not ignored(f"{prefix}{d}/")]
        found.extend(
            f"{prefix}{name}" for name in [*filenames, *links] if not ignored(f"{prefix}{name}")
        )
    return found


def _classify(root: Path, rel: str) -> SourceFile | Diagnostic | None:
    """A listed path becomes a file to read, a diagnostic, or nothing (gone, a directory)."""
    try:
        info = os.lstat(f"{root}{os.sep}{rel}")  # a string join: this runs for every file
    except OSError:
        return None  # deleted since git listed it, or never there
    if stat.S_ISREG(info.st_mode):
        return SourceFile(rel, info.st_size)
    if not stat.S_ISLNK(info.st_mode):
        return None
    absolute = root / rel
    target = os.path.realpath(absolute)
    try:
        absolute.stat()
    except OSError as exc:
        return Diagnostic(
            Problem.SYMLINK,
            rel,
            f"`{rel}` is a broken or looping symlink ({exc.strerror}); not followed",
        )
    if os.path.commonpath([target, str(root)]) != str(root):
        return Diagnostic(
            Problem.SYMLINK, rel, f"`{rel}` is a symlink to outside the repository; not followed"
        )
    return None  # a link inside the tree: the target is judged where it really is


def _human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())[:300] or type(exc).__name__
