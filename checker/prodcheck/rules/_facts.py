"""Facts about a repository that rules of several principles ask for, each computed once.

Which modules import mlflow, which files are tests, what a notebook's code cells say: many
rules need the same answers, and the audit must stay within a few reads of every file. So
these helpers prefilter by bytes (`Snapshot.files_with`), parse only the candidates, and
memoise per audit (`Snapshot.memo`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from prodcheck.snapshot import Snapshot, SourceFile

TEST_DIRS = frozenset({"tests", "test", "testing"})


def is_test_path(path: str) -> bool:
    """Test code: under a tests/ directory, or named like pytest's test modules.

    String operations only: this runs for every file of the repository.
    """
    *directories, name = path.split("/")
    return (
        not TEST_DIRS.isdisjoint(directories)
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def is_docs_path(path: str) -> bool:
    return path.startswith("docs/") or "/docs/" in path


def python_modules(repo: Snapshot, *, tests: bool = False) -> list[SourceFile]:
    """Every Python module; test code only when asked for."""
    return [f for f in repo.with_suffix(".py") if tests or not is_test_path(f.path)]


@dataclass(frozen=True)
class Module:
    """A parsed Python module, for rules that look inside code."""

    file: SourceFile
    tree: ast.Module

    @property
    def path(self) -> str:
        return self.file.path


def modules_importing(repo: Snapshot, *packages: str, tests: bool = False) -> list[Module]:
    """The modules that import any of `packages` (`"mlflow"`, `"google.cloud.aiplatform"`).

    A module counts when it imports the package or anything below it. Only files whose bytes
    name a package's first component are parsed.
    """
    return repo.memo(_modules_importing, packages, tests)


def _modules_importing(repo: Snapshot, packages: tuple[str, ...], tests: bool) -> list[Module]:
    candidates: dict[str, SourceFile] = {}
    for package in packages:
        for file in repo.files_with(package.split(".")[0].encode(), ".py"):
            if tests or not is_test_path(file.path):
                candidates[file.path] = file
    found = []
    for path in sorted(candidates):
        tree = repo.python(path)
        if tree is not None and imports_any(tree, packages):
            found.append(Module(candidates[path], tree))
    return found


def imported_modules(tree: ast.AST) -> set[str]:
    """Every module a tree imports, dotted (`from a.b import c` gives `a.b` and `a.b.c`)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def imports_any(tree: ast.AST, packages: tuple[str, ...]) -> bool:
    """True when the tree imports one of `packages` or a module below it."""
    return any(
        name == package or name.startswith(f"{package}.")
        for name in imported_modules(tree)
        for package in packages
    )


def dotted_name(node: ast.AST) -> str | None:
    """`pd.read_csv` for that expression; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def call_name(node: ast.Call) -> str | None:
    """The dotted name of what a call calls (`mlflow.sklearn.log_model`), when it is a name."""
    return dotted_name(node.func)


def string_value(node: ast.AST) -> str | None:
    """The value of a string literal (f-strings excluded: their value is not known)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


@dataclass(frozen=True)
class Cell:
    """A notebook cell's source; findings in it carry the cell index and a line inside it."""

    index: int
    cell_type: str
    source: str


def notebook_cells(repo: Snapshot, path: str) -> list[Cell]:
    """The cells of a notebook; [] when it cannot be read (the snapshot reports why)."""
    notebook = repo.notebook(path)
    if notebook is None:
        return []
    return [
        Cell(index, str(cell.get("cell_type", "")), _joined(cell.get("source", "")))
        for index, cell in enumerate(notebook.cells)
    ]


def code_cells(repo: Snapshot, path: str) -> Iterator[Cell]:
    return (cell for cell in notebook_cells(repo, path) if cell.cell_type == "code")


def _joined(source: object) -> str:
    """nbformat v4 keeps a cell's source as a string; older files as a list of lines."""
    if isinstance(source, list):
        return "".join(str(line) for line in source)
    return str(source)
