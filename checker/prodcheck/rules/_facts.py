"""Facts about a repository that rules of several principles ask for, each computed once.

Which modules import mlflow, which files are tests, what a notebook's code cells say: many
rules need the same answers, and the audit must stay within a few reads of every file. So
these helpers prefilter by bytes (`Snapshot.files_with`), parse only the candidates, and
memoise per audit (`Snapshot.memo`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from prodcheck.rules._patterns import lazy_dataclass
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


@lazy_dataclass(frozen=True)
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
    heads = tuple(dict.fromkeys(package.split(".")[0].encode() for package in packages))
    found = []
    for path in python_files_containing(repo, heads):
        if tests or not is_test_path(path):
            tree = repo.python(path)
            if tree is not None and imports_any(tree, packages):
                found.append(Module(repo.files[path], tree))
    return found


def python_files_containing(repo: Snapshot, needles: tuple[bytes, ...]) -> list[str]:
    """The Python files whose bytes hold any of `needles`, sorted: the union of
    `repo.files_with(needle, ".py")` over the needles, found in one pass over the files
    (each file's bytes fetched once, not once per needle), once per audit."""
    return repo.memo(_python_files_containing, needles)


def _python_files_containing(repo: Snapshot, needles: tuple[bytes, ...]) -> list[str]:
    found = []
    for file in repo.with_suffix(".py"):
        data = repo.read_bytes(file.path)
        if data and any(needle in data for needle in needles):
            found.append(file.path)
    return sorted(found)


# -- what every Python file seems to import, from one pass over its bytes ------------------

_IMPORT_STATEMENT = rb"import[ \t]+([\w., \t]+)"
_FROM_STATEMENT = rb"from[ \t]+([\w.]+)"
"""Kept as text and compiled on first use (through the `re` module's cache), so the
pre-commit hook does not pay for them at start-up."""


def import_roots(repo: Snapshot) -> dict[str, frozenset[bytes]]:
    """The top-level names each Python file seems to import, from one pass over its bytes.

    A prefilter, not a verdict (a docstring saying "from flask" counts here; the parsed
    imports decide): two regular expressions with a literal prefix scan each file once,
    where one substring test per package would scan it once per package. Through
    `repo.memo`, once per audit; shared by the service and lifecycle rules.
    """
    index: dict[str, frozenset[bytes]] = {}
    for file in repo.with_suffix(".py"):
        data = repo.read_bytes(file.path)
        if not data:
            continue
        roots = {name.split(b".")[0] for name in re.findall(_FROM_STATEMENT, data)}
        for names in re.findall(_IMPORT_STATEMENT, data):
            for name in names.split(b","):
                words = name.split()
                if words:
                    roots.add(words[0].split(b".")[0])
        index[file.path] = frozenset(roots)
    return index


_STATEMENT_BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")
"""The fields that hold statements (or handlers and match cases, which hold statements)."""


def statements(tree: ast.AST) -> Iterator[ast.AST]:
    """Every statement in `tree`, nested ones included, without a walk of the expressions.

    Statements nest only in the blocks of other statements (an expression cannot hold one),
    so this finds every `import`, `def` or `class` that `ast.walk` would, at a fraction of
    the cost. Except handlers and match cases are yielded too (they hold blocks).
    """
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        yield node
        for field in _STATEMENT_BLOCKS:
            block = getattr(node, field, None)
            if isinstance(block, list):
                stack.extend(reversed(block))


def imported_modules(tree: ast.AST) -> set[str]:
    """Every module a tree imports, dotted (`from a.b import c` gives `a.b` and `a.b.c`)."""
    names: set[str] = set()
    for node in statements(tree) if isinstance(tree, ast.mod | ast.stmt) else ast.walk(tree):
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


@lazy_dataclass(frozen=True)
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
