"""Notebooks: a place to explore, never the production system itself.

A notebook is a fine way to find a model and a poor way to run one: its cells run in any
order against hidden state, and it cannot be imported, unit-tested or reviewed line by line.
These rules ask that the logic live in modules (NB001), that production code never executes
notebooks (NB002), and that notebooks are committed without megabytes of outputs (NB003).

Notebooks saved as `.py` by jupytext (a `# ---` header naming `jupytext:`) are notebooks too:
they are not counted as modules, and running another notebook from one is not production code.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator, Mapping
from typing import Any

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._facts import dotted_name
from prodcheck.rules._patterns import lazy
from prodcheck.rules.data import (
    KIB,
    CodeIndex,
    example_notebook,
    index_trees,
    is_judged_code,
    is_notebook_script,
    module_index,
    parse_ipython,
)
from prodcheck.snapshot import Snapshot, SourceFile

MAX_OUTPUT_BYTES = 200 * KIB
NOT_LOGIC = frozenset({"setup.py", "noxfile.py", "conftest.py"})
"""Modules that hold no product logic: packaging, dev tasks, test configuration."""

_NOTEBOOK_IMPORTERS: Mapping[str, str] = {
    "nbimporter": "imports notebooks as modules",
    "import_ipynb": "imports notebooks as modules",
    "ipynb": "imports notebooks as modules",
    "dagstermill": "runs notebooks as pipeline steps",
    "airflow.providers.papermill": "runs notebooks as DAG tasks",
    "airflow.operators.papermill_operator": "runs notebooks as DAG tasks",
}
_COMMANDS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "os.system",
        "os.popen",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
    }
)
_NB002_LINES = lazy(
    r"import|mill|execute|nb|Notebook|Preprocessor|run|call|Popen|system|popen|exec|magic|Operator"
)
_NB002_TOKENS = (b"nb", b"mill")  # ipynb, nbimporter, nbclient, nbconvert; (dagster|paper)mill
_CONSEQUENCE = (
    "production then depends on a notebook's hidden state and untested cells; move the logic "
    "into a module and import it"
)


def _listed(paths: list[str], limit: int = 2) -> str:
    shown = ", ".join(f"`{p}`" for p in paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _size(size: int) -> str:
    return f"{size / KIB:.1f} KiB" if size < 1024 * KIB else f"{size / KIB / 1024:.1f} MiB"


# -- NB001: is there code outside the notebooks? -----------------------------------------------


def _defines_logic(tree: ast.Module) -> bool:
    logic = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(isinstance(node, logic) for node in tree.body) or any(
        isinstance(node, logic) for node in ast.walk(tree)
    )


def _has_module_with_logic(repo: Snapshot) -> bool | None:
    """True when a package or a module defining a function or class exists outside tests and
    docs; None when only modules that cannot be parsed might, so the answer is unknown."""
    modules = [
        f for f in repo.with_suffix(".py") if is_judged_code(f.path) and f.name not in NOT_LOGIC
    ]
    packages = {f.path.rpartition("/")[0] for f in modules if f.name == "__init__.py"}
    if any(f.name != "__init__.py" and f.path.rpartition("/")[0] in packages for f in modules):
        return True  # a package: `__init__.py` beside other modules
    unknown = False
    for file in modules:
        data = repo.read_bytes(file.path)
        if not data or (b"def " not in data and b"class " not in data):
            continue
        if is_notebook_script(data):
            continue
        tree = repo.python(file.path)
        if tree is None:
            unknown = True
        elif _defines_logic(tree):
            return True
    return None if unknown else False


# -- NB002: does production code run notebooks? ------------------------------------------------


def _aliases(index: CodeIndex) -> dict[str, str]:
    """Local names of imported modules and objects: `pm` -> `papermill`."""
    names: dict[str, str] = {}
    for node in index.imports:
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                names[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualified(node: ast.AST, aliases: Mapping[str, str]) -> str | None:
    name = dotted_name(node)
    if name is None:
        return None
    head, dot, rest = name.partition(".")
    return aliases.get(head, head) + dot + rest


def _strings(node: ast.AST) -> list[str]:
    """The string literals inside an expression, in order (f-string parts included)."""
    return [
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def _runs_notebook_command(words: list[str]) -> bool:
    """A command line that executes a notebook: nbconvert --execute, papermill, jupyter
    execute, runipy."""
    lowered = [w.lower().rsplit("/", 1)[-1] for w in words]
    return (
        ("nbconvert" in lowered or "jupyter-nbconvert" in lowered) and "--execute" in lowered
    ) or (
        "papermill" in lowered
        or "runipy" in lowered
        or ("jupyter" in lowered and "execute" in lowered)
    )


def _shown_notebook(call: ast.Call) -> str:
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return f"the notebook `{first.value}`"
    return "a notebook"


def _reads_notebooks(index: CodeIndex) -> bool:
    """The module loads notebook files: it imports nbformat or names an `.ipynb` file."""
    return index.imports_any(["nbformat"]) or any(".ipynb" in value for _, value in index.strings)


def _magic_runs_notebook(call: ast.Call) -> str | None:
    """`get_ipython().run_line_magic("run", "x.ipynb")` or `.magic("run x.ipynb")`."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in ("run_line_magic", "magic"):
        return None
    text = " ".join(s for arg in call.args for s in _strings(arg))
    words = text.split()
    if words[:1] == ["run"] and any(w.endswith(".ipynb") for w in words):
        return " ".join(words)
    return None


def _notebook_runs(index: CodeIndex) -> Iterator[Violation]:
    for node in index.imports:
        modules = (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if node.level == 0
            else []
        )
        for module in modules:
            for library, does in _NOTEBOOK_IMPORTERS.items():
                if module == library or module.startswith(f"{library}."):
                    yield Violation(
                        f"importing `{module}` {does}: {_CONSEQUENCE}", line=node.lineno
                    )
    aliases = _aliases(index)
    reads_notebooks: bool | None = None
    for call in index.calls:
        name = _qualified(call.func, aliases) or ""
        shown = dotted_name(call.func) or name
        if name == "papermill.execute_notebook":
            yield Violation(
                f"`{shown}` runs {_shown_notebook(call)}: {_CONSEQUENCE}", line=call.lineno
            )
        elif name in (
            "nbclient.NotebookClient",
            "nbclient.client.NotebookClient",
            "nbclient.execute",
            "nbconvert.preprocessors.ExecutePreprocessor",
            "nbconvert.preprocessors.execute.ExecutePreprocessor",
        ):
            yield Violation(f"`{shown}` executes a notebook: {_CONSEQUENCE}", line=call.lineno)
        elif name in _COMMANDS:
            words = [w for s in (_strings(a) for a in call.args[:1]) for t in s for w in t.split()]
            if _runs_notebook_command(words):
                command = " ".join(words)
                command = command if len(command) <= 60 else command[:57] + "..."
                yield Violation(
                    f"`{shown}` runs a notebook (`{command}`): {_CONSEQUENCE}", line=call.lineno
                )
        elif name == "runpy.run_path" and any(".ipynb" in s for s in _strings(call)):
            yield Violation(
                f"`{shown}` runs {_shown_notebook(call)}: {_CONSEQUENCE}", line=call.lineno
            )
        elif name == "exec" and isinstance(call.func, ast.Name):
            if reads_notebooks is None:
                reads_notebooks = _reads_notebooks(index)
            if reads_notebooks:
                yield Violation(
                    f"`exec` runs code read from a notebook: {_CONSEQUENCE}", line=call.lineno
                )
        elif (magic := _magic_runs_notebook(call)) is not None:
            yield Violation(f"`%{magic}` runs a notebook: {_CONSEQUENCE}", line=call.lineno)


def _run_magics(text: str) -> Iterator[Violation]:
    """`%run other.ipynb` lines of an IPython script (a .py that only IPython can run)."""
    code = parse_ipython([(0, text)])
    if not code.trees:
        return  # not an IPython script either (Python 2, a broken file): not judged
    for line, source in code.shell_lines:
        words = source.split()
        if words[:1] == ["%run"] and any(w.endswith(".ipynb") for w in words):
            yield Violation(f"`{source.strip()}` runs a notebook: {_CONSEQUENCE}", line=line)
    yield from _notebook_runs(index_trees(code.trees))


# -- NB003: how big are the outputs? -----------------------------------------------------------


def _size_of(value: Any) -> int:
    if isinstance(value, str):
        return len(value.encode("utf-8", errors="replace"))
    if isinstance(value, list):
        return sum(_size_of(item) for item in value)
    if value is None:
        return 0
    return len(json.dumps(value, default=str))


def _outputs_size(cell: Any) -> int:
    """Bytes of text, tracebacks and (base64) data in a code cell's outputs."""
    outputs = cell.get("outputs") if isinstance(cell, dict) else None
    total = 0
    for output in outputs if isinstance(outputs, list) else []:
        if not isinstance(output, dict):
            continue
        for key in ("text", "traceback", "ename", "evalue"):
            total += _size_of(output.get(key))
        data = output.get("data")
        if isinstance(data, dict):
            total += sum(_size_of(value) for value in data.values())
    return total


# -- rules -------------------------------------------------------------------------------------

_EXPLORE = example_notebook(
    'import pandas as pd\nframe = pd.read_csv("churn.csv")',
    "frame.describe()",
)


@rule(
    "NB001",
    "code-only-in-notebooks",
    stage=2,
    principle=Principle.DATA_PIPELINE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="Notebooks are not the only code: where notebooks exist, an importable package or "
    "module holds the logic.",
    remedy=(
        "Move the notebooks' functions into a package under `src/<package>/` (data access in "
        "`src/<package>/data/extract.py`, the training steps in `src/<package>/pipeline.py`), "
        "test them under `tests/`, and let the notebooks import them."
    ),
    examples=Examples(
        failing={"notebooks/01_explore.ipynb": _EXPLORE},
        passing={
            "notebooks/01_explore.ipynb": _EXPLORE,
            "src/churn/features.py": "def tenure_bucket(months: int) -> str:\n"
            '    return "new" if months < 6 else "established"\n',
        },
    ),
)
def code_only_in_notebooks(repo: Snapshot) -> Iterator[Violation]:
    """Logic that lives only in notebooks cannot be imported by a service, unit-tested, or
    reviewed line by line in a pull request; every reuse is a copy-pasted cell that drifts
    from the original. A pilot whose only code is notebooks has nothing a production system
    can call. Notebooks stay welcome for exploration and reports, importing the package.

    Passes when there are no notebooks (outside tests and docs), or when a Python module
    outside tests and docs defines a function or class, or a package (`__init__.py` beside
    other modules) exists. `setup.py`, `noxfile.py` and jupytext notebook scripts do not
    count. When the only candidates are modules that do not parse (Python 2), nothing is
    reported: their verdict is unknown, and the unparsable files are reported as PC002.
    """
    notebooks = [f.path for f in repo.with_suffix(".ipynb") if is_judged_code(f.path)]
    if not notebooks or _has_module_with_logic(repo) is not False:
        return
    yield Violation(
        f"the code lives only in notebooks ({_listed(notebooks)}): no Python module or package "
        "holds the logic, so nothing can import it, unit-test it or run it outside Jupyter"
    )


@rule(
    "NB002",
    "notebook-run-by-code",
    stage=2,
    principle=Principle.DATA_PIPELINE,
    severity=Severity.ERROR,
    scope=Scope.FILE,
    files=("*.py",),
    summary="Production code does not run notebooks (`%run`, `nbimporter`, papermill, "
    "`nbconvert --execute`, `exec` of notebook code).",
    remedy=(
        "Move the notebook's logic into modules under `src/<package>/` and import them; run "
        "training from `src/<package>/pipeline.py` instead of executing a notebook."
    ),
    examples=Examples(
        failing={
            "jobs/retrain.py": "import papermill as pm\n\n"
            'pm.execute_notebook("notebooks/02_train.ipynb", "out/02_train.ipynb")\n'
        },
        passing={
            "jobs/retrain.py": "from churn.pipeline import main\n\nmain()\n",
            "tests/test_notebooks.py": "import papermill as pm\n\n\ndef test_the_notebook_runs():"
            '\n    pm.execute_notebook("notebooks/02_train.ipynb", "/tmp/out.ipynb")\n',
        },
    ),
)
def notebook_run_by_code(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """A pipeline or service that executes a notebook (papermill, `nbconvert --execute`,
    `%run`) or imports one (`nbimporter`) has made the notebook production code without any
    of its safeguards: its cells are untested, their order and hidden state decide the result,
    and a harmless-looking edit in Jupyter changes production. The logic belongs in modules
    that both the notebook and the pipeline import.

    Judged in `.py` files outside tests and docs: imports of nbimporter, import_ipynb,
    ipynb, dagstermill or Airflow's papermill operator; papermill's `execute_notebook`;
    nbclient and nbconvert's `ExecutePreprocessor`; `subprocess`/
    `os.system` commands running `jupyter nbconvert --execute`, `papermill`, `jupyter
    execute` or `runipy`; `exec` in a module that reads notebooks; `runpy` of a notebook; and
    `%run x.ipynb` in IPython scripts or through `get_ipython()`. Notebooks running other
    notebooks (including jupytext `.py` notebooks) are not production code and are not
    judged; neither is a commented-out `# %run`, or a test that executes notebooks.
    """
    if not is_judged_code(file.path) or file.name == "noxfile.py":
        return
    data = repo.read_bytes(file.path)
    if not data or not any(token in data for token in _NB002_TOKENS):
        return
    if is_notebook_script(data):
        return
    index = module_index(repo, file.path, _NB002_LINES())
    if index is not None:
        yield from sorted(_notebook_runs(index), key=lambda v: (v.line or 0, v.message))
    else:
        yield from _run_magics(repo.text(file.path) or "")


@rule(
    "NB003",
    "large-notebook-outputs",
    stage=2,
    principle=Principle.DATA_PIPELINE,
    severity=Severity.WARNING,
    scope=Scope.FILE,
    files=("*.ipynb",),
    summary="Notebooks are committed without large outputs (over 200 KiB of outputs per notebook).",
    remedy=(
        "Clear the outputs before committing (`jupyter nbconvert --clear-output --inplace`), "
        "and keep them out for good with the `nbstripout` hook in `.pre-commit-config.yaml`; "
        "publish results as reports, not as committed outputs."
    ),
    examples=Examples(
        failing={
            "notebooks/01_explore.ipynb": json.dumps(
                {
                    "cells": [
                        {
                            "cell_type": "code",
                            "execution_count": 1,
                            "id": "cell-0",
                            "metadata": {},
                            "outputs": [
                                {
                                    "output_type": "display_data",
                                    "metadata": {},
                                    "data": {"image/png": "iVBORw0KGgo" + "A" * (MAX_OUTPUT_BYTES)},
                                }
                            ],
                            "source": "frame.plot()",
                        }
                    ],
                    "metadata": {},
                    "nbformat": 4,
                    "nbformat_minor": 5,
                }
            )
        },
        passing={"notebooks/01_explore.ipynb": _EXPLORE},
    ),
)
def large_notebook_outputs(repo: Snapshot, file: SourceFile) -> Iterator[Violation]:
    """Outputs committed with a notebook make every clone heavier and every diff unreadable:
    a re-run changes thousands of lines of base64 images and tables that no reviewer reads.
    They go stale the moment the code changes, so they show results the code no longer
    produces, and printed data frames and tracebacks leak the data and paths they display.
    Small outputs are harmless; this warns above 200 KiB per notebook and names the cell
    with the largest output. Notebooks under `docs/` (rendered documentation) and tests are
    not judged.
    """
    if file.size <= MAX_OUTPUT_BYTES or not is_judged_code(file.path):
        return  # the outputs are part of the file, so a small file cannot hold large ones
    notebook = repo.notebook(file.path)
    if notebook is None:
        return
    sizes = [(_outputs_size(cell), index) for index, cell in enumerate(notebook.cells)]
    total = sum(size for size, _ in sizes)
    if total <= MAX_OUTPUT_BYTES:
        return
    biggest, index = max(sizes, key=lambda pair: (pair[0], -pair[1]))
    yield Violation(
        f"`{file.path}` carries {_size(total)} of cell outputs, over the 200 KiB limit, "
        f"{_size(biggest)} of them in cell {index}: outputs swell every clone and diff, go "
        "stale as the code changes and can leak the data they show",
        cell=index,
    )
