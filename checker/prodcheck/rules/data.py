"""Data pipeline: data and models stay out of git, training runs from code, input is checked.

A pilot in purgatory is a notebook that reads `/Users/maria/Downloads/export.csv`, fits a
model and pickles it next to the notebook. These rules ask for the opposite: exports and
model binaries are not committed (DATA001, DATA005, judged by file size alone), training has
an entry point in code or an orchestrator (DATA002), the code reads no hard-coded local files
(DATA003), the input is validated (DATA004), and the data source is configuration (DATA006).

Also the reading of code that the notebook rules share: a notebook's code cells parsed as
one Python program with IPython magics masked (`notebook_code`), a one-walk index of what a
module holds on the lines a rule cares about (`module_index`), the modules outside tests and
docs whose bytes hold a token (`modules_containing`), and jupytext detection.

Speed: nothing here parses a file whose bytes lack the tokens a rule looks for; parsed
trees and indexes are memoised per audit; DATA001 and DATA005 never read a file.
"""

from __future__ import annotations

import ast
import bisect
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._facts import (
    TEST_DIRS,
    dotted_name,
    is_docs_path,
    is_test_path,
    notebook_cells,
)
from prodcheck.rules._patterns import lazy, lazy_dataclass
from prodcheck.snapshot import Snapshot, SourceFile

if TYPE_CHECKING:
    import pathspec

KIB = 1024
MIB = 1024 * KIB

DATA_SUFFIXES = (".csv", ".tsv", ".xls", ".xlsx", ".parquet", ".feather", ".arrow", ".sav", ".dta")
MODEL_SUFFIXES = (
    ".pkl",
    ".pickle",
    ".joblib",
    ".h5",
    ".hdf5",
    ".pt",
    ".pth",
    ".onnx",
    ".safetensors",
    ".keras",
    ".ckpt",
)
MAX_MODEL_BYTES = 1 * MIB


def _patterns(suffixes: Iterable[str]) -> tuple[str, ...]:
    """`*.csv` and `*.CSV`: exports from Windows tools often carry upper-case extensions."""
    return tuple(p for s in suffixes for p in (f"*{s}", f"*{s.upper()}"))


# -- where files live --------------------------------------------------------------------------


def _fixture_spec(repo: Snapshot) -> pathspec.GitIgnoreSpec | None:
    if not repo.config.fixtures:
        return None
    import pathspec  # imported here: the pre-commit hook imports every rule module

    return pathspec.GitIgnoreSpec.from_lines(repo.config.fixtures)


def is_fixture_location(repo: Snapshot, path: str) -> bool:
    """Under a tests/ or docs/ directory (at any depth) or a configured `fixtures` glob.

    Only directories count: a root file named `test_set.csv` is an export like any other.
    """
    directories = path.split("/")[:-1]
    if not TEST_DIRS.isdisjoint(directories) or "docs" in directories:
        return True
    spec = repo.memo(_fixture_spec)
    return spec is not None and bool(spec.match_file(path))


def is_judged_code(path: str) -> bool:
    """Code whose behaviour ships: neither tests nor documentation."""
    return not is_test_path(path) and not is_docs_path(path)


_JUPYTEXT_HEADER = lazy(rb"\A(?:\s*#![^\n]*\n)?\s*# ---\s*\n(?:#[^\n]*\n){0,40}?#\s+jupytext:")


def is_notebook_script(data: bytes) -> bool:
    """A jupytext-paired notebook saved as .py (its `# ---` header names `jupytext:`).

    Such a file is a notebook in another format: the notebook rules treat it as one.
    """
    return data.find(b"jupytext", 0, 4096) != -1 and _JUPYTEXT_HEADER().match(data) is not None


def _sources(repo: Snapshot) -> list[tuple[str, bytes]]:
    """(path, bytes) of every Python module outside tests and docs, jupytext notebooks left
    out: read once per audit, so that each byte search below is a tight loop."""
    found = []
    for file in repo.with_suffix(".py"):
        if is_judged_code(file.path):
            data = repo.read_bytes(file.path)
            if data and not is_notebook_script(data):
                found.append((file.path, data))
    return found


def _containing(repo: Snapshot, needle: bytes) -> list[str]:
    return [path for path, data in repo.memo(_sources) if needle in data]


def modules_containing(repo: Snapshot, *needles: bytes) -> list[str]:
    """Python modules outside tests and docs whose bytes hold one of `needles`, sorted; the
    needles are searched together, in one pass over the modules, once per audit."""
    if len(needles) == 1:
        return sorted(repo.memo(_containing, needles[0]))
    return repo.memo(_containing_any, needles)


def _containing_any(repo: Snapshot, needles: tuple[bytes, ...]) -> list[str]:
    return sorted(
        path for path, data in repo.memo(_sources) if any(needle in data for needle in needles)
    )


def _size(size: int) -> str:
    if size < KIB:
        return f"{size} B"
    if size < MIB:
        return f"{size / KIB:.1f} KiB"
    if size < 1024 * MIB:
        return f"{size / MIB:.1f} MiB"
    return f"{size / (1024 * MIB):.1f} GiB"


def _limit(size: int) -> str:
    """A threshold as people write it: `100 KiB`, `1 MiB` (no needless decimals)."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return _size(size)


def _listed(paths: list[str], limit: int = 3) -> str:
    shown = ", ".join(f"`{p}`" for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


# -- code as the rules read it ----------------------------------------------------------------

_PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "memit", "debug"})
_MAGIC_ASSIGNMENT = lazy(r"^\s*[A-Za-z_][\w.,\s]*=\s*[%!]")
_HELP_LINE = lazy(r"^\s*(?:\?{1,2}[\w.]+|[\w.]+\?{1,2})\s*$")


@lazy_dataclass
class CodeIndex:
    """What the rules look for in a module or notebook, gathered in one walk of its syntax.

    Only the statements and expressions that overlap lines matching the rule's `interest`
    (a regular expression over source lines, such as `import|fit|train`) are walked, so a
    question about three lines of a large module does not cost a walk of all of it. The
    verdict still comes from the syntax tree: the line filter only says where to look.
    Docstrings and other bare string statements are prose, so they are not in `strings`.
    """

    trees: tuple[ast.Module, ...]
    calls: list[ast.Call] = field(default_factory=list)
    strings: list[tuple[ast.Constant, str]] = field(default_factory=list)
    """String literals with their value (f-string parts included)."""
    imports: list[ast.Import | ast.ImportFrom] = field(default_factory=list)
    classes: list[ast.ClassDef] = field(default_factory=list)
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=list)
    environment: list[ast.Attribute | ast.Name] = field(default_factory=list)
    """`os.environ`, `os.getenv`, `getenv`, `EnvVar`, `Variable.get` and similar references."""
    keywords: set[str] = field(default_factory=set)
    """Names of keyword arguments in calls (`postgres_conn_id`)."""

    @property
    def modules(self) -> set[str]:
        """Every imported module, dotted (`from a.b import c` gives `a.b` and `a.b.c`)."""
        names: set[str] = set()
        for node in self.imports:
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        return names

    def imports_any(self, packages: Iterable[str]) -> bool:
        modules = self.modules
        return any(
            module == package or module.startswith(f"{package}.")
            for module in modules
            for package in packages
        )


_ENVIRONMENT_NAMES = frozenset({"environ", "getenv", "EnvVar"})
_LEAVES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)
"""Nodes without fields, lines or anything the index collects: not worth a visit."""


_LINE_BOUND = lazy(r"[\^$.]|\\[sSWDBAZn]|\[\^|\(\?")
"""Pattern syntax that could match across or depend on a line's end: such patterns are
searched line by line."""


def _wanted_lines(text: str, interest: re.Pattern[str]) -> list[int]:
    """The numbers of the lines that `interest` matches in.

    Interest patterns are plain alternations of words, which cannot match across a line
    break: one search of the whole text per matching line replaces one search per line.
    """
    if interest.flags & re.MULTILINE or _LINE_BOUND().search(interest.pattern):
        return [n for n, line in enumerate(text.split("\n"), 1) if interest.search(line)]
    wanted: list[int] = []
    search, find, count = interest.search, text.find, text.count
    line, start = 1, 0
    match = search(text)
    while match is not None:
        line += count("\n", start, match.start())
        wanted.append(line)
        end = find("\n", match.start())
        if end == -1:
            break
        line, start = line + 1, end + 1
        match = search(text, start)
    return wanted


def index_trees(trees: Sequence[ast.Module], wanted: Sequence[int] | None = None) -> CodeIndex:
    """Walk `trees` once, into the nodes overlapping the `wanted` lines (all when None)."""
    index = CodeIndex(tuple(trees))
    if wanted is not None and not wanted:
        return index
    prose: set[int] = set()
    stack: list[ast.AST] = list(trees)
    while stack:
        node = stack.pop()
        if wanted is not None:
            start: int | None = getattr(node, "lineno", None)
            if start is not None:
                end: int = getattr(node, "end_lineno", None) or start
                position = bisect.bisect_left(wanted, start)
                if position == len(wanted) or wanted[position] > end:
                    continue
        if isinstance(node, ast.Call):
            index.calls.append(node)
            index.keywords.update(k.arg for k in node.keywords if k.arg)
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, str) and id(node) not in prose:
                index.strings.append((node, node.value))
        elif isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                prose.add(id(node.value))  # a docstring or a bare string: prose, not code
        elif isinstance(node, ast.Attribute):
            if node.attr in _ENVIRONMENT_NAMES or node.attr == "get":
                index.environment.append(node)
        elif isinstance(node, ast.Name):
            if node.id in _ENVIRONMENT_NAMES:
                index.environment.append(node)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            index.imports.append(node)
        elif isinstance(node, ast.ClassDef):
            index.classes.append(node)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            index.functions.append(node)
        for name in node._fields:  # ast.iter_child_nodes, inlined: this is the hot loop
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                if not isinstance(value, _LEAVES):
                    stack.append(value)
            elif isinstance(value, list):
                stack.extend(item for item in value if isinstance(item, ast.AST))
    return index


def _module_index(repo: Snapshot, path: str, interest: re.Pattern[str]) -> CodeIndex | None:
    tree = repo.python(path)
    if tree is None:
        return None
    return index_trees([tree], _wanted_lines(repo.text(path) or "", interest))


def module_index(repo: Snapshot, path: str, interest: re.Pattern[str]) -> CodeIndex | None:
    """What a Python module holds on the lines of `interest`, once per audit; None when it
    does not parse."""
    return repo.memo(_module_index, path, interest)


def _mask_ipython(source: str) -> tuple[str | None, list[tuple[int, str]]]:
    """The source as plain Python (magic lines become `pass`, so line numbers hold) and the
    lines that were masked; None when a cell magic makes the whole cell another language."""
    lines = source.split("\n")
    shell: list[tuple[int, str]] = []
    first = lines[0].lstrip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
        if magic not in _PYTHON_CELL_MAGICS:
            return None, [(number, line) for number, line in enumerate(lines, 1)]
        shell.append((1, lines[0]))
        lines[0] = ""
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip()
        if (  # the patterns need a `%`, `!` or `?`: most lines are spared them
            stripped.startswith(("%", "!"))
            or (("%" in line or "!" in line) and _MAGIC_ASSIGNMENT().match(line))
            or ("?" in line and _HELP_LINE().match(line))
        ):
            shell.append((number, line))
            lines[number - 1] = line[: len(line) - len(stripped)] + "pass"
    return "\n".join(lines), shell


def _parse(source: str) -> ast.Module | None:
    """Parse IPython code as Python; top-level `await`, which IPython allows, is accepted."""
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    try:
        tree: ast.Module = compile(source, "<ipython>", "exec", flags=flags, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return tree


@lazy_dataclass(frozen=True)
class IPythonCode:
    """IPython source (a notebook's code cells, or an IPython script) read as Python.

    Magics and shell escapes are masked so the rest parses; the cells are parsed together
    (one parse per notebook), or one by one when that fails, with line numbers counted in
    the cells joined, so `locate` maps a line back to its cell and the line inside it.
    """

    trees: tuple[ast.Module, ...]
    text: str
    """The Python of the cells joined (magics masked), which the line numbers count in."""
    shell_lines: tuple[tuple[int, str], ...]
    """Magic and shell lines (`!cp ...`, `%run x.ipynb`) with their joined line number."""
    cell_starts: tuple[int, ...] = (1,)
    cell_numbers: tuple[int, ...] = (0,)

    def locate(self, line: int) -> tuple[int, int]:
        """(cell index, line in the cell) of a joined line number."""
        position = max(bisect.bisect_right(self.cell_starts, line) - 1, 0)
        return self.cell_numbers[position], line - self.cell_starts[position] + 1


def parse_ipython(sources: Sequence[tuple[int, str]]) -> IPythonCode:
    """Read (cell index, source) pairs as one IPython program."""
    starts: list[int] = []
    numbers: list[int] = []
    pythons: list[tuple[int, str]] = []
    shell: list[tuple[int, str]] = []
    line = 1
    for number, source in sources:
        python, masked = _mask_ipython(source)
        starts.append(line)
        numbers.append(number)
        shell += [(line + offset - 1, text) for offset, text in masked]
        if python is not None:
            pythons.append((line, python))
        line += source.count("\n") + 1
    text = "\n".join(_padded(pythons))
    whole = _parse(text)
    if whole is not None:
        trees = [whole]
    else:  # a cell that does not parse must not hide the others
        trees = []
        for start, python in pythons:
            tree = _parse(python)
            if tree is not None:
                trees.append(ast.increment_lineno(tree, start - 1))
    return IPythonCode(tuple(trees), text, tuple(shell), tuple(starts), tuple(numbers))


def _padded(pythons: list[tuple[int, str]]) -> Iterator[str]:
    """The cells' Python with blank lines standing in for skipped cells, so lines still count."""
    line = 1
    for start, python in pythons:
        yield from [""] * (start - line)
        yield python
        line = start + python.count("\n") + 1


def _notebook_code(repo: Snapshot, path: str) -> IPythonCode | None:
    cells = [(c.index, c.source) for c in notebook_cells(repo, path) if c.cell_type == "code"]
    return parse_ipython(cells) if cells else None


def notebook_code(repo: Snapshot, path: str) -> IPythonCode | None:
    """A notebook's code cells read as Python, once per audit; None without code cells."""
    return repo.memo(_notebook_code, path)


def _notebook_index(repo: Snapshot, path: str, interest: re.Pattern[str]) -> CodeIndex | None:
    code = notebook_code(repo, path)
    if code is None:
        return None
    return index_trees(code.trees, _wanted_lines(code.text, interest))


def notebook_index(repo: Snapshot, path: str, interest: re.Pattern[str]) -> CodeIndex | None:
    """What a notebook's code cells hold on the lines of `interest`, once per audit."""
    return repo.memo(_notebook_index, path, interest)


# -- does this code train a model? -------------------------------------------------------------

TRAINING_PACKAGES = (
    "sklearn",
    "xgboost",
    "lightgbm",
    "catboost",
    "torch",
    "tensorflow",
    "keras",
    "pytorch_lightning",
    "lightning",
    "transformers",
    "trl",
    "setfit",
    "sentence_transformers",
    "statsmodels",
    "prophet",
    "neuralprophet",
    "pmdarima",
    "sktime",
    "darts",
    "autogluon",
    "h2o",
    "pycaret",
    "flaml",
    "fastai",
    "spacy",
    "gensim",
    "pyspark.ml",
    "imblearn",
    "stable_baselines3",
    "optax",
    "river",
    "tslearn",
    "implicit",
    "surprise",
)
"""Libraries whose import, together with a training call, marks code that trains a model."""

_TRAINING_METHODS = frozenset(
    [
        "fit",
        "partial_fit",
        "fit_generator",
        "fit_one_cycle",
        "fine_tune",
        "train",
        "train_model",
        "learn",
        "learn_one",
        "backward",
        "compare_models",
        "apply_updates",
    ]
)
_TRAINING_TOKENS = (
    b"fit",
    b"train",
    b"backward",
    b"learn",
    b"fine_tune",
    b"compare_models",
    b"apply_updates",
)
_IMPORT_LINES = lazy(r"import")
_TRAINING_LINES = lazy(r"import|fit|train|backward|learn|fine_tune|compare_models|updates")


def _call_name(call: ast.Call) -> str | None:
    """The last name of what a call calls: `fit` for `model.fit(...)`, `open` for `open(...)`."""
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else None


def _first(calls: Iterable[ast.Call]) -> ast.Call | None:
    return min(calls, key=lambda c: (c.lineno, c.col_offset), default=None)


def trains(index: CodeIndex) -> ast.Call | None:
    """The training call of code that imports a training library and calls a training method
    (`model.fit(...)`, `xgb.train(...)`, `loss.backward()`); None when it does not train."""
    if not index.imports_any(TRAINING_PACKAGES):
        return None
    return _first(c for c in index.calls if _call_name(c) in _TRAINING_METHODS)


def _code_trains(repo: Snapshot, path: str) -> bool:
    index = module_index(repo, path, _TRAINING_LINES())
    return index is not None and trains(index) is not None


def training_notebooks(repo: Snapshot) -> list[str]:
    """Notebooks (and jupytext notebook scripts) that train a model, outside tests and docs."""
    found = []
    for file in repo.with_suffix(".ipynb", ".py"):
        if not is_judged_code(file.path):
            continue
        data = repo.read_bytes(file.path)
        if not data or not any(token in data for token in _TRAINING_TOKENS):
            continue
        if file.suffix == ".ipynb":
            index = notebook_index(repo, file.path, _TRAINING_LINES())
        elif is_notebook_script(data):
            index = module_index(repo, file.path, _TRAINING_LINES())
        else:
            continue
        if index is not None and trains(index) is not None:
            found.append(file.path)
    return found


# -- pipeline entry points (DATA002) -----------------------------------------------------------

_PIPELINE_WORDS = lazy(r"(?:^|[^a-z])(?:re)?(?:train|training|pipelines?|fit)(?:[^a-z]|$)")
_MAKE_TARGET = lazy(r"^([A-Za-z0-9_.%/-]+(?:\s+[A-Za-z0-9_.%/-]+)*)\s*:(?![=:])")
_RUNS_PYTHON = lazy(
    r"(?:^|[\s/@'\"(])(?:python[0-9.]*|\$[({]PY(?:THON)?[0-9]*[)}]|uv\s+run|poetry\s+run|"
    r"pipenv\s+run|pdm\s+run|hatch\s+run|rye\s+run|dvc\s+repro|kedro\s+run|mlflow\s+run)"
    r"(?![\w-])"
)
_RUNS_NOTEBOOK = lazy(r"\.ipynb|papermill|nbconvert|jupyter\s+execute")
_MAKE_VARIABLE = lazy(r"^([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=[ \t]*(\S[^\n#]*?)?[ \t]*$", re.MULTILINE)
_MAKE_REFERENCE = lazy(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]")
_RUNS_MODULE = lazy(r"(?:^|\s)-m\s+([A-Za-z_][\w.]*)(?=\s|$)")
_RUNS_SCRIPT = lazy(r"(?:^|\s)([\w./-]+\.py)(?=\s|$)")


def _names_pipeline(text: str) -> bool:
    return _PIPELINE_WORDS().search(text.lower()) is not None


def _script_entries(repo: Snapshot) -> Iterator[str]:
    """`name = "module:function"` of console scripts in pyproject.toml and setup.cfg files."""
    for file in repo.with_suffix("pyproject.toml"):
        if file.name != "pyproject.toml":
            continue
        document = repo.toml(file.path) or {}
        project = document.get("project")
        tool = document.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        for table in (
            project.get("scripts") if isinstance(project, dict) else None,
            poetry.get("scripts") if isinstance(poetry, dict) else None,
        ):
            if isinstance(table, dict):
                yield from (f"{k} = {v}" for k, v in table.items() if isinstance(v, str))
    for file in repo.with_suffix("setup.cfg"):
        text = (repo.text(file.path) or "") if file.name == "setup.cfg" else ""
        if "console_scripts" not in text:
            continue
        import configparser

        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
            scripts = parser.get("options.entry_points", "console_scripts", fallback="")
        except configparser.Error:
            continue
        yield from (line.strip() for line in scripts.splitlines() if "=" in line)


def _is_kedro_project(repo: Snapshot) -> bool:
    for file in repo.with_suffix("pyproject.toml"):
        document = repo.toml(file.path) or {}
        tool = document.get("tool")
        if isinstance(tool, dict) and "kedro" in tool:
            return True
    registries = [
        f.path for f in repo.with_suffix("pipeline_registry.py") if is_judged_code(f.path)
    ]
    directories = repo.directories() if registries else set()
    return any(d == "conf/base" or d.endswith("/conf/base") for d in directories)


def _make_targets(text: str) -> Iterator[tuple[list[str], list[str]]]:
    """(target names, recipe lines) of a Makefile or justfile, without running make."""
    names: list[str] = []
    recipe: list[str] = []
    for line in text.splitlines():
        if line.startswith(("\t", " ")) and names:
            recipe.append(line.strip())
            continue
        if names:
            yield names, recipe
            names, recipe = [], []
        match = _MAKE_TARGET().match(line)
        if match:
            names = match.group(1).split()
            recipe = [line[match.end() :].strip().lstrip(";")]
    if names:
        yield names, recipe


def _make_pipeline_target(repo: Snapshot) -> bool:
    """A Makefile or justfile target named like train/pipeline whose recipe runs Python."""
    for file in repo.files.values():
        if file.name not in ("Makefile", "makefile", "GNUmakefile", "justfile", "Justfile"):
            continue
        if is_test_path(file.path):
            continue
        text = repo.text(file.path) or ""
        variables = {name: value or "" for name, value in _MAKE_VARIABLE().findall(text)}
        for names, recipe in _make_targets(text):
            commands = _expand(" ".join(recipe), variables)
            if (
                any(_names_pipeline(name) for name in names)
                and _RUNS_PYTHON().search(commands)
                and not _RUNS_NOTEBOOK().search(commands)
                and _runs_code_in(repo, commands)
            ):
                return True
    return False


def _expand(commands: str, variables: Mapping[str, str]) -> str:
    """`$(PYTHON) -m $(PACKAGE).pipeline` with the Makefile's own simple variables filled in."""
    return _MAKE_REFERENCE().sub(lambda ref: variables.get(ref[1], ref[0]), commands)


def _runs_code_in(repo: Snapshot, commands: str) -> bool:
    """False when the recipe names only modules (`-m pkg.train`) or scripts the repository
    lacks: a target calling code nobody wrote yet (as a Makefile copied from a template
    does) is not a pipeline. A recipe naming neither (a console script) gets the benefit of
    the doubt."""
    modules = [module.replace(".", "/") for module in _RUNS_MODULE().findall(commands)]
    wanted = [f"{module}.py" for module in modules] + [f"{m}/__main__.py" for m in modules]
    wanted += [script.removeprefix("./") for script in _RUNS_SCRIPT().findall(commands)]
    if not wanted:
        return True
    return any(path == name or path.endswith(f"/{name}") for path in repo.files for name in wanted)


def _config_pipeline(repo: Snapshot) -> bool:
    """`dvc.yaml` with stages, or an `MLproject` with entry points."""
    for file in repo.files.values():
        if file.name in ("dvc.yaml", "MLproject") and not is_test_path(file.path):
            document = repo.yaml(file.path)
            key = "stages" if file.name == "dvc.yaml" else "entry_points"
            steps = document.get(key) if isinstance(document, dict) else None
            if isinstance(steps, dict | list) and steps:
                return True
    return False


_ORCHESTRATORS: Mapping[str, tuple[str, ...]] = {
    # package imported -> what in the module declares a pipeline (call, decorator or base class)
    "airflow": ("DAG", "dag"),
    "prefect": ("flow",),
    "dagster": ("job", "asset", "multi_asset", "graph_asset", "Definitions", "define_asset_job"),
    "zenml": ("pipeline",),
    "metaflow": ("FlowSpec",),
    "flytekit": ("workflow",),
    "kfp": ("pipeline",),
    "luigi": ("Task",),
    "azure.ai.ml": ("pipeline",),
    "sagemaker.workflow": ("Pipeline",),
}


def _declares(tree: ast.AST, names: tuple[str, ...]) -> bool:
    """A call, decorator or base class whose last name component is one of `names`."""
    for node in ast.walk(tree):
        targets: list[ast.AST] = []
        if isinstance(node, ast.Call):
            targets.append(node.func)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            targets += node.decorator_list
        elif isinstance(node, ast.ClassDef):
            targets += node.bases
        for target in targets:
            if isinstance(target, ast.Call):
                target = target.func
            name = dotted_name(target)
            if name is not None and name.rsplit(".", 1)[-1] in names:
                return True
    return False


def _orchestrated(repo: Snapshot) -> bool:
    for package, declarations in _ORCHESTRATORS.items():
        for path in modules_containing(repo, package.split(".")[0].encode()):
            index = module_index(repo, path, _IMPORT_LINES())
            if (
                index is not None
                and index.imports_any([package])
                and any(_declares(tree, declarations) for tree in index.trees)
            ):
                return True
    return False


def _pipeline_entry_point(repo: Snapshot) -> bool:
    """True when the repository defines a way to run training without a notebook.

    The cheap tests (file names, TOML, YAML, Makefiles) come first; then non-test modules are
    parsed one at a time until one trains a model, so a repository that has a pipeline pays
    for a handful of parses, not one per file.
    """
    if _config_pipeline(repo) or _is_kedro_project(repo) or _make_pipeline_target(repo):
        return True
    if any(_names_pipeline(entry) for entry in _script_entries(repo)):
        return True
    for path, data in repo.memo(_sources):
        if any(token in data for token in _TRAINING_TOKENS) and _code_trains(repo, path):
            return True
    return _orchestrated(repo)


# -- reading local files (DATA003) -------------------------------------------------------------

_READERS = frozenset(
    [
        "read_csv",
        "read_csv_auto",
        "read_excel",
        "read_parquet",
        "read_json",
        "read_ndjson",
        "read_table",
        "read_feather",
        "read_pickle",
        "read_orc",
        "read_stata",
        "read_spss",
        "read_sas",
        "read_hdf",
        "read_fwf",
        "read_xml",
        "read_ipc",
        "read_avro",
        "scan_csv",
        "scan_parquet",
        "scan_ndjson",
        "scan_ipc",
        "loadtxt",
        "genfromtxt",
    ]
)
_NUMPY_READERS = frozenset({"load", "fromfile"})
_SPARK_READERS = frozenset({"csv", "parquet", "json", "orc", "text", "load"})
_OPENERS = frozenset({"open", "io.open", "codecs.open", "gzip.open", "bz2.open", "lzma.open"})
_PATH_METHODS = frozenset({"open", "read_text", "read_bytes"})
_PATH_KEYWORDS = (
    "filepath_or_buffer",
    "path_or_buf",
    "path",
    "paths",
    "io",
    "source",
    "file",
    "fname",
    "filepath",
    "filename",
)
_PATH_TYPES = frozenset(
    {"Path", "PurePath", "PosixPath", "PurePosixPath", "WindowsPath", "PureWindowsPath"}
)
_PATH_FUNCTIONS = frozenset(
    {"os.path.join", "path.join", "posixpath.join", "os.path.expanduser", "os.path.abspath"}
)
_PATH_METHODS_KEEPING_VALUE = frozenset({"expanduser", "resolve", "absolute"})

OPENED_DATA_SUFFIXES = (
    *DATA_SUFFIXES,
    ".xlsm",
    ".jsonl",
    ".ndjson",
    ".npy",
    ".npz",
    ".orc",
    ".avro",
    ".sas7bdat",
)
"""What `open("...")` must read to count as a data file: `open("config.yaml")` is not one."""
_COMPRESSION = (".gz", ".bz2", ".zip", ".xz", ".zst")
_FILE_LIKE_SUFFIXES = (*OPENED_DATA_SUFFIXES, ".json", ".txt", ".pkl", ".pickle", ".h5", ".hdf5")

_URL = lazy(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_SHARED_MOUNTS = ("/dbfs/", "/Volumes/", "/mnt/", "/Workspace/")
"""Databricks and cluster storage mounts: the same on every node, not one laptop's disk."""

_HOME_PATH = lazy(
    r"(?:(?:^|(?<=[\s\"'=:,;(\[{/]))(?:/mnt/[A-Za-z])?/(?:Users|home)/"
    r"(?P<name>[A-Za-z0-9._-]+)(?=$|[/\\\s\"'])"
    r"|(?<![A-Za-z0-9])[A-Za-z]:[\\/]+(?i:users)[\\/]+(?P<winname>[A-Za-z0-9._ -]+?)(?=$|[\\/]))"
)
_NOBODY = frozenset(
    {
        "user",
        "username",
        "user_name",
        "yourname",
        "your_name",
        "your-name",
        "you",
        "me",
        "name",
        "someone",
        "example",
        "foo",
        "x",
        "xxx",
        "shared",
        "public",
        "default",
        "all users",
        "default user",
        "runner",
        "appuser",
        "app",
        "nonroot",
        "vscode",
        "codespace",
        "jovyan",
        "linuxbrew",
        "...",
    }
)
"""Placeholder, CI and container accounts: a path into their home is no one person's machine."""

_DATA003_TOKENS = (b"read", b"open", b"load", b"Users", b"/home/", b"scan_")
_DATA003_LINES = lazy(r"read|open|load|scan_|genfromtxt|Users|users|USERS|/home/")
"""Every alternative starts with a literal, so the regex engine skips ahead by first letter."""
# Each alternative of the byte prefilters below starts with a literal byte (the drive letter
# of `C:\\Users` is checked behind the colon), so the regex engine skips ahead to candidate
# positions instead of trying every one: these run over every module DATA003 may judge.
_HOME_BYTES = lazy(
    rb"/(?:Users|home)/[A-Za-z0-9._-]|:(?<=[A-Za-z]:)(?:\\\\|\\|/)+[Uu][Ss][Ee][Rr][Ss]"
)
_READ_ARGUMENT = (
    rb"\s*\(\s*(?:\w+\s*=\s*)?(?:[rRbBuU]{0,2}[\"']|(?:pathlib\.)?Path\(|[\w.]*path\.join\()"
)
_LITERAL_READ_BYTES = lazy(
    b"|".join(
        reader + _READ_ARGUMENT
        for reader in (
            *(rb"read\w*", rb"scan_\w+", rb"load\w*", b"genfromtxt", b"open"),
            *(b"csv", b"parquet", b"json", b"orc", b"text"),
        )
    )
    + rb"|Path\(\s*[rRbBuU]{0,2}[\"']"
)
_STRING_CONSTANT_BYTES = lazy(
    rb"(?m)^[A-Za-z_]\w*\s*(?::[^=\n]*)?=\s*(?:[rRuU]?[\"']|(?:pathlib\.)?Path\()"
)


def _may_hard_code(data: bytes) -> bool:
    """Whether a module's bytes could hold a finding of DATA003: a home path, a reader given
    a literal or `Path(...)`, or a module-level string constant a reader might be given.
    Only a prefilter: the syntax tree decides."""
    return bool(
        _HOME_BYTES().search(data)
        or _LITERAL_READ_BYTES().search(data)
        or _STRING_CONSTANT_BYTES().search(data)
    )


_PATH_END = lazy(r"[\s\"'`,;()\[\]{}<>|]")


def home_path(text: str) -> str | None:
    """The path into a named person's home directory in `text` (`/Users/maria/x.csv`)."""
    for match in _HOME_PATH().finditer(text):
        name = match.group("name") or match.group("winname") or ""
        if name.lower().strip() not in _NOBODY:
            if match.start() == 0 and "\n" not in text:
                return text.rstrip()  # the string is the path, spaces and all
            end = _PATH_END().search(text, match.end())
            return text[match.start() : end.start() if end else len(text)]
    return None


def _strip_compression(path: str) -> str:
    lowered = path.lower()
    for suffix in _COMPRESSION:
        if lowered.endswith(suffix):
            return lowered[: -len(suffix)]
    return lowered


def _is_local_file(value: str, *, opened: bool) -> bool:
    """A literal that names a file on this machine: not a URL, not a cluster mount, not
    literal JSON or CSV text; for `open()`, one with a data file's extension."""
    text = value.strip()
    if not text or "\n" in text or text[0] in "{[<":
        return False
    scheme = _URL().match(text)
    if scheme is not None and scheme.group(1).lower() != "file":
        return False  # s3://, gs://, https://, abfss://, dbfs:/ ... (C:\ has a 1-letter scheme)
    if text.startswith(_SHARED_MOUNTS):
        return False
    bare = _strip_compression(text)
    if opened:
        return bare.endswith(OPENED_DATA_SUFFIXES)
    return "/" in text or "\\" in text or text.startswith("~") or bare.endswith(_FILE_LIKE_SUFFIXES)


@lazy_dataclass(frozen=True)
class _Literal:
    """A path spelled out in code: its value and the string literals it is made of."""

    value: str
    parts: tuple[ast.Constant, ...]
    constant: str | None = None
    """The module-level name it was read through (`DATA_PATH`), if any."""


@lazy_dataclass(frozen=True)
class _Constant:
    literal: _Literal
    line: int


class _Namespace:
    """Module-level names bound exactly once to a literal path, across a module or notebook.

    Looked up only when a read names a variable: the top-level assignments are scanned
    first, and the whole code is walked (to be sure nothing else rebinds the name) only when
    one of them assigns the name read.
    """

    def __init__(self, trees: Sequence[ast.Module]) -> None:
        self._trees = trees
        self._assignments: dict[str, list[ast.stmt]] | None = None
        self._bound: Counter[str] | None = None
        self.constants: dict[str, _Constant] = {}

    def _constant(self, name: str) -> _Constant | None:
        if name in self.constants:
            return self.constants[name]
        if self._assignments is None:
            self._assignments = {}
            for tree in self._trees:
                for statement in tree.body:
                    target, _ = _single_assignment(statement)
                    if target is not None:
                        self._assignments.setdefault(target, []).append(statement)
        statements = self._assignments.get(name, [])
        if len(statements) != 1:
            return None
        if self._bound is None:
            self._bound = Counter()
            for tree in self._trees:
                for node in ast.walk(tree):
                    self._bound.update(_bound_names(node))
        _, value = _single_assignment(statements[0])
        if self._bound[name] != 1 or value is None:
            return None
        literal = self.resolve(value)
        if literal is None:
            return None
        constant = _Constant(_Literal(literal.value, literal.parts), statements[0].lineno)
        self.constants[name] = constant
        return constant

    def resolve(self, node: ast.AST) -> _Literal | None:
        """The path `node` spells when every part of it is a literal (or such a constant)."""
        if isinstance(node, ast.Constant):
            return _Literal(node.value, (node,)) if isinstance(node.value, str) else None
        if isinstance(node, ast.Name):
            constant = self._constant(node.id)
            if constant is None:
                return None
            return _Literal(constant.literal.value, constant.literal.parts, node.id)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Div):
            left, right = self.resolve(node.left), self.resolve(node.right)
            if left is None or right is None:
                return None
            joiner = "/" if isinstance(node.op, ast.Div) else ""
            return _Literal(left.value + joiner + right.value, left.parts + right.parts)
        if isinstance(node, ast.Call):
            return self._resolve_call(node)
        return None

    def _resolve_call(self, node: ast.Call) -> _Literal | None:
        name = dotted_name(node.func) or ""
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            return None
        if name.rsplit(".", 1)[-1] in _PATH_TYPES or name in _PATH_FUNCTIONS or name == "str":
            parts = [self.resolve(arg) for arg in node.args]
            if not parts or any(p is None for p in parts):
                return None
            resolved = [p for p in parts if p is not None]
            return _Literal(
                "/".join(p.value for p in resolved), tuple(c for p in resolved for c in p.parts)
            )
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _PATH_METHODS_KEEPING_VALUE
            and not node.args
        ):
            return self.resolve(func.value)
        return None


def _bound_names(node: ast.AST) -> Iterator[str]:
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        yield node.id
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, ast.alias):
        yield node.asname or node.name.split(".")[0]
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        yield node.name
    elif isinstance(node, ast.Global | ast.Nonlocal):
        yield from node.names
    elif isinstance(node, ast.ExceptHandler) and node.name:
        yield node.name


def _single_assignment(statement: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if (
        isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ):
        return statement.targets[0].id, statement.value
    if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
        return statement.target.id, statement.value
    return None, None


def _reader_name(call: ast.Call) -> tuple[str, bool] | None:
    """(how the reader is shown, whether it is `open`-like) when `call` reads a file."""
    func = call.func
    name = dotted_name(func)
    if isinstance(func, ast.Name):
        if func.id in _READERS:
            return func.id, False
        return (func.id, True) if func.id in _OPENERS else None
    if not isinstance(func, ast.Attribute):
        return None
    attr = func.attr
    shown = name or f"....{attr}"
    if name in _OPENERS:
        return shown, True
    if attr in _READERS:
        return shown, False
    if attr in _NUMPY_READERS and name in (f"np.{attr}", f"numpy.{attr}"):
        return shown, False
    if attr in _SPARK_READERS and _reads_through_spark(func.value):
        return (name or f"spark.read....{attr}"), False
    return None


def _reads_through_spark(node: ast.AST) -> bool:
    """`spark.read`, `spark.read.format("csv").option(...)`: a DataFrameReader chain."""
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Attribute):
            if node.attr in ("read", "readStream"):
                return True
            node = node.value
        else:
            node = node.func
    return False


def _path_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        first = call.args[0]
        return None if isinstance(first, ast.Starred) else first
    for keyword in call.keywords:
        if keyword.arg in _PATH_KEYWORDS:
            return keyword.value
    return None


def _located(node: ast.AST, text: str, offset: int) -> int:
    """The line of position `offset` in a string literal (a triple-quoted one spans lines)."""
    line: int = getattr(node, "lineno", 1)
    if getattr(node, "end_lineno", line) != line:
        line += text[:offset].count("\n")
    return line


def _home_message(path: str) -> str:
    shown = path if len(path) <= 80 else path[:77] + "..."
    return (
        f"`{shown}` is a path into one person's home directory: the code works only on that "
        "machine; read the location from settings or the environment"
    )


def _read_message(reader: str, literal: _Literal, where: str | None) -> str:
    value = literal.value if len(literal.value) <= 80 else literal.value[:77] + "..."
    through = (
        f"`{literal.constant}`, the hard-coded local file `{value}` ({where})"
        if literal.constant is not None
        else f"the hard-coded local file `{value}`"
    )
    return (
        f"`{reader}` reads {through}: the code runs only where that file happens to be and "
        "cannot be pointed at fresh data; read the location from settings or the environment"
    )


Located = Callable[[int], tuple[int | None, int]]
"""Maps a line of the parsed code to (notebook cell or None, line in the cell or file)."""


def _in_module(line: int) -> tuple[int | None, int]:
    return None, line


def _hard_coded_paths(index: CodeIndex, locate: Located = _in_module) -> Iterator[Violation]:
    reported: set[int] = set()
    for node, value in index.strings:
        found = home_path(value)
        if found is not None:
            reported.add(id(node))
            cell, line = locate(_located(node, value, value.find(found)))
            yield Violation(_home_message(found), line=line, cell=cell)
    namespace = _Namespace(index.trees)
    for call in index.calls:
        read = _file_read(call)
        if read is None:
            continue
        reader, target, opened = read
        literal = namespace.resolve(target)
        if literal is None or not _is_local_file(literal.value, opened=opened):
            continue
        if any(id(part) in reported for part in literal.parts):
            continue  # already reported as a home path where the literal is written
        reported.update(id(part) for part in literal.parts)
        where = None
        if literal.constant is not None:
            set_in, set_on = locate(namespace.constants[literal.constant].line)
            where = f"set on line {set_on}" if set_in is None else f"set in cell {set_in}"
        cell, line = locate(target.lineno)
        yield Violation(_read_message(reader, literal, where), line=line, cell=cell)


def _file_read(call: ast.Call) -> tuple[str, ast.expr, bool] | None:
    """(the reader as shown, the expression naming the file, whether it is `open`-like) when
    `call` reads a file: `pd.read_csv(x)`, `open(x)` (for reading), `Path(x).read_text()`."""
    func = call.func
    if (
        isinstance(func, ast.Attribute)
        and func.attr in _PATH_METHODS
        and _is_path_call(func.value)
        and isinstance(func.value, ast.Call)
    ):
        mode = _argument(call, 0, "mode")
        if func.attr == "open" and not _reads_only(mode):
            return None
        return f"Path(...).{func.attr}", func.value, True
    reader = _reader_name(call)
    if reader is None:
        return None
    shown, opened = reader
    if opened and not _reads_only(_argument(call, 1, "mode")):
        return None  # writing a report to a local file is not reading data from one
    target = _path_argument(call)
    return None if target is None else (shown, target, opened)


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == keyword), None)


def _reads_only(mode: ast.expr | None) -> bool:
    """An `open` mode that only reads: absent, or a literal without w, a, x or +."""
    if mode is None:
        return True
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and not any(flag in mode.value for flag in "wax+")
    )


def _is_path_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    name = dotted_name(node.func) or ""
    return name.rsplit(".", 1)[-1] in _PATH_TYPES


def _shell_home_paths(code: IPythonCode) -> Iterator[Violation]:
    """Home paths in `!cp /Users/...`, `%cd /home/...` and other non-Python cell lines."""
    for joined, text in code.shell_lines:
        found = home_path(text)
        if found is not None:
            cell, line = code.locate(joined)
            yield Violation(_home_message(found), line=line, cell=cell)


# -- validation (DATA004) ----------------------------------------------------------------------

VALIDATION_PACKAGES = (
    "pandera",
    "great_expectations",
    "soda",
    "deepchecks",
    "tensorflow_data_validation",
    "pointblank",
    "patito",
    "dataframely",
)
WEB_FRAMEWORKS = (
    "fastapi",
    "flask",
    "starlette",
    "litestar",
    "django",
    "bentoml",
    "sanic",
    "aiohttp",
    "tornado",
    "falcon",
    "quart",
    "litserve",
    "ray.serve",
    "gradio",
    "streamlit",
)
_PYDANTIC_LINES = lazy(r"import|class|model_validate|parse_|validate|TypeAdapter|\*\*")
_FUNCTION_LINES = lazy(r"import|def ")
_CHECKING_FUNCTION = lazy(rb"def\s+\w*(?:valid|check|expect)", re.IGNORECASE)
_SERVICE_DIRS = frozenset({"service", "api", "serving", "server", "app", "web", "routers"})
_VALIDATING_METHODS = frozenset(
    {"model_validate", "model_validate_json", "parse_obj", "parse_raw", "validate"}
)
_COLUMN_CHECKS = frozenset(
    [
        "columns",
        "dtypes",
        "dtype",
        "isna",
        "isnull",
        "notna",
        "notnull",
        "null_count",
        "between",
        "is_unique",
        "duplicated",
        "schema",
    ]
)
_SCHEMA_MODULES = frozenset(
    [
        "schema.py",
        "schemas.py",
        "validation.py",
        "validate.py",
        "validators.py",
        "checks.py",
        "contracts.py",
        "expectations.py",
    ]
)
_DTYPE_NAMES = frozenset(
    [
        "int",
        "float",
        "str",
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "float32",
        "float64",
        "string",
        "object",
        "category",
        "boolean",
        "datetime64[ns]",
        "datetime64",
        "Int64",
        "Float64",
        "date",
        "datetime",
    ]
)


def _is_service_code(path: str, index: CodeIndex) -> bool:
    """A web service module: request models there validate requests, not pipeline input."""
    directories = path.split("/")[:-1]
    return not _SERVICE_DIRS.isdisjoint(directories) or index.imports_any(WEB_FRAMEWORKS)


def _library_validation(repo: Snapshot) -> bool:
    for package in VALIDATION_PACKAGES:
        for path in modules_containing(repo, package.encode()):
            index = module_index(repo, path, _IMPORT_LINES())
            if index is not None and index.imports_any([package]):
                return True
    return False


def _validation_config(repo: Snapshot) -> bool:
    """Great Expectations projects, SodaCL check files and dbt column tests, outside tests."""
    for file in repo.with_suffix(".yml", ".yaml"):
        if is_test_path(file.path):
            continue
        if file.name in ("great_expectations.yml", "great_expectations.yaml"):
            return True
    for file in repo.files_with(b"checks for", ".yml", ".yaml"):
        document = repo.yaml(file.path)
        if (
            not is_test_path(file.path)
            and isinstance(document, dict)
            and any(isinstance(k, str) and k.startswith("checks for ") for k in document)
        ):
            return True
    for file in repo.files_with(b"tests:", ".yml", ".yaml"):
        if not is_test_path(file.path) and _dbt_column_tests(repo.yaml(file.path)):
            return True
    return False


def _dbt_column_tests(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    for section in ("models", "sources", "seeds"):
        entries = document.get(section)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            tables = entry.get("tables", [entry]) if isinstance(entry, dict) else []
            for table in tables if isinstance(tables, list) else []:
                columns = table.get("columns") if isinstance(table, dict) else None
                for column in columns if isinstance(columns, list) else []:
                    if isinstance(column, dict) and (
                        column.get("tests") or column.get("data_tests")
                    ):
                        return True
    return False


def _pydantic_classes(index: CodeIndex, known: set[str]) -> set[str]:
    """Classes deriving from pydantic's BaseModel (or from such a class in `known`)."""
    found: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in index.classes:
            if node.name not in found:
                bases = {(dotted_name(b) or "").rsplit(".", 1)[-1] for b in node.bases}
                if "BaseModel" in bases or not bases.isdisjoint(known | found):
                    found.add(node.name)
                    changed = True
    return found


def _validates_rows(index: CodeIndex, models: set[str]) -> bool:
    """`Row.model_validate(record)`, `TypeAdapter(list[Row])`, `[Row(**r) for r in rows]`."""
    for node in index.calls:
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and func.attr in _VALIDATING_METHODS
            and isinstance(func.value, ast.Name)
            and func.value.id in models
        ):
            return True
        name = _call_name(node)
        if name in ("TypeAdapter", "parse_obj_as") and any(
            isinstance(n, ast.Name) and n.id in models for a in node.args for n in ast.walk(a)
        ):
            return True
        if name in models and any(k.arg is None for k in node.keywords):
            return True
    return False


def _pydantic_row_validation(repo: Snapshot) -> bool:
    definers = [
        (path, index)
        for path in modules_containing(repo, b"pydantic")
        if (index := module_index(repo, path, _PYDANTIC_LINES())) is not None
        and index.imports_any(["pydantic"])
        and not _is_service_code(path, index)
    ]
    models: set[str] = set()
    for _, index in definers:
        models |= _pydantic_classes(index, models)
    if not models:
        return False
    # where rows are validated: beside the models, or in a module naming one of them
    candidates = {path for path, _ in definers}
    candidates.update(modules_containing(repo, *(model.encode() for model in sorted(models))))
    for path in sorted(candidates):
        index = module_index(repo, path, _PYDANTIC_LINES())
        if (
            index is not None
            and not _is_service_code(path, index)
            and _validates_rows(index, models)
        ):
            return True
    return False


def _checks_columns(function: ast.AST) -> bool:
    """A function that looks at columns or types and raises or asserts when they are wrong."""
    touches = any(
        isinstance(n, ast.Attribute) and n.attr in _COLUMN_CHECKS for n in ast.walk(function)
    )
    return touches and any(isinstance(n, ast.Raise | ast.Assert) for n in ast.walk(function))


def _declares_column_types(tree: ast.AST) -> bool:
    """A mapping of at least two column names to dtypes (`{"age": "int64", "plan": str}`)."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Dict) or len(node.keys) < 2:
            continue
        typed = 0
        for key, value in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                break
            type_name = (
                value.value
                if isinstance(value, ast.Constant) and isinstance(value.value, str)
                else (dotted_name(value) or "").rsplit(".", 1)[-1]
            )
            if type_name in _DTYPE_NAMES:
                typed += 1
        else:
            if typed >= 2:
                return True
    return False


def _hand_written_validation(repo: Snapshot) -> bool:
    """A schema module, or a validate/check function that inspects columns and raises."""
    candidates = {
        path for path, _ in repo.memo(_sources) if path.rpartition("/")[2] in _SCHEMA_MODULES
    }
    candidates.update(
        path
        for path in modules_containing(repo, b"columns", b"dtype")
        if _CHECKING_FUNCTION().search(repo.read_bytes(path) or b"")
    )
    for path in sorted(candidates):
        index = module_index(repo, path, _FUNCTION_LINES())
        if index is None or _is_service_code(path, index):
            continue
        if PurePosixPath(path).name in _SCHEMA_MODULES and any(
            _declares_column_types(tree) for tree in index.trees
        ):
            return True
        if any(
            any(word in function.name.lower() for word in ("valid", "check", "expect"))
            and _checks_columns(function)
            for function in index.functions
        ):
            return True
    return False


# -- configured data sources (DATA006) ---------------------------------------------------------

_LOADERS = frozenset(
    [
        "read_sql",
        "read_sql_query",
        "read_sql_table",
        "read_database",
        "read_database_uri",
        "read_gbq",
        "create_engine",
        "load_dataset",
    ]
)
_CONNECTORS = (
    "sqlite3",
    "psycopg2",
    "psycopg",
    "pymysql",
    "duckdb",
    "snowflake.connector",
    "pyodbc",
    "oracledb",
    "cx_Oracle",
    "mysql.connector",
)
_LOADER_TOKENS = (b"read", b"load", b"scan_", b"connect", b"engine")
_LOADER_LINES = lazy(r"import|read|load|scan_|connect|engine")
_CONFIG_LINES = lazy(r"import|environ|getenv|EnvVar|Variable|conn_id|class ")
_CONFIG_LIBRARIES = (
    "pydantic_settings",
    "dynaconf",
    "hydra",
    "omegaconf",
    "decouple",
    "environs",
    "dotenv",
    "argparse",
    "click",
    "typer",
    "fire",
    "configparser",
    "confuse",
)
_CONFIG_NAMES = lazy(r"(?:^|[._])(?:settings|config|configs|conf|configuration|params)$")
_CONFIG_FILE_STEMS = lazy(
    r"^\.?(?:settings|config|configs|conf|configuration|params|parameters|catalog|app|"
    r"application)(?:[._-][\w.-]*)?$"
)
_CONFIG_DIRS = frozenset({"conf", "config", "configs", "settings"})
_CONFIG_SUFFIXES = (".yaml", ".yml", ".toml", ".ini", ".cfg", ".json", ".env")
_CONFIG_TOKENS = (b"environ", b"getenv", b"Settings", b"argparse", b"click", b"typer")


def _loading_call(index: CodeIndex) -> ast.Call | None:
    """The first call that loads data: a file reader, a SQL read, a database connection."""
    connectors = {
        alias.asname or alias.name
        for node in index.imports
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.name in _CONNECTORS
    }

    def loads(call: ast.Call) -> bool:
        if _call_name(call) in _LOADERS:
            return True
        reader = _reader_name(call)
        if reader is not None and not reader[1]:
            return True
        func = call.func
        if _call_name(call) == "connect" and isinstance(func, ast.Attribute):
            receiver = dotted_name(func.value)
            return receiver in connectors or receiver in _CONNECTORS
        return False

    return _first(call for call in index.calls if loads(call))


_ENVIRONMENT_READS = frozenset(
    {"os.environ", "environ", "os.getenv", "getenv", "EnvVar", "dagster.EnvVar", "Variable.get"}
)


def _reads_configuration(index: CodeIndex) -> bool:
    """Environment variables, a settings class, a config library, CLI options, a config module."""
    if index.imports_any(_CONFIG_LIBRARIES):
        return True
    if any(_CONFIG_NAMES().search(name) and name != "logging.config" for name in index.modules):
        return True
    for node in index.imports:
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            names = [node.module or ""] + [a.name for a in node.names]
            if any(_CONFIG_NAMES().search(n) for n in names if n):
                return True
    if any(dotted_name(node) in _ENVIRONMENT_READS for node in index.environment):
        return True
    if any(keyword.endswith("conn_id") for keyword in index.keywords):
        return True
    return any(
        (dotted_name(base) or "").endswith("BaseSettings")
        for node in index.classes
        for base in node.bases
    )


def _group(repo: Snapshot, path: str) -> str:
    """The package a module belongs to: the topmost directory of its chain of `__init__.py`
    files, or its own directory when it is not in a package ("" for the root)."""
    parent = PurePosixPath(path).parent
    group = str(parent)
    while str(parent) != "." and f"{parent}/__init__.py" in repo.files:
        group = str(parent)
        parent = parent.parent
    return "" if group == "." else group


def _in_tree(path: str, group: str) -> bool:
    return group == "" or path.startswith(f"{group}/")


def _config_anchors(repo: Snapshot) -> frozenset[str]:
    """Directories that configuration is kept for, found once per audit from file names alone.

    A settings module or a config file (`settings.py`, `config.yaml`, `params.yaml`,
    `.env.example`) anchors its own directory; a file inside a `conf/`, `config/`, `configs/`
    or `settings/` directory anchors the directory holding that one (`conf/base/catalog.yml`
    anchors the project root).
    """
    anchors = set()
    for path in repo.files:
        parts = path.split("/")
        directories, name = parts[:-1], parts[-1]
        if not TEST_DIRS.isdisjoint(directories) or "docs" in directories:
            continue
        stem, _, suffix = name.rpartition(".")
        config_dir = next((i for i, d in enumerate(directories) if d in _CONFIG_DIRS), None)
        if suffix == "py" and _CONFIG_NAMES().search(stem):
            anchors.add("/".join(directories))
        elif name.endswith(_CONFIG_SUFFIXES) and config_dir is not None:
            anchors.add("/".join(directories[:config_dir]))
        elif (name.endswith(_CONFIG_SUFFIXES) and _CONFIG_FILE_STEMS().match(name)) or (
            name.startswith(".env") and name != ".envrc"
        ):
            anchors.add("/".join(directories))
    return frozenset(anchors)


def _configuration_readers(repo: Snapshot) -> list[str]:
    """Non-test modules that read the environment, settings, a config library or CLI options,
    among those whose bytes name one of the usual ways (environ, getenv, Settings...)."""
    candidates = modules_containing(repo, *_CONFIG_TOKENS)
    return [path for path in candidates if _reads_configuration_in(repo, path)]


def _reads_configuration_in(repo: Snapshot, path: str) -> bool:
    index = module_index(repo, path, _CONFIG_LINES())
    return index is not None and _reads_configuration(index)


def _related(directory: str, group: str) -> bool:
    """`directory` is inside the package `group`, or one of the directories above it."""
    return (
        _in_tree(f"{directory}/", group)
        or directory == group
        or directory == ""
        or group.startswith(f"{directory}/")
    )


def _loader_candidates(repo: Snapshot) -> list[str]:
    """Non-test modules whose bytes name a way of loading data; not parsed yet."""
    return modules_containing(repo, *_LOADER_TOKENS)


def _first_load(repo: Snapshot, path: str) -> ast.Call | None:
    index = module_index(repo, path, _LOADER_LINES())
    return None if index is None else _loading_call(index)


# -- rules -------------------------------------------------------------------------------------

_DATA_EXAMPLE_CONFIG = "max_data_kb = 0\n"


def example_notebook(*sources: str) -> str:
    """A small nbformat 4 notebook of code cells, as the rule examples show it."""
    cells: list[dict[str, Any]] = [
        {
            "cell_type": "code",
            "execution_count": None,
            "id": f"cell-{index}",
            "metadata": {},
            "outputs": [],
            "source": source,
        }
        for index, source in enumerate(sources)
    ]
    document = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(document, indent=1) + "\n"


_NOTEBOOK_TRAINING = example_notebook(
    "import pandas as pd\nfrom sklearn.linear_model import LogisticRegression",
    'frame = pd.read_csv("churn.csv")',
    'model = LogisticRegression().fit(frame.drop(columns="churned"), frame["churned"])',
)
_PIPELINE = """\
from churn.data.extract import extract
from churn.settings import Settings
from sklearn.linear_model import LogisticRegression


def main() -> None:
    settings = Settings()
    frame = extract(settings.database_url)
    model = LogisticRegression().fit(frame.drop(columns="churned"), frame["churned"])


if __name__ == "__main__":
    main()
"""


@rule(
    "DATA001",
    "data-export-committed",
    stage=2,
    principle=Principle.DATA_PIPELINE,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=_patterns(DATA_SUFFIXES),
    summary="No data exports are tracked: CSV, Excel, Parquet and similar files over "
    "`max_data_kb` (default 100) outside `tests/`, `docs/` and configured fixtures.",
    remedy=(
        "Remove the export from git (rewrite history with `git filter-repo` when it holds "
        "personal data), ignore it in `.gitignore`, and read the data from its source in "
        "`src/<package>/data/extract.py`, located by `DATABASE_URL` in "
        "`src/<package>/settings.py`. Small test fixtures belong under `tests/` or a "
        "`fixtures` glob in the prodcheck configuration."
    ),
    examples=Examples(
        failing={
            ".prodcheck.toml": _DATA_EXAMPLE_CONFIG,
            "data/crm_export_2024-03.csv": "customer_id,plan,churned\n1,pro,0\n2,free,1\n",
        },
        passing={
            ".prodcheck.toml": _DATA_EXAMPLE_CONFIG + 'fixtures = ["samples/"]\n',
            "tests/data/customers.csv": "customer_id,plan,churned\n1,pro,0\n",
            "samples/customers.csv": "customer_id,plan,churned\n1,pro,0\n",
        },
    ),
)
def data_export_committed(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """A CSV export committed next to the code is the classic pilot data source: it is a
    snapshot nobody refreshes, so the model trains on last quarter's customers forever; it
    copies whatever personal data it holds to every clone and fork; and it hides where the
    data really comes from, so nobody can rebuild it when the pilot must go live. A production
    pipeline extracts its data from the system of record each time it runs. Small fixtures
    for tests and documentation are fine, and judged by size alone: the file is never read.
    """
    limit = repo.config.max_data_kb * KIB
    if file.size <= limit or is_fixture_location(repo, file.path):
        return
    yield Violation(
        f"`{file.path}` is a {_size(file.size)} data export committed to the repository, over "
        f"the {_limit(limit)} limit (`max_data_kb`): a copy in git goes stale, spreads whatever "
        "it holds to every clone and hides where the data really comes from"
    )


@rule(
    "DATA002",
    "training-only-in-notebooks",
    stage=2,
    principle=Principle.DATA_PIPELINE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="A pipeline entry point exists in code, not only in notebooks: a module that "
    "trains, a script entry, a Makefile target or an orchestrator definition.",
    remedy=(
        "Move the notebook's steps into `src/<package>/pipeline.py` (extract -> validate -> "
        "train -> evaluate -> log and register in MLflow) with a `main()` that the Makefile's "
        "`pipeline` target, a `[project.scripts]` entry or an orchestrator (Airflow, Prefect, "
        "Dagster, Kedro, DVC, ZenML, Metaflow) runs."
    ),
    examples=Examples(
        failing={"notebooks/02_train.ipynb": _NOTEBOOK_TRAINING},
        passing={
            "notebooks/02_train.ipynb": _NOTEBOOK_TRAINING,
            "src/churn/pipeline.py": _PIPELINE,
        },
    ),
)
def training_only_in_notebooks(repo: Snapshot) -> Iterator[Violation]:
    """A model trained by running notebook cells by hand cannot be retrained on a schedule,
    reviewed, tested or reproduced: the cells ran in some order, against some state, on
    somebody's laptop. The pilot works once and stalls the first time the data changes. A
    pipeline entry point in code is what turns "it works in my notebook" into "the system
    retrains it".

    Any of these counts: a non-test Python module that imports a training library
    (scikit-learn, XGBoost, LightGBM, PyTorch, Keras, transformers, statsmodels...) and calls a
    training method (`fit`, `train`, `backward`...); a console script in `[project.scripts]`,
    `[tool.poetry.scripts]` or `setup.cfg` whose name or target says train or pipeline; a
    Makefile or justfile target so named whose recipe runs Python (not a notebook); a
    `dvc.yaml` with stages or an `MLproject` with entry points; a Kedro project; or an Airflow
    DAG, Prefect flow, Dagster job or asset, ZenML or Kubeflow pipeline, Flyte workflow,
    Metaflow FlowSpec or Luigi task. Extraction is not demanded in the same module: in a
    well-factored pipeline it lives in its own module.
    """
    if _pipeline_entry_point(repo):
        return
    notebooks = training_notebooks(repo)
    if notebooks:
        yield Violation(
            f"training happens only in notebooks ({_listed(notebooks)}): no Python module, "
            "script entry, Makefile target or orchestrator (Airflow, Prefect, Dagster, Kedro, "
            "DVC, ZenML, Metaflow) defines a pipeline, so retraining means someone re-running "
            "cells by hand"
        )
        return
    yield Violation(
        "no pipeline entry point: no Python module trains a model, and no script entry, "
        "Makefile target or orchestrator (Airflow, Prefect, Dagster, Kedro, DVC, ZenML, "
        "Metaflow) defines a pipeline, so the model cannot be retrained reproducibly"
    )


@rule(
    "DATA003",
    "hard-coded-data-path",
    stage=2,
    principle=Principle.DATA_PIPELINE,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=("*.py", "*.ipynb"),
    summary="No hard-coded local data files: no reader or `open()` of a literal local path, "
    "no absolute home paths (`/Users/...`, `/home/...`, `C:\\Users\\...`) in code.",
    remedy=(
        "Read the data's location from configuration: `src/<package>/settings.py` "
        "(pydantic-settings, `DATABASE_URL` or a data URI from the environment), and extract "
        "through `src/<package>/data/extract.py`. Test fixtures may use literal paths under "
        "`tests/`."
    ),
    examples=Examples(
        failing={
            "src/churn/train.py": 'import pandas as pd\n\nframe = pd.read_csv("data/train.csv")\n'
        },
        passing={
            "src/churn/train.py": "import pandas as pd\n\nfrom churn.settings import Settings\n\n"
            "frame = pd.read_parquet(Settings().data_uri)\n"
        },
    ),
)
def hard_coded_data_path(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """`pd.read_csv("/Users/maria/Downloads/export.csv")` is how most pilots start, and why
    they never leave the laptop they were written on: the code runs only where that file
    happens to be, nobody can point it at fresh data without editing it, and a container or a
    scheduler has no such path. Production code gets the location of its data from
    configuration, so the same code reads a sample on a laptop and the warehouse in
    production.

    Flagged: a pandas, polars, NumPy, PyArrow or Spark reader (or `open()` of a file with a
    data extension) given a literal local path, directly, through `Path(...)`/`os.path.join`
    of literals, or through a module-level constant bound once to one; and any string in code
    holding a path into a named person's home directory, notebook shell escapes and magics
    (`!cp /Users/...`) included. Not flagged: URLs (`s3://`, `gs://`,
    `https://`...), cluster mounts (`/dbfs/`, `/mnt/`, `/Volumes/`), paths built from
    settings, the environment or `__file__`, docstrings, comments, Markdown cells, outputs,
    tests and docs.
    """
    if not is_judged_code(file.path):
        return
    data = repo.read_bytes(file.path)
    if not data or not any(token in data for token in _DATA003_TOKENS):
        return
    found: list[Violation] = []
    if file.suffix == ".ipynb":
        code = notebook_code(repo, file.path)
        index = notebook_index(repo, file.path, _DATA003_LINES())
        if code is not None and index is not None:
            found = [*_hard_coded_paths(index, code.locate), *_shell_home_paths(code)]
    else:
        if not _may_hard_code(data):
            return
        index = module_index(repo, file.path, _DATA003_LINES())
        found = [] if index is None else list(_hard_coded_paths(index))
    yield from sorted(found, key=lambda v: (v.cell or 0, v.line or 0, v.message))


@rule(
    "DATA004",
    "input-data-unvalidated",
    stage=2,
    principle=Principle.DATA_PIPELINE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    requires=("DATA002",),
    summary="Input data is validated in the pipeline (pandera, Great Expectations, Soda, "
    "deepchecks, pydantic row models, or an explicit schema module).",
    remedy=(
        "Declare the input's columns, types and allowed values in "
        "`src/<package>/data/schema.py` (a pandera `DataFrameModel`) and validate every "
        "extract in `src/<package>/pipeline.py` before training; write down what the source "
        "promises in `docs/data-contract.md`."
    ),
    examples=Examples(
        failing={"src/churn/pipeline.py": _PIPELINE},
        passing={
            "src/churn/pipeline.py": _PIPELINE,
            "src/churn/data/schema.py": "import pandera.pandas as pa\n\n\n"
            "class Customers(pa.DataFrameModel):\n    tenure_months: int = pa.Field(ge=0)\n"
            "    churned: int = pa.Field(isin=[0, 1])\n",
        },
    ),
)
def input_data_unvalidated(repo: Snapshot) -> Iterator[Violation]:
    """Source data changes without notice: a column is renamed, a unit changes, an export
    arrives half empty. Without validation the pipeline trains on it anyway and ships a worse
    model with a green build, and the first to notice is a customer. Validating the input
    against a declared schema turns a silent model regression into a failed pipeline run
    that says which column broke.

    Any of these counts, in non-test code: pandera, Great Expectations (code or a
    `great_expectations.yml` project), Soda (code or SodaCL `checks for` files), deepchecks,
    TensorFlow Data Validation, pointblank, patito or dataframely; dbt column tests; pydantic
    models used to validate records (`Row.model_validate(...)`, `TypeAdapter(list[Row])`,
    `Row(**record)`) outside web-service code, since a request model validates requests,
    not the training data; a `schema.py`-style module declaring column types; or a
    validate/check function that inspects columns or dtypes and raises. Not judged while
    DATA002 fails: without a pipeline there is nothing to validate in.
    """
    if (
        _library_validation(repo)
        or _validation_config(repo)
        or _pydantic_row_validation(repo)
        or _hand_written_validation(repo)
    ):
        return
    yield Violation(
        "no code validates the input data: no pandera, Great Expectations, Soda, deepchecks "
        "or pydantic row models, and no schema module that checks columns and types, so a "
        "renamed column or a broken export flows silently into the model"
    )


@rule(
    "DATA005",
    "model-binary-committed",
    stage=2,
    principle=Principle.DATA_PIPELINE,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=_patterns(MODEL_SUFFIXES),
    summary="No model binaries are tracked: pickles, joblib, HDF5, PyTorch, ONNX, "
    "safetensors, Keras and checkpoint files over 1 MiB; models live in a registry.",
    remedy=(
        "Remove the binary from git and ignore model files in `.gitignore`; log and register "
        "the model in MLflow from `src/<package>/pipeline.py`, and let the service load it "
        "by `MODEL_URI` (such as `models:/churn@champion`) from `src/<package>/settings.py`."
    ),
    examples=Examples(
        failing={
            # The file's size is what counts: padding after the description makes it 1.1 MiB
            # while the rendered example shows only the description.
            "models/churn_model.pkl": "(a pickled RandomForestClassifier, 1.1 MiB)"
            + " " * (MAX_MODEL_BYTES + 100 * KIB),
        },
        passing={"tests/fixtures/tiny_model.pkl": "(a 2 KiB pickled model for the tests)\n"},
    ),
)
def model_binary_committed(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """A model pickled into the repository has no version, no lineage and no metrics beside
    it: nobody can tell which data and code produced it, roll it back or compare it with the
    next one, and every clone carries every past model forever. Unpickling a file from a
    repository also runs whatever code it contains. A registry (MLflow, Weights & Biases,
    SageMaker, Vertex AI) stores models with their run, metrics and stage, and the service
    asks it for the current champion. Judged by size alone; the file is never read, and small
    fixtures under `tests/`, `docs/` or a configured `fixtures` glob are fine.
    """
    if file.size <= MAX_MODEL_BYTES or is_fixture_location(repo, file.path):
        return
    yield Violation(
        f"`{file.path}` is a {_size(file.size)} model binary committed to the repository, over "
        f"the {_limit(MAX_MODEL_BYTES)} limit: it has no version, lineage or metrics beside it "
        "and swells every clone; register models in a model registry such as MLflow"
    )


@rule(
    "DATA006",
    "data-source-hard-coded",
    stage=2,
    principle=Principle.DATA_PIPELINE,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="The data source is configured, not hard-coded: a connection URL or data path is "
    "read from the environment or settings.",
    remedy=(
        "Read the connection URL or data location in `src/<package>/settings.py` "
        "(pydantic-settings `BaseSettings`, from environment variables such as "
        "`DATABASE_URL`) and pass it to `src/<package>/data/extract.py`."
    ),
    examples=Examples(
        failing={
            "etl/load.py": "import sqlite3\n\nimport pandas as pd\n\n"
            'connection = sqlite3.connect("warehouse.db")\n'
            'orders = pd.read_sql("SELECT * FROM orders", connection)\n'
        },
        passing={
            "etl/load.py": "import os\n\nimport pandas as pd\nimport sqlalchemy\n\n"
            'engine = sqlalchemy.create_engine(os.environ["DATABASE_URL"])\n'
            'orders = pd.read_sql("SELECT * FROM orders", engine)\n'
        },
    ),
)
def data_source_hard_coded(repo: Snapshot) -> Iterator[Violation]:
    """The same pipeline must read a sample on a laptop, a staging copy in CI and the real
    warehouse in production. When the database or bucket is written into the code, moving it
    means editing and redeploying the pipeline, and sooner or later a test run reads
    production data or production reads a stale sample.

    Judged per package of Python modules that load data (a reader, a SQL read, a database
    connection). A package passes when one of its modules reads the environment
    (`os.environ`, `os.getenv`), defines or imports settings (pydantic `BaseSettings`, a
    `settings`/`config` module), uses a configuration library (dynaconf, Hydra, OmegaConf,
    python-decouple, environs, dotenv), takes command-line options (argparse, click, Typer,
    Fire) or names an orchestrator connection (`conn_id`); or when a settings module or
    config file (`config.yaml`, `params.yaml`, `conf/`, `.env.example`) sits in the package
    or in a directory above it. Notebooks are not judged here (DATA003 reports their literal
    paths), and a repository whose code loads no data passes: DATA002 reports a missing
    pipeline.
    """
    anchors = repo.memo(_config_anchors)
    unconfigured: dict[str, list[str]] = {}
    for path in _loader_candidates(repo):  # packages with config files are settled unparsed
        group = _group(repo, path)
        if not any(_related(anchor, group) for anchor in anchors):
            unconfigured.setdefault(group, []).append(path)
    for group, paths in sorted(unconfigured.items()):
        loads = [(path, call) for path in paths if (call := _first_load(repo, path)) is not None]
        if not loads:
            continue
        if any(_reads_configuration_in(repo, path) for path, _ in loads) or any(
            _in_tree(path, group) for path in repo.memo(_configuration_readers)
        ):
            continue
        path, call = loads[0]
        where = f"`{group}/`" if group else "the repository"
        shown = dotted_name(call.func) or "a loader"
        yield Violation(
            f"`{path}` loads data (`{shown}`) but nothing in {where} reads the data source from "
            "the environment or settings: moving to another database or bucket means editing "
            "the code",
            path,
            call.lineno,
        )
