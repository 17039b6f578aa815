"""Engineering: the habits that let a team change a model service without breaking it.

Tests that exercise the project's own code (ENG001), CI that runs them (ENG002), locked
dependencies (ENG003), pre-commit hooks (ENG004), a `.gitignore` that keeps data, secrets and
models out of git (ENG005) and a README that says how to install, run and test (ENG006).

Every rule here reads a handful of files found by name (CI configs, Makefiles, manifests, the
README) or the test modules only; none parses the whole tree.
"""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._facts import TEST_DIRS, dotted_name, is_docs_path, is_test_path
from prodcheck.rules._patterns import lazy as _lazy
from prodcheck.snapshot import Snapshot


def _listed(items: Sequence[str], limit: int = 3) -> str:
    """`a`, `b` and `c`; `a`, `b`, `c` and 2 more."""
    shown = [f"`{item}`" for item in items[:limit]]
    if len(items) > limit:
        return ", ".join(shown) + f" and {len(items) - limit} more"
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _directory(path: str) -> str:
    """The directory of a path, "" for the root."""
    return path.rpartition("/")[0]


def _joined(*parts: str) -> str | None:
    """A normalised relative path ("" for the root); None when it leaves the repository."""
    path = posixpath.normpath(posixpath.join(*parts)) if any(parts) else "."
    if path == ".":
        return ""
    return None if path.startswith(("../", "/")) or path == ".." else path


def _is_within(path: str, directory: str) -> bool:
    return directory == "" or path == directory or path.startswith(directory + "/")


# -- ENG001: tests that exercise the project -----------------------------------------------------

_TEST_MODULE = _lazy(r"(?:test_.*|.*_test|tests?)\.py")
"""pytest's default `test_*.py` and `*_test.py`, and Django's `tests.py`."""
_CLIENT_CALLS = ("TestClient", "test_client", "AsyncClient", "ASGITransport", "WSGITransport")
_MODEL_LOADERS = frozenset(
    {
        "joblib.load",
        "pickle.load",
        "cloudpickle.load",
        "dill.load",
        "torch.load",
        "skops.io.load",
        "InferenceSession",
        "onnxruntime.InferenceSession",
        "ort.InferenceSession",
    }
)
_HTTP_CALLS = frozenset(
    {
        "requests.get",
        "requests.post",
        "requests.request",
        "requests.Session",
        "httpx.get",
        "httpx.post",
        "httpx.request",
        "httpx.Client",
        "aiohttp.ClientSession",
        "urllib.request.urlopen",
    }
)
"""Integration tests call the running service over HTTP."""
_PROJECT_RUNNERS = ("KedroSession.create", "bootstrap_project", "DagBag", "testbook")
"""Frameworks that load and run the project's own pipelines or notebooks: Kedro's generated
`test_run.py`, Airflow's DAG import test, testbook."""


def is_test_module(path: str) -> bool:
    """A module pytest or Django collects tests from."""
    return path.endswith(".py") and _TEST_MODULE().fullmatch(path.rpartition("/")[2]) is not None


def first_party_names(repo: Snapshot) -> frozenset[str]:
    """The names a test can import the repository's own code by: every directory and module
    name on the path of a non-test module (`churn` and `model` for `src/churn/model.py`, `app`
    for `services/api/app/main.py`, `prodcheck` for `checker/prodcheck/cli.py`).

    Where the import roots are depends on packaging configuration (`src/`, hatch's `packages`,
    setuptools' `package-dir`), so every directory counts: a third-party package shadowed by a
    repository directory of the same name would pass unnoticed, which is the safe way to err.
    """
    names: set[str] = set()
    in_tests: dict[str, bool] = {}
    for path in repo.files:
        if not path.endswith(".py"):
            continue
        directory, _, name = path[:-3].rpartition("/")
        tests = in_tests.get(directory)
        if tests is None:
            parts = directory.split("/") if directory else []
            tests = in_tests[directory] = not TEST_DIRS.isdisjoint(parts)
            if not tests:
                names.update(parts)
        if not (
            tests
            or name.startswith("test_")
            or name.endswith("_test")
            or name in ("conftest", "__init__", "__main__")
        ):
            names.add(name)
    return frozenset(names)


class _TestModule(NamedTuple):
    path: str
    tests: int
    """How many test functions it defines."""
    takes_fixtures: bool
    """Whether a test function has parameters (fixtures from a conftest)."""


def _test_functions(tree: ast.Module) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level `test*` functions and `test*` methods of `Test*` or `*TestCase` classes."""
    functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
            "test"
        ):
            functions.append(node)
        elif isinstance(node, ast.ClassDef) and (
            node.name.startswith("Test")
            or any((dotted_name(base) or "").endswith("TestCase") for base in node.bases)
        ):
            functions.extend(
                item
                for item in node.body
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                and item.name.startswith("test")
            )
    return functions


def _relative_target(repo: Snapshot, path: str, node: ast.ImportFrom) -> list[str]:
    """The repository paths a relative import names (modules or packages), existing ones only."""
    base = PurePosixPath(path).parent
    for _ in range(node.level - 1):
        base = base.parent
    stem = str(base / node.module.replace(".", "/")) if node.module else str(base)
    stem = stem.removeprefix("./") if stem != "." else ""
    candidates = (
        [stem] if node.module else [f"{stem}/{alias.name}".lstrip("/") for alias in node.names]
    )
    found = []
    for candidate in candidates:
        for option in (f"{candidate}.py", f"{candidate}/__init__.py"):
            if option in repo.files:
                found.append(option)
    return found


def _exercises(repo: Snapshot, path: str, tree: ast.Module, names: frozenset[str]) -> bool:
    """True when the module uses a first-party import, a web test client, or a model loader.

    A name bound by a first-party import must be read somewhere: an unused `import churn`
    above `assert True` exercises nothing. `from churn.model import *` counts as used, since
    what it binds is unknown without importing it.
    """
    bound: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loaded.add(node.id)
        elif isinstance(node, ast.Call):
            called = dotted_name(node.func) or ""
            if (
                called.endswith(_CLIENT_CALLS)
                or called in _MODEL_LOADERS
                or called in _HTTP_CALLS
                or called.endswith("load_model")
                or called.endswith(_PROJECT_RUNNERS)
                or (called.startswith("subprocess.") and _runs_project(node, names))
            ):
                return True
        elif isinstance(node, ast.Import):
            bound.update(
                alias.asname or alias.name.split(".")[0]
                for alias in node.names
                if _is_first_party(alias.name, names)
            )
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                first_party = any(not is_test_path(p) for p in _relative_target(repo, path, node))
            else:
                first_party = node.module is not None and _is_first_party(node.module, names)
            if first_party:
                if any(alias.name == "*" for alias in node.names):
                    return True
                bound.update(alias.asname or alias.name for alias in node.names)
    return not loaded.isdisjoint(bound)


def _runs_project(call: ast.Call, names: frozenset[str]) -> bool:
    """`subprocess.run(["python", "-m", "churn.pipeline"])`, or a script of the project."""
    for node in ast.walk(call):
        text = node.value if isinstance(node, ast.Constant) else None
        if isinstance(text, str) and (
            text.endswith(".py") or (text and _is_first_party(text, names) and " " not in text)
        ):
            return True
    return False


def _is_first_party(module: str, names: frozenset[str]) -> bool:
    """The import's top-level name is one under which a repository module is importable."""
    return module.partition(".")[0] in names


def _takes_fixtures(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    arguments = [*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs]
    return any(argument.arg not in ("self", "cls") for argument in arguments)


class _Tests(NamedTuple):
    modules: list[_TestModule]
    """The parsed test modules (up to the first that exercises the project)."""
    unparsable: list[str]
    exercised: bool


def _test_inventory(repo: Snapshot) -> _Tests:
    """The test modules, and whether the tests exercise the project.

    Parsing stops at the first test module that does; conftest files are read only when no
    test module does, for the fixtures they give to tests that take some.
    """
    names: frozenset[str] | None = None
    modules: list[_TestModule] = []
    unparsable: list[str] = []
    for path in [p for p in repo.files if is_test_module(p)]:
        tree = repo.python(path)
        if tree is None:
            unparsable.append(path)
            continue
        functions = _test_functions(tree)
        if functions and names is None:
            names = first_party_names(repo)
        exercises = names is not None and bool(functions) and _exercises(repo, path, tree, names)
        modules.append(
            _TestModule(
                path, len(functions), any(_takes_fixtures(function) for function in functions)
            )
        )
        if exercises:
            return _Tests(modules, unparsable, exercised=True)
    if names is not None and any(m.takes_fixtures for m in modules):
        for path in [p for p in repo.files if p.rpartition("/")[2] == "conftest.py"]:
            tree = repo.python(path)
            if tree is not None and _exercises(repo, path, tree, names):
                return _Tests(modules, unparsable, exercised=True)
    return _Tests(modules, unparsable, exercised=False)


@rule(
    "ENG001",
    "tests-do-not-exercise-code",
    stage=2,
    principle=Principle.ENGINEERING,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="Tests exist and at least one exercises the model, pipeline or service.",
    remedy=(
        "Add tests under the template's `tests/` that import the project's own code and run it: "
        "the pipeline's steps on a small fixture, the model's predictions on known rows, and the "
        "service through FastAPI's `TestClient` (`/healthz`, `/readyz`, `/v1/predict`)."
    ),
    examples=Examples(
        failing={
            "src/churn/pipeline.py": "def train(rows):\n    return sum(rows) / len(rows)\n",
            "tests/test_placeholder.py": "def test_placeholder():\n    assert True\n",
        },
        passing={
            "src/churn/pipeline.py": "def train(rows):\n    return sum(rows) / len(rows)\n",
            "tests/test_pipeline.py": (
                "from churn.pipeline import train\n\n\n"
                "def test_train_averages_the_rows():\n    assert train([1, 3]) == 2\n"
            ),
        },
    ),
)
def tests_do_not_exercise_code(repo: Snapshot) -> Iterator[Violation]:
    """A test suite that never runs the model, the pipeline or the service only proves that
    Python can add two numbers. Without tests that exercise the real code, every change to the
    feature pipeline or the service is checked by hand, or not at all, and a broken model
    reaches users. A test exercises the project when it imports and uses the project's own
    modules (any non-test module of the repository, whatever the layout), calls the service
    through a web test client (FastAPI or Starlette `TestClient`, Flask `test_client`, httpx
    with an ASGI or WSGI transport) or over HTTP, loads the model, runs the project's modules
    or scripts in a subprocess, or has a framework run them (a Kedro session, Airflow's
    `DagBag`, testbook); a `conftest.py` fixture that does so counts for the tests that take
    fixtures.
    """
    tests = repo.memo(_test_inventory)
    if tests.exercised:
        return
    modules = tests.modules
    with_tests = [m for m in modules if m.tests]
    if not with_tests:
        if modules:
            subject = (
                f"the test modules ({_listed([m.path for m in modules])}) define no test functions"
            )
        elif tests.unparsable:
            subject = (
                f"the test modules ({_listed(tests.unparsable)}) cannot be parsed as Python 3 "
                "(see PC002)"
            )
        else:
            subject = "no test modules (`test_*.py`, `*_test.py`) were found"
        located = [m.path for m in modules] or tests.unparsable
        yield Violation(
            f"{subject}: nothing checks that the model, pipeline or service still work after a "
            "change",
            located[0] if located else None,
        )
        return
    count = sum(m.tests for m in with_tests)
    yield Violation(
        f"the {count} test{'s' if count != 1 else ''} in "
        f"{_listed([m.path for m in with_tests])} do not exercise the model, pipeline or "
        "service: none imports and uses the project's own code, calls the service through a "
        "test client or loads the model, so they pass whatever the code does",
        with_tests[0].path,
    )


# -- ENG002: CI runs the tests -------------------------------------------------------------------

_MAKEFILES = ("GNUmakefile", "makefile", "Makefile")
_TEST_RUNNERS = frozenset(
    {"pytest", "py.test", "nosetests", "nose2", "green", "ward", "behave", "trial", "stestr"}
)
_RUN_WRAPPERS = frozenset(
    {"uv", "poetry", "pdm", "pipenv", "rye", "pixi", "conda", "mamba", "micromamba", "hatch"}
)
_TASK_RUNNERS = frozenset({"just", "task", "invoke", "inv", "poe", "mise"})
_PREFIX_COMMANDS = frozenset({"time", "sudo", "exec", "nice", "command", "xvfb-run", "env"})
_VALUE_OPTIONS = frozenset(
    {
        "-n",
        "--name",
        "-p",
        "--prefix",
        "-e",
        "--env",
        "--environment",
        "--with",
        "--extra",
        "--group",
        "--package",
        "--python",
        "--from",
        "--project",
        "--directory",
        "-C",
        "-f",
        "--file",
        "-w",
        "--workdir",
        "-v",
        "--volume",
        "-u",
        "--user",
        "--entrypoint",
        "--network",
        "--env-file",
        "--platform",
        "-l",
        "--label",
        "--manifest-path",
    }
)
_SEPARATORS = frozenset({"&&", "||", ";", "|", "&", "(", ")", ";;", "|&"})
_TEST_NAME = _lazy(r"(?:^|[-_:./])(?:py)?tests?(?:$|[-_:./])|^(?:unit|integration)$", re.I)
_TOX_TEST_ENV = _lazy(r"^(?:py(?:py)?\d*(?:-.*)?|.*tests?.*|unit.*|integration.*|cov.*)$")
_JENKINS_STEP = _lazy(
    r"\b(?:sh|bat|powershell|pwsh)\s*\(?\s*(?:script\s*:\s*)?(\"\"\"|'''|\"|')(.*?)\1", re.S
)
_ASSIGNMENT = _lazy(r"^[A-Za-z_][A-Za-z0-9_]*=")
_MAKE_ASSIGNMENT = _lazy(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?::{1,3}=|\?=|\+=|=)\s*(.*)$")
_MAKE_VARIABLE = _lazy(r"\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]")


class _Context:
    """Where a script runs and what following it has found along the way."""

    def __init__(
        self,
        repo: Snapshot,
        cwd: str = "",
        depth: int = 0,
        notes: list[str] | None = None,
        seen: set[str] | None = None,
    ) -> None:
        self.repo = repo
        self.cwd = cwd
        self.depth = depth
        self.notes: list[str] = [] if notes is None else notes
        self.seen: set[str] = set() if seen is None else seen

    def deeper(self, cwd: str | None = None) -> _Context:
        return _Context(
            self.repo, self.cwd if cwd is None else cwd, self.depth + 1, self.notes, self.seen
        )


def _script_lines(script: str) -> Iterator[str]:
    """The logical lines of a shell script: continuations joined, comments left to shlex."""
    pending = ""
    for raw in script.splitlines():
        line = raw.rstrip()
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def _simple_commands(line: str) -> Iterator[list[str]]:
    """The words of each simple command on a line (`a && b | c` gives three)."""
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote: plain words are still a fair reading
        tokens = line.split()
    command: list[str] = []
    for token in tokens:
        if token in _SEPARATORS:
            if command:
                yield command
            command = []
        else:
            command.append(token)
    if command:
        yield command


def runs_tests(script: str, context: _Context) -> bool:
    """True when a shell script (a CI step, a recipe) runs the test suite."""
    for line in _script_lines(script):
        for words in _simple_commands(line):
            if _command_runs_tests(words, context):
                return True
    return False


def _skip_options(words: list[str]) -> list[str]:
    """The words after leading options (and the values of options known to take one)."""
    index = 0
    while index < len(words) and words[index].startswith("-"):
        option = words[index]
        index += 2 if option in _VALUE_OPTIONS else 1
    return words[index:]


def _command_runs_tests(words: list[str], context: _Context) -> bool:
    while words and (_ASSIGNMENT().match(words[0]) or words[0] in _PREFIX_COMMANDS):
        words = words[1:]
        if words and words[0].startswith("-"):  # `env -i`, `nice -n 10`
            words = _skip_options(words)
    if not words:
        return False
    head, arguments = PurePosixPath(words[0]).name, words[1:]
    if head == "cd":
        target = arguments[0] if arguments else ""
        if target and not target.startswith(("/", "$", "~")):
            context.cwd = _joined(context.cwd, target) or ""
        return False
    if head in _TEST_RUNNERS:
        return True
    if re.fullmatch(r"python[\d.]*|py|pypy3?", head):
        return _python_runs_tests(arguments, context)
    if head == "coverage":
        return _coverage_runs_tests(arguments, context)
    if head in ("tox", "nox"):
        return _session_runner_runs_tests(head, arguments)
    if head in _RUN_WRAPPERS:
        if head == "hatch" and arguments[:1] == ["test"]:
            return True
        if arguments[:1] != ["run"]:
            return False
        rest = _skip_options(arguments[1:])
        if rest and head in ("pdm", "hatch", "rye", "pixi") and _TEST_NAME().search(rest[0]):
            return True  # a project script named like `test`
        return bool(rest) and _command_runs_tests(rest, context)
    if head in ("uvx", "pipx"):
        rest = _skip_options(
            arguments[1:] if head == "pipx" and arguments[:1] == ["run"] else arguments
        )
        return bool(rest) and _command_runs_tests(rest, context)
    if head in _TASK_RUNNERS:
        rest = _skip_options(
            arguments[1:] if head == "mise" and arguments[:1] == ["run"] else arguments
        )
        return bool(rest) and _TEST_NAME().search(rest[0]) is not None
    if head in ("make", "gmake"):
        return _make_runs_tests(arguments, context)
    if head in ("bash", "sh", "zsh", "dash"):
        if "-c" in arguments:
            index = arguments.index("-c")
            return index + 1 < len(arguments) and runs_tests(arguments[index + 1], context)
        rest = _skip_options(arguments)
        return bool(rest) and _script_runs_tests(rest[0], context)
    if head in ("docker", "podman", "docker-compose", "nerdctl"):
        return _container_runs_tests(arguments, context)
    if "/" in words[0] or words[0].endswith(".sh"):
        return _script_runs_tests(words[0], context)
    return False


def _python_runs_tests(arguments: list[str], context: _Context) -> bool:
    index = 0
    while index < len(arguments) and arguments[index].startswith("-"):
        if arguments[index] == "-m":
            module = arguments[index + 1] if index + 1 < len(arguments) else ""
            rest = arguments[index + 2 :]
            if module in ("pytest", "unittest", "nose2", "green"):
                return True
            if module == "coverage":
                return _coverage_runs_tests(rest, context)
            if module in ("tox", "nox"):
                return _session_runner_runs_tests(module, rest)
            if module == "django":
                return rest[:1] == ["test"]
            return False
        if arguments[index] == "-c":
            return False
        index += 2 if arguments[index] in ("-X", "-W") else 1
    if index >= len(arguments):
        return False
    script, rest = arguments[index], arguments[index + 1 :]
    if PurePosixPath(script).name in ("setup.py", "manage.py", "runtests.py"):
        return rest[:1] == ["test"] or PurePosixPath(script).name == "runtests.py"
    return _TEST_NAME().search(PurePosixPath(script).stem) is not None


def _coverage_runs_tests(arguments: list[str], context: _Context) -> bool:
    if arguments[:1] != ["run"]:
        return False
    rest = arguments[1:]
    while rest and rest[0].startswith("-") and rest[0] != "-m":
        rest = rest[2:] if rest[0] in ("--rcfile", "--source", "--include", "--omit") else rest[1:]
    return _python_runs_tests(rest, context)


def _session_runner_runs_tests(runner: str, arguments: list[str]) -> bool:
    """tox or nox: a bare run runs the default sessions; named ones must look like tests."""
    if runner == "tox" and arguments[:1] and not arguments[0].startswith("-"):
        if arguments[0] not in ("run", "r", "run-parallel", "p"):
            return False  # tox list, tox config, tox devenv...
        arguments = arguments[1:]
    named: list[str] = []
    selects = ("-e", "--env") if runner == "tox" else ("-s", "--session", "--sessions", "-k", "-t")
    for index, word in enumerate(arguments):
        if word in ("--version", "--help", "-h", "-l", "--list", "--list-sessions"):
            return False
        if word in selects and index + 1 < len(arguments):
            named.extend(arguments[index + 1].replace(",", " ").split())
        elif word.startswith(tuple(f"{option}=" for option in selects)):
            named.extend(word.partition("=")[2].replace(",", " ").split())
        elif runner == "tox" and word.startswith("-e") and len(word) > 2:
            named.extend(word[2:].split(","))
    if not named:
        return True
    if runner == "tox":
        return any(name == "ALL" or _TOX_TEST_ENV().match(name) for name in named)
    return any(_TEST_NAME().search(name) or name.startswith("test") for name in named)


def _container_runs_tests(arguments: list[str], context: _Context) -> bool:
    """`docker compose run --rm api pytest`, `docker run image python -m pytest`."""
    words = list(arguments)
    while words and (words[0] in ("compose", "container") or words[0].startswith("-")):
        words = (
            _skip_options(words[1:])
            if words[0] in ("compose", "container")
            else _skip_options(words)
        )
    if not words or words[0] not in ("run", "exec"):
        return False
    rest = _skip_options(words[1:])
    return len(rest) > 1 and _command_runs_tests(rest[1:], context)


def _script_runs_tests(script: str, context: _Context) -> bool:
    """A script of the repository, followed once; elsewhere, judged by its name."""
    path = _joined(context.cwd, script)
    if (
        path is not None
        and path in context.repo.files
        and path not in context.seen
        and context.depth < 3
    ):
        context.seen.add(path)
        text = context.repo.text(path)
        if path.endswith(".py"):
            return _TEST_NAME().search(PurePosixPath(path).stem) is not None
        return text is not None and runs_tests(text, context.deeper())
    return _TEST_NAME().search(PurePosixPath(script).stem) is not None


class _Makefile(NamedTuple):
    path: str
    targets: Mapping[str, tuple[list[str], list[str]]]
    """target -> (prerequisites, recipe lines)."""
    default: str | None


def _parse_makefile(text: str, path: str) -> _Makefile:
    """Targets, prerequisites and recipes, with simple variables expanded; make is never run."""
    variables: dict[str, str] = {}
    targets: dict[str, tuple[list[str], list[str]]] = {}
    default: str | None = None
    current: list[str] = []
    for raw in _script_lines(text):
        if raw.startswith("\t"):
            for target in current:
                targets[target][1].append(raw.lstrip("\t@-+ "))
            continue
        line = raw.split("#", 1)[0].rstrip()
        assignment = _MAKE_ASSIGNMENT().match(line)
        if assignment and ":" not in line.split("=", 1)[0].rstrip(":?+ "):
            variables[assignment.group(1)] = assignment.group(2).strip()
            continue
        head, colon, rest = line.partition(":")
        if not colon or rest.startswith("="):
            if line.strip():
                current = []
            continue
        names = [name for name in head.split() if "%" not in name]
        prerequisites, _, inline = rest.lstrip(":").partition(";")
        current = []
        for name in names:
            entry = targets.setdefault(name, ([], []))
            entry[0].extend(prerequisites.split())
            if inline.strip():
                entry[1].append(inline.strip())
            current.append(name)
            if default is None and not name.startswith("."):
                default = name

    def expand(text: str) -> str:
        for _ in range(3):
            text = _MAKE_VARIABLE().sub(lambda m: variables.get(m.group(1), m.group(0)), text)
        return text

    expanded = {
        name: ([expand(p) for p in prerequisites], [expand(line) for line in recipe])
        for name, (prerequisites, recipe) in targets.items()
    }
    return _Makefile(path, expanded, default)


def _makefile_at(repo: Snapshot, directory: str, name: str | None) -> _Makefile | None:
    candidates = [name] if name else list(_MAKEFILES)
    for candidate in candidates:
        path = _joined(directory, candidate)
        text = repo.text(path) if path is not None and path in repo.files else None
        if text is not None:
            return repo.memo(_memo_makefile, path)
    return None


def _memo_makefile(repo: Snapshot, path: str) -> _Makefile:
    return _parse_makefile(repo.text(path) or "", path)


def _make_runs_tests(arguments: list[str], context: _Context) -> bool:
    directory, filename, goals = context.cwd, None, []
    index = 0
    while index < len(arguments):
        word = arguments[index]
        if word in ("-C", "--directory") and index + 1 < len(arguments):
            directory = posixpath.join(directory, arguments[index + 1])
            index += 2
            continue
        if word in ("-f", "--file", "--makefile") and index + 1 < len(arguments):
            filename = arguments[index + 1]
            index += 2
            continue
        if word.startswith("--directory="):
            directory = posixpath.join(directory, word.partition("=")[2])
        elif word.startswith(("--file=", "--makefile=")):
            filename = word.partition("=")[2]
        elif word in ("-j", "--jobs", "-l", "--load-average") and index + 1 < len(arguments):
            index += 1  # its numeric argument
        elif not word.startswith("-") and "=" not in word:
            goals.append(word)
        index += 1
    base = _joined(directory)
    makefile = None if base is None else _makefile_at(context.repo, base, filename)
    shown = " ".join(["make", *goals])
    if makefile is None:
        context.notes.append(f"`{shown}` is called, but there is no Makefile to run")
        return False
    goals = goals or ([makefile.default] if makefile.default else [])
    for goal in goals:
        if goal not in makefile.targets:
            context.notes.append(
                f"`{shown}` is called, but `{makefile.path}` has no `{goal}` target"
            )
        elif _target_runs_tests(makefile, goal, context, set()):
            return True
    return False


def _target_runs_tests(makefile: _Makefile, target: str, context: _Context, seen: set[str]) -> bool:
    """A target's recipe runs the tests, or one of its prerequisites' recipes does."""
    if target in seen or target not in makefile.targets or len(seen) > 20:
        return False
    seen.add(target)
    prerequisites, recipe = makefile.targets[target]
    inner = context.deeper(_directory(makefile.path))
    for line in recipe:
        for words in _simple_commands(line.replace("$(MAKE)", "make").replace("${MAKE}", "make")):
            if words and words[0] == "make":
                if any(
                    _target_runs_tests(makefile, goal, context, seen)
                    for goal in words[1:]
                    if not goal.startswith("-") and "=" not in goal
                ):
                    return True
            elif _command_runs_tests(words, inner):
                return True
    return any(_target_runs_tests(makefile, p, context, seen) for p in prerequisites)


# -- CI configurations ---------------------------------------------------------------------------


class _Step(NamedTuple):
    """A script a CI system runs, with the directory it runs in."""

    script: str
    cwd: str = ""


def _strings(value: Any) -> Iterator[str]:
    """The strings in a value that may be a string or (nested) lists of them."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _collect(document: Any, keys: frozenset[str]) -> Iterator[str]:
    """Every string (or list of strings) under one of `keys`, anywhere in a YAML document."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in keys:
                    if isinstance(value, dict) and isinstance(value.get("command"), str):
                        yield value["command"]  # CircleCI's `run: {command: ...}`
                    else:
                        yield from _strings(value)
                if isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def _github_steps(repo: Snapshot, path: str) -> Iterator[_Step]:
    workflow = repo.yaml(path)
    if not isinstance(workflow, dict):
        return
    top = _working_directory(workflow)
    jobs = workflow.get("jobs")
    for job in jobs.values() if isinstance(jobs, dict) else []:
        if not isinstance(job, dict):
            continue
        called = job.get("uses")
        if isinstance(called, str) and not called.startswith("./") and _names_tests(called):
            yield _Step("pytest")  # a shared workflow of another repository, named for tests
        job_cwd = _working_directory(job) or top
        steps = job.get("steps")
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, dict):
                continue
            cwd = step.get("working-directory")
            cwd = cwd if isinstance(cwd, str) else job_cwd
            if isinstance(step.get("run"), str):
                yield _Step(step["run"], _clean_directory(cwd))
            uses = step.get("uses")
            if isinstance(uses, str) and uses.startswith("./"):
                yield from _composite_steps(repo, uses)
            elif isinstance(uses, str) and "pytest" in uses.split("@", 1)[0].lower():
                yield _Step("pytest")  # an action that runs pytest


_SHARED_TEST_WORKFLOW = _lazy(r"(?:^|[-_.])(?:ci|tests?|pytest)(?:[-_.]|$)", re.I)


def _names_tests(reference: str) -> bool:
    """`acme/.github/.github/workflows/python-ci.yml@v2`: a shared workflow named for tests.

    Its steps live in another repository, so its name is all there is to judge; a shared CI
    workflow is taken at its word (a false finding would cost more than a miss).
    """
    stem = reference.split("@", 1)[0].rpartition("/")[2].rsplit(".", 1)[0]
    return _SHARED_TEST_WORKFLOW().search(stem) is not None


def _working_directory(mapping: Mapping[str, Any]) -> str:
    defaults = mapping.get("defaults")
    run = defaults.get("run") if isinstance(defaults, dict) else None
    directory = run.get("working-directory") if isinstance(run, dict) else None
    return directory if isinstance(directory, str) else ""


def _clean_directory(directory: str) -> str:
    if not directory or directory.startswith(("/", "$")):
        return ""
    return _joined(directory) or ""


def _composite_steps(repo: Snapshot, uses: str) -> Iterator[_Step]:
    """The `run` steps of a local composite action (`uses: ./.github/actions/test`)."""
    base = _clean_directory(uses.split("@", 1)[0])
    path = repo.first_existing(f"{base}/action.yml", f"{base}/action.yaml")
    action = repo.yaml(path) if path else None
    runs = action.get("runs") if isinstance(action, dict) else None
    steps = runs.get("steps") if isinstance(runs, dict) else None
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and isinstance(step.get("run"), str):
            cwd = step.get("working-directory")
            yield _Step(step["run"], _clean_directory(cwd) if isinstance(cwd, str) else "")


def _gitlab_yaml(repo: Snapshot, path: str) -> Any:
    """A GitLab CI file, read with its custom tags (`!reference [.tests, script]`) as plain
    lists and strings: the safe loader refuses them, and GitLab files use them often."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        if isinstance(node, yaml.MappingNode):
            return loader.construct_mapping(node)
        return loader.construct_scalar(node)  # type: ignore[arg-type]

    Loader.add_multi_constructor("!", untagged)
    text = repo.text(path)
    if text is None:
        return None
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader: tags become plain data
    except (yaml.YAMLError, ValueError, RecursionError):
        return repo.yaml(path)  # reports why it cannot be read


def _gitlab_steps(repo: Snapshot, path: str) -> Iterator[_Step]:
    keys = frozenset({"script", "before_script", "after_script"})
    documents = [repo.memo(_gitlab_yaml, path)]
    root = documents[0]
    includes = root.get("include") if isinstance(root, dict) else None
    for include in includes if isinstance(includes, list) else [includes]:
        local = include.get("local") if isinstance(include, dict) else include
        if isinstance(local, str) and not local.startswith(("http://", "https://")):
            included = local.lstrip("/")
            if included in repo.files and included != path:
                documents.append(repo.memo(_gitlab_yaml, included))
    for document in documents:
        for script in _collect(document, keys):
            yield _Step(script)


def _circleci_steps(repo: Snapshot, path: str) -> Iterator[_Step]:
    config = repo.yaml(path)
    for script in _collect(config, frozenset({"run"})):
        yield _Step(script)
    orbs = config.get("orbs") if isinstance(config, dict) else None
    python_orbs = {
        alias
        for alias, orb in (orbs.items() if isinstance(orbs, dict) else [])
        if isinstance(orb, str) and orb.startswith("circleci/python")
    }
    if python_orbs and any(f"{alias}/test" in _referenced_jobs(config) for alias in python_orbs):
        yield _Step("pytest")  # the Python orb's `test` job runs pytest


def _referenced_jobs(config: Mapping[str, Any]) -> set[str]:
    """Job and step names a CircleCI config refers to (`- python/test`, `- python/test: {...}`)."""
    names: set[str] = set()
    stack: list[Any] = [config.get("workflows"), config.get("jobs")]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            for item in node:
                if isinstance(item, str):
                    names.add(item)
                elif isinstance(item, dict):
                    names.update(key for key in item if isinstance(key, str))
                    stack.extend(item.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
    return names


def _yaml_steps(keys: frozenset[str]) -> Any:
    def steps(repo: Snapshot, path: str) -> Iterator[_Step]:
        for script in _collect(repo.yaml(path), keys):
            yield _Step(script)

    return steps


def _jenkins_steps(repo: Snapshot, path: str) -> Iterator[_Step]:
    text = repo.text(path) or ""
    for match in _JENKINS_STEP().finditer(text):
        yield _Step(match.group(2))


class _CiSystem(NamedTuple):
    name: str
    matches: Any
    steps: Any


def _is_github_workflow(path: str) -> bool:
    return path.startswith(".github/workflows/") and path.endswith((".yml", ".yaml"))


CI_SYSTEMS = (
    _CiSystem("GitHub Actions", _is_github_workflow, _github_steps),
    _CiSystem("GitLab CI", lambda p: p == ".gitlab-ci.yml", _gitlab_steps),
    _CiSystem(
        "Jenkins",
        lambda p: p.rpartition("/")[2] == "Jenkinsfile" or p.startswith("Jenkinsfile."),
        _jenkins_steps,
    ),
    _CiSystem(
        "CircleCI",
        lambda p: p in (".circleci/config.yml", ".circleci/config.yaml"),
        _circleci_steps,
    ),
    _CiSystem(
        "Azure Pipelines",
        lambda p: (
            p in ("azure-pipelines.yml", "azure-pipelines.yaml")
            or (
                p.startswith((".azure-pipelines/", ".azuredevops/"))
                and p.endswith((".yml", ".yaml"))
            )
        ),
        _yaml_steps(frozenset({"script", "bash", "pwsh", "powershell"})),
    ),
    _CiSystem(
        "Buildkite",
        lambda p: (
            (p.startswith(".buildkite/") and p.endswith((".yml", ".yaml")))
            or p in ("buildkite.yml", "buildkite.yaml")
        ),
        _yaml_steps(frozenset({"command", "commands"})),
    ),
    _CiSystem(
        "Bitbucket Pipelines",
        lambda p: p == "bitbucket-pipelines.yml",
        _yaml_steps(frozenset({"script"})),
    ),
    _CiSystem("Travis CI", lambda p: p == ".travis.yml", _yaml_steps(frozenset({"script"}))),
)


@rule(
    "ENG002",
    "ci-does-not-run-tests",
    stage=2,
    principle=Principle.ENGINEERING,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="CI runs the tests (GitHub Actions, GitLab CI, Jenkins, CircleCI, Azure Pipelines, "
    "Buildkite).",
    remedy=(
        "Add the template's `.github/workflows/ci.yml`, which runs `pytest` on every push and "
        "pull request (or a test step in your CI: `pytest`, `python -m pytest`, `tox`, `nox`, "
        "`uv run pytest`, or `make test` with a `test` target that runs them)."
    ),
    examples=Examples(
        failing={
            ".github/workflows/ci.yml": (
                "on: [push]\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: actions/checkout@v4\n      - run: ruff check .\n"
            ),
        },
        passing={
            ".github/workflows/ci.yml": (
                "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
                "      - uses: actions/checkout@v4\n      - run: pip install -r requirements.lock\n"
                "      - run: python -m pytest -q\n"
            ),
        },
    ),
)
def ci_does_not_run_tests(repo: Snapshot) -> Iterator[Violation]:
    """Tests that run only when someone remembers to run them stop being run. CI runs them on
    every change, so a commit that breaks the pipeline or the service is caught before it merges,
    not by users. A CI step counts when it runs pytest or unittest (directly, through `python -m`,
    coverage, uv, poetry, pdm, hatch, pipenv or a container), tox or nox sessions named like
    tests, a `make` target whose recipe (or a prerequisite's) does, or a repository script that
    does.
    """
    configs: list[tuple[_CiSystem, str]] = [
        (system, path)
        for path in repo.files
        if path.startswith(".") or "/" not in path or "Jenkinsfile" in path
        for system in CI_SYSTEMS
        if system.matches(path)
    ]
    if not configs:
        yield Violation(
            "no CI configuration (a GitHub Actions workflow, `.gitlab-ci.yml`, `Jenkinsfile`, "
            "CircleCI, Azure Pipelines or Buildkite) runs the tests, so a change that breaks "
            "the model, pipeline or service merges unnoticed"
        )
        return
    notes: list[str] = []
    for system, path in configs:
        for step in system.steps(repo, path):
            context = _Context(repo, step.cwd, notes=notes)
            if runs_tests(step.script, context):
                return
    paths = [path for _, path in configs]
    unique_notes = list(dict.fromkeys(notes))
    extra = f" ({'; '.join(unique_notes)})" if unique_notes else ""
    yield Violation(
        f"CI is configured ({_listed(paths)}) but never runs the tests: no step runs `pytest`, "
        f"`tox`, `nox` or a `make test` that does{extra}, so a change that breaks the model, "
        "pipeline or service merges unnoticed",
        paths[0],
    )


# -- ENG003: locked dependencies -----------------------------------------------------------------

LOCK_FILES = frozenset(
    {
        "uv.lock",
        "poetry.lock",
        "pdm.lock",
        "Pipfile.lock",
        "pixi.lock",
        "conda-lock.yml",
        "conda-lock.yaml",
        "pylock.toml",
    }
)
_OTHER_LOCKS = frozenset(
    {
        "yarn.lock",
        "Gemfile.lock",
        "Cargo.lock",
        "composer.lock",
        "Podfile.lock",
        "flake.lock",
        "mix.lock",
        "bun.lock",
        "deno.lock",
        "package.lock",
    }
)
_PROJECT_MANIFESTS = ("pyproject.toml", "setup.py", "setup.cfg", "Pipfile")
_SKIPPED_OPTIONS = frozenset(
    {
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "--trusted-host",
        "--no-binary",
        "--only-binary",
        "--use-feature",
        "--pre",
        "--prefer-binary",
        "--require-hashes",
        "--no-index",
    }
)
_PER_REQUIREMENT_OPTION = _lazy(r"\s--?(?:hash|global-option|install-option|config-settings)\b")
_PIP_COMMENT = _lazy(r"(?:^|\s)#.*$")
_VCS_COMMIT = _lazy(r"@([0-9a-fA-F]{7,40})(?:#.*)?$")
_ARCHIVE = (".whl", ".tar.gz", ".tgz", ".zip", ".tar.bz2")


def is_lock_file(path: str) -> bool:
    """A lock file of a Python tool (uv, Poetry, PDM, Pipenv, pixi, conda-lock, PEP 751)."""
    name = path.rpartition("/")[2]
    return (
        name in LOCK_FILES
        or name.endswith((".conda-lock.yml", ".conda-lock.yaml"))
        or (name.startswith("pylock.") and name.endswith(".toml"))
    )


def is_requirements_file(path: str) -> bool:
    """pip's format: `requirements*.txt`, `requirements/*.txt`, constraints, `*.lock` in
    requirements style (`requirements.lock`), and pip-tools inputs (`requirements.in`)."""
    directory, _, name = path.rpartition("/")
    lowered = name.lower()
    in_requirements_dir = directory.rpartition("/")[2] == "requirements"
    if lowered.endswith((".txt", ".in")):
        return "requirements" in lowered or "constraints" in lowered or in_requirements_dir
    return lowered.endswith(".lock") and name not in LOCK_FILES and name not in _OTHER_LOCKS


class _Requirement(NamedTuple):
    path: str
    line: int
    text: str
    name: str | None
    pinned: bool


class _RequirementsFile(NamedTuple):
    path: str
    requirements: tuple[_Requirement, ...]
    includes: tuple[str, ...]
    constraints: tuple[str, ...]

    @property
    def is_input(self) -> bool:
        """A pip-tools input: loose by design, compiled into a lock."""
        return self.path.endswith(".in")


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """pip's lines: comments removed, backslash continuations joined, first line number kept."""
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = _PIP_COMMENT().sub("", raw)
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        yield start, (pending + line).strip()
        pending = ""
    if pending.strip():
        yield start, pending.strip()


def _resolve(repo: Snapshot, base: str, target: str) -> str | None:
    """An included file, relative to the including one; None outside the repository."""
    if "://" in target or target.startswith(("/", "$", "~")):
        return None
    path = posixpath.normpath(posixpath.join(_directory(base), target))
    return path if not path.startswith("..") and path in repo.files else None


def _url_pinned(url: str, hashed: bool) -> bool:
    """A VCS URL pinned to a commit, or an archive whose name holds a version or a hash."""
    if hashed or re.search(r"#(?:sha256|sha384|sha512|md5)=", url):
        return True
    location = url.split("#", 1)[0]
    if re.match(r"^(?:git|hg|svn|bzr)\+", location):
        return _VCS_COMMIT().search(location) is not None
    name = location.rstrip("/").rpartition("/")[2]
    return name.endswith(_ARCHIVE) and (name.endswith(".whl") or bool(re.search(r"\d", name)))


def _is_local(text: str) -> bool:
    return text.startswith((".", "/", "file:", "~")) or (
        "/" in text and "://" not in text and "@" not in text
    )


def _parse_requirement(path: str, line: int, text: str) -> _Requirement | None:
    from packaging.requirements import InvalidRequirement, Requirement

    hashed = "--hash" in text
    text = _PER_REQUIREMENT_OPTION().split(text, 1)[0].strip()
    if not text:
        return None
    if "://" in text and not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*@", text):
        return _Requirement(path, line, text, None, _url_pinned(text, hashed))  # a bare URL
    if "://" not in text and (_is_local(text) or text.endswith(_ARCHIVE)):
        return None if not text.endswith(_ARCHIVE) else _Requirement(path, line, text, None, True)
    try:
        requirement = Requirement(text)
    except InvalidRequirement:
        return None  # not pip's syntax: nothing we can judge
    if requirement.url:
        if requirement.url.startswith("file:"):
            return None
        pinned = _url_pinned(requirement.url, hashed)
    else:
        specifiers = list(requirement.specifier)
        pinned = hashed or (
            len(specifiers) == 1
            and specifiers[0].operator in ("==", "===")
            and "*" not in specifiers[0].version
        )
    shown = text.split(";", 1)[0].strip()
    return _Requirement(path, line, shown, requirement.name.lower(), pinned)


def _requirements_file(repo: Snapshot, path: str) -> _RequirementsFile:
    """One requirements file, parsed once per audit; its includes are resolved, not followed."""
    requirements: list[_Requirement] = []
    includes: list[str] = []
    constraints: list[str] = []
    for number, line in _logical_lines(repo.text(path) or ""):
        if not line:
            continue
        if line.startswith("-"):
            option, _, value = line.partition(" ")
            if "=" in option and option.startswith("--"):
                option, _, value = option.partition("=")
            value = value.strip()
            if option in ("-r", "--requirement", "-c", "--constraint") or option.startswith(
                ("-r", "-c")
            ):
                target = value or option[2:]
                resolved = _resolve(repo, path, target)
                if resolved is not None:
                    (constraints if option.startswith(("-c", "--c")) else includes).append(resolved)
            elif option in ("-e", "--editable"):
                parsed = _parse_requirement(path, number, value) if "://" in value else None
                if parsed is not None:
                    requirements.append(parsed)
            continue
        parsed = _parse_requirement(path, number, line)
        if parsed is not None:
            requirements.append(parsed)
    return _RequirementsFile(path, tuple(requirements), tuple(includes), tuple(constraints))


def _memo_requirements(repo: Snapshot, path: str) -> _RequirementsFile:
    return _requirements_file(repo, path)


def _pinning(repo: Snapshot, path: str, seen: set[str]) -> tuple[int, list[_Requirement]]:
    """How many requirements a file holds with its includes, and the unpinned ones.

    Includes are followed inside the repository, each file once (an include cycle ends there);
    a constraints file's exact pins count for the requirements it constrains.
    """
    if path in seen:
        return 0, []
    seen.add(path)
    parsed: _RequirementsFile = repo.memo(_memo_requirements, path)
    pins = {
        r.name
        for constraint in parsed.constraints
        for r in repo.memo(_memo_requirements, constraint).requirements
        if r.pinned and r.name
    }
    count = len(parsed.requirements)
    unpinned = [r for r in parsed.requirements if not r.pinned and r.name not in pins]
    for include in parsed.includes:
        more, loose = _pinning(repo, include, seen)
        count += more
        unpinned += loose
    return count, unpinned


class _Manifest(NamedTuple):
    """A dependency declaration that needs a lock, and how a message shows it."""

    path: str
    line: int | None
    problem: str


def _pyproject_dependencies(document: Mapping[str, Any]) -> list[str]:
    """The dependencies a pyproject declares (PEP 621, PEP 735 groups, Poetry)."""
    found: list[str] = []
    project = document.get("project")
    if isinstance(project, dict):
        found += [d for d in project.get("dependencies") or [] if isinstance(d, str)]
        optional = project.get("optional-dependencies")
        for group in optional.values() if isinstance(optional, dict) else []:
            found += [d for d in group if isinstance(d, str)] if isinstance(group, list) else []
    groups = document.get("dependency-groups")
    for group in groups.values() if isinstance(groups, dict) else []:
        found += [d for d in group if isinstance(d, str)] if isinstance(group, list) else []
    tool = document.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        poetry_groups = poetry.get("group")
        if isinstance(poetry_groups, dict):
            tables += [g.get("dependencies") for g in poetry_groups.values() if isinstance(g, dict)]
        for table in tables:
            if isinstance(table, dict):
                found += [
                    f"{name} = {spec!r}" if isinstance(spec, str) else name
                    for name, spec in table.items()
                    if name != "python"
                ]
    return found


def _line_holding(repo: Snapshot, path: str, text: str) -> int | None:
    needle = text.split(" = ", 1)[0]
    for number, line in enumerate(repo.lines(path), 1):
        if needle in line:
            return number
    return None


def _setup_py_declares(repo: Snapshot, path: str) -> bool:
    """True when a setup.py passes `install_requires` a non-empty list, or an expression."""
    tree = repo.python(path)
    if tree is None:
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (dotted_name(node.func) or "").endswith("setup"):
            for keyword in node.keywords:
                if keyword.arg == "install_requires":
                    value = keyword.value
                    return not (isinstance(value, ast.List | ast.Tuple) and not value.elts)
    return False


def _setup_cfg_declares(repo: Snapshot, path: str) -> bool:
    import configparser  # imported here: the pre-commit hook imports every rule module

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(repo.text(path) or "")
    except configparser.Error:
        return False
    return bool(parser.get("options", "install_requires", fallback="").strip())


def _conda_pinned(document: Any) -> bool | None:
    """True for an exported environment (every package `name=version=build` or `==`); None when
    the file is no conda environment."""
    if not isinstance(document, dict) or not isinstance(document.get("dependencies"), list):
        return None
    for dependency in document["dependencies"]:
        if isinstance(dependency, dict):
            for requirement in dependency.get("pip") or []:
                if not (isinstance(requirement, str) and "==" in requirement):
                    return False
        elif isinstance(dependency, str):
            spec = dependency.split("::", 1)[-1]
            if not ("==" in spec or spec.count("=") >= 2):
                return False
    return True


_DEPENDENCY_ENDINGS = (".py", ".toml", ".cfg", ".lock", ".txt", ".in", ".yml", ".yaml", "Pipfile")


def _is_dependency_file(path: str) -> bool:
    """A manifest, lock or requirements file, by name (cheap: this runs on every path)."""
    if not path.endswith(_DEPENDENCY_ENDINGS):
        return False
    name = path.rpartition("/")[2]
    if name.endswith(".py"):
        return name == "setup.py"
    return (
        name in _PROJECT_MANIFESTS
        or is_lock_file(path)
        or is_requirements_file(path)
        or _is_environment_file(path)
    )


def _is_environment_file(path: str) -> bool:
    name = path.rpartition("/")[2]
    return name.startswith("environment") and name.endswith((".yml", ".yaml"))


class _Dependencies:
    """Every dependency declaration and lock of the repository, by project directory."""

    def __init__(self) -> None:
        self.roots: set[str] = {""}
        self.files: list[str] = []
        """Every manifest, lock and requirements file."""
        self.locks: list[str] = []
        self.needs_lock: list[_Manifest] = []

    def owner(self, path: str) -> str:
        """The project a file belongs to: the deepest project directory above it."""
        directory = _directory(path)
        if directory.rpartition("/")[2] == "requirements":
            directory = _directory(directory)
        while directory not in self.roots:
            directory = _directory(directory)
        return directory

    def locked(self, path: str) -> bool:
        """A lock sits in the file's project (anywhere below it) or in a project above it."""
        owner = self.owner(path)
        return any(_is_within(owner, self.owner(lock)) for lock in self.locks)


def dependencies(repo: Snapshot) -> _Dependencies:
    """Manifests and locks, outside tests and docs (fixture projects are not the project)."""
    found = _Dependencies()
    candidates = [
        path
        for path in repo.files
        if _is_dependency_file(path) and not is_test_path(path) and not is_docs_path(path)
    ]
    found.files = candidates
    for path in candidates:
        name = path.rpartition("/")[2]
        if name in _PROJECT_MANIFESTS or _is_environment_file(path):
            found.roots.add(_directory(path))
    for path in candidates:
        name = path.rpartition("/")[2]
        if is_lock_file(path):
            found.locks.append(path)
        elif is_requirements_file(path):
            count, unpinned = _pinning(repo, path, set())
            parsed: _RequirementsFile = repo.memo(_memo_requirements, path)
            if parsed.is_input and parsed.requirements:
                found.needs_lock.append(
                    _Manifest(
                        path,
                        parsed.requirements[0].line,
                        f"`{path}` lists the loose inputs of pip-tools, but no compiled "
                        "requirements file pins them",
                    )
                )
            elif count and not unpinned:
                found.locks.append(path)
            elif unpinned:
                own = [r for r in unpinned if r.path == path]
                if own:
                    found.needs_lock.append(_unpinned_manifest(path, own))
        elif name == "pyproject.toml":
            document = repo.toml(path)
            declared = _pyproject_dependencies(document) if document else []
            if declared:
                found.needs_lock.append(
                    _Manifest(
                        path,
                        _line_holding(repo, path, declared[0]),
                        f"`{path}` declares its dependencies by name or range "
                        f"(`{declared[0]}`) and no lock file (`uv.lock`, `poetry.lock`, "
                        "`pdm.lock`) or pinned requirements file fixes their versions",
                    )
                )
        elif name == "Pipfile":
            found.needs_lock.append(
                _Manifest(path, None, f"`{path}` has no `Pipfile.lock` beside it")
            )
        elif name in ("setup.py", "setup.cfg"):
            declares = (
                _setup_py_declares(repo, path)
                if name == "setup.py"
                else _setup_cfg_declares(repo, path)
            )
            if declares:
                found.needs_lock.append(
                    _Manifest(
                        path,
                        None,
                        f"`{path}` declares `install_requires` and no lock file or pinned "
                        "requirements file fixes their versions",
                    )
                )
        elif _is_environment_file(path):
            pinned = _conda_pinned(repo.yaml(path))
            if pinned:
                found.locks.append(path)
            elif pinned is False:
                found.needs_lock.append(
                    _Manifest(
                        path,
                        None,
                        f"`{path}` names conda packages without exact versions and builds, and "
                        "no `conda-lock.yml` fixes them",
                    )
                )
    return found


def _unpinned_manifest(path: str, unpinned: list[_Requirement]) -> _Manifest:
    count = len(unpinned)
    examples = [f"{r.text}` on line {r.line}" for r in unpinned[:3]]
    listed = "`" + ", `".join(examples)
    if count > 3:
        listed += f" and {count - 3} more"
    return _Manifest(
        path,
        unpinned[0].line,
        f"`{path}` leaves {count} requirement{'s' if count != 1 else ''} unpinned ({listed}) "
        "and no lock file pins them",
    )


def _has_python(repo: Snapshot) -> bool:
    return any(path.endswith((".py", ".ipynb")) for path in repo.files)


@rule(
    "ENG003",
    "unlocked-dependencies",
    stage=2,
    principle=Principle.ENGINEERING,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="Dependencies are locked: `uv.lock`, `poetry.lock`, `pdm.lock`, `Pipfile.lock`, "
    "conda-lock, or requirements with every line pinned with `==`.",
    remedy=(
        "Commit a lock: the template's `requirements.lock` (every line pinned with `==`, made by "
        "`uv pip compile` or `pip-compile`), or `uv lock`, `poetry lock`, `pdm lock`, "
        "`pipenv lock`, `conda-lock`. Install from it in CI and in the `Dockerfile`."
    ),
    examples=Examples(
        failing={"requirements.txt": "pandas\nscikit-learn>=1.3\nfastapi\n"},
        passing={
            "requirements.txt": "pandas==2.2.2\nscikit-learn==1.5.0\nfastapi==0.111.0\n",
        },
    ),
)
def unlocked_dependencies(repo: Snapshot) -> Iterator[Violation]:
    """A model is only reproducible with the library versions it was trained and served with.
    With loose requirements, every `pip install` resolves whatever is newest that day: the
    retrained model differs for reasons nobody changed, and the service breaks the day a
    dependency ships an incompatible release. A lock file (or requirements pinned with `==`,
    `===`, a hash, or a VCS commit) makes every build install the same thing. A project is
    judged with the locks in its own directory tree or in a workspace above it; tests and docs
    are not projects.
    """
    found = repo.memo(dependencies)
    if not found.locks and not found.needs_lock:
        if _has_python(repo):
            yield Violation(
                "no dependency file (`requirements.txt`, `pyproject.toml`, `environment.yml`) "
                "or lock file says what the code needs, so nobody can rebuild the environment "
                "the model was trained and served in"
            )
        return
    for manifest in found.needs_lock:
        if not found.locked(manifest.path):
            yield Violation(
                f"{manifest.problem}, so every install resolves whatever versions are newest "
                "that day and the model cannot be rebuilt as it was trained",
                manifest.path,
                manifest.line,
            )


# -- ENG004: pre-commit --------------------------------------------------------------------------

PRE_COMMIT_CONFIGS = (".pre-commit-config.yaml", ".pre-commit-config.yml")


@rule(
    "ENG004",
    "pre-commit-missing",
    stage=2,
    principle=Principle.ENGINEERING,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="pre-commit is configured: `.pre-commit-config.yaml` with hook repositories.",
    remedy=(
        "Add the template's `.pre-commit-config.yaml` (ruff, notebook output stripping and "
        "`prodcheck audit` on changed files) and run `pre-commit install` once per clone."
    ),
    examples=Examples(
        failing={".pre-commit-config.yaml": "repos: []\n"},
        passing={
            ".pre-commit-config.yaml": (
                "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
                "    rev: v0.6.9\n    hooks:\n      - id: ruff\n"
            ),
        },
    ),
)
def pre_commit_missing(repo: Snapshot) -> Iterator[Violation]:
    """Hooks catch on the developer's machine, in seconds, what CI would catch in minutes and
    review would catch in days: an unformatted module, a notebook committed with its outputs, a
    key pasted into a cell. Without them, every one of those reaches the shared history, where a
    leaked secret can no longer be taken back.
    """
    path = repo.first_existing(*PRE_COMMIT_CONFIGS)
    consequence = "so formatting, lint, secret and notebook checks run only when someone remembers"
    if path is None:
        yield Violation(f"no `.pre-commit-config.yaml` at the repository root, {consequence}")
        return
    text = repo.text(path)
    documents = repo.yaml_documents(path) if text is not None else []
    if text is None or (text.strip() and not documents):
        yield Violation(f"`{path}` cannot be read as YAML (see PC001/PC002), {consequence}", path)
        return
    config = documents[0] if documents else None
    if not isinstance(config, dict):
        yield Violation(
            f"`{path}` is {'empty' if config is None else 'not a mapping'} and lists no hook "
            f"repositories under `repos`, {consequence}",
            path,
            1,
        )
        return
    repos = config.get("repos")
    if not isinstance(repos, list) or not repos:
        yield Violation(
            f"`{path}` lists no hook repositories under `repos`, {consequence}", path, 1
        )


# -- ENG005: .gitignore --------------------------------------------------------------------------


class _IgnoreCheck(NamedTuple):
    what: str
    probes: tuple[str, ...]
    """Representative paths; the check passes when any of them is ignored."""
    suggestion: str
    tool: str | None = None
    """Only asked for when the project uses this tool (or the directory holds files)."""


IGNORE_CHECKS = (
    _IgnoreCheck(
        "data exports",
        ("data/raw.csv", "data/raw/train.csv", "data/processed/features.parquet", "train.csv"),
        "`data/` or `*.csv`",
    ),
    _IgnoreCheck("`.env` files", (".env",), "`.env`"),
    _IgnoreCheck("MLflow's `mlruns/`", ("mlruns/0/meta.yaml",), "`mlruns/`", "mlflow"),
    _IgnoreCheck("W&B's `wandb/`", ("wandb/latest-run/files/config.yaml",), "`wandb/`", "wandb"),
    _IgnoreCheck(
        "model binaries",
        ("model.pkl", "models/model.pkl", "models/model.joblib", "artifacts/model.pkl"),
        "`models/` or `*.pkl`",
    ),
)


def _ignore_specs(repo: Snapshot) -> list[tuple[str, Any]]:
    """Every `.gitignore` of the repository with its directory, deepest last."""
    import pathspec

    specs = []
    ignores = [path for path in repo.files if path.endswith(".gitignore")]
    for path in sorted(ignores, key=lambda p: p.count("/")):
        if path.rpartition("/")[2] == ".gitignore":
            text = repo.text(path) or ""
            directory = _directory(path)
            specs.append(
                (
                    f"{directory}/" if directory else "",
                    pathspec.GitIgnoreSpec.from_lines(text.splitlines()),
                )
            )
    return specs


def _ignored(specs: list[tuple[str, Any]], path: str) -> bool:
    """As git decides: the deepest `.gitignore` with a matching pattern wins."""
    for base, spec in reversed(specs):
        if path.startswith(base):
            decision = spec.check_file(path[len(base) :]).include
            if decision is not None:
                return bool(decision)
    return False


def _uses(repo: Snapshot, tool: str) -> bool:
    """The project depends on `tool`: one of its manifests or locks names it.

    Manifests only, not code: a module may name a tool in a string or a comment without using
    it, and the few manifest files cost nothing to read.
    """
    needle = tool.encode()
    manifests = repo.memo(dependencies).files
    return any(needle in (repo.read_bytes(path) or b"").lower() for path in manifests)


@rule(
    "ENG005",
    "gitignore-gaps",
    stage=2,
    principle=Principle.ENGINEERING,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="`.gitignore` keeps data, `.env`, experiment stores and model binaries out of git.",
    remedy=(
        "Add to the root `.gitignore` what the message lists: `data/` (or `*.csv`, "
        "`*.parquet`), `.env`, `mlruns/`, `wandb/`, `models/` (or `*.pkl`, `*.joblib`), as the "
        "template's project does; data lives in the source the template's "
        "`src/<package>/data/extract.py` reads, models in the MLflow registry."
    ),
    examples=Examples(
        failing={".gitignore": "__pycache__/\n.venv/\n"},
        passing={".gitignore": "__pycache__/\n.venv/\n.env\ndata/\nmlruns/\nmodels/\n"},
    ),
)
def gitignore_gaps(repo: Snapshot) -> Iterator[Violation]:
    """What git does not ignore, someone eventually commits: the 2 GB export in `data/`, the
    `.env` with the production password, the `mlruns/` store, last week's `model.pkl`. Once
    committed, data and secrets stay in the history for good, and the repository grows too heavy
    to clone. A `.gitignore` that names them keeps them out by default. Experiment stores are
    asked for only when a dependency file names MLflow or Weights & Biases, or the store's
    directory is already there.
    """
    specs = repo.memo(_ignore_specs)
    if not any(base == "" for base, _ in specs):
        yield Violation(
            "no `.gitignore` at the repository root, so data exports, `.env` files, experiment "
            "stores and model binaries end up committed"
        )
        return
    missing: list[_IgnoreCheck] = []
    for check in IGNORE_CHECKS:
        if check.tool is not None:
            store = check.probes[0].partition("/")[0] + "/"
            if not (_uses(repo, check.tool) or any(p.startswith(store) for p in repo.files)):
                continue
        if not any(_ignored(specs, probe) for probe in check.probes):
            missing.append(check)
    if missing:
        what = [check.what for check in missing]
        listed = ", ".join(what[:-1]) + " and " + what[-1] if len(what) > 1 else what[0]
        add = ", ".join(check.suggestion for check in missing)
        yield Violation(
            f"`.gitignore` does not keep {listed} out of git (add {add}): sooner or later they "
            "get committed, and data and secrets stay in the history for good",
            ".gitignore",
        )


# -- ENG006: the README --------------------------------------------------------------------------

_README_NAMES = frozenset({"readme.md", "readme.rst", "readme.txt", "readme", "readme.markdown"})
_FENCE = _lazy(r"^\s*(```|~~~)")
_MARKDOWN_HEADING = _lazy(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_UNDERLINE = _lazy(r"^\s*([=\-~^\"'`#*+])\1{2,}\s*$")


class _ReadmeTopic(NamedTuple):
    name: str
    headings: Callable[[], re.Pattern[str]]
    commands: Callable[[], re.Pattern[str]]
    hint: str


README_TOPICS = (
    _ReadmeTopic(
        "install",
        _lazy(
            r"\b(?:install\w*|set ?up|set-up|getting started|get started|quick ?start|"
            r"requirements|prerequisites|dependencies|development environment)\b",
            re.I,
        ),
        _lazy(
            r"\b(?:pip3? install|uv (?:sync|pip (?:install|sync))|poetry install|"
            r"pdm (?:install|sync)|pipenv (?:install|sync)|(?:conda|mamba|micromamba) "
            r"(?:env create|create|install)|hatch env create|pixi install|rye sync|"
            r"make (?:setup|install|init|venv|env|deps|bootstrap|dev|develop)|"
            r"python3? -m venv|virtualenv|uv venv|set(?:s|ting)? up)\b",
            re.I,
        ),
        "`pip install`, `uv sync`, `make setup`",
    ),
    _ReadmeTopic(
        "run",
        _lazy(
            r"\b(?:usage|us(?:e|es|ing)|how to use|run\w*|serv\w*|start\w*|quick ?start|"
            r"getting started|train\w*|inference|predict\w*|deploy\w*)\b",
            re.I,
        ),
        _lazy(
            r"(?:\bpython3? -m [\w.]+|\bpython3? [\w./-]+\.py\b|\b(?:uv|poetry|pdm|pipenv|hatch|"
            r"rye|pixi) run\b|\bmake (?:run|serve|pipeline|train|predict|start|up|api)\b|"
            r"\buvicorn\b|\bgunicorn\b|\bflask run\b|\bfastapi (?:run|dev)\b|"
            r"\bdocker[ -]compose up\b|\bdocker run\b|\bmlflow (?:run|models serve)\b|"
            r"\bstreamlit run\b|\bjupyter (?:notebook|lab)\b)",
            re.I,
        ),
        "`python -m ...`, `make run`, `uvicorn`, `docker run`",
    ),
    _ReadmeTopic(
        "test",
        _lazy(r"\btest(?:s|ing)?\b", re.I),
        _lazy(
            r"\b(?:pytest|py\.test|make (?:test|tests|check)|tox|nox|python3? -m unittest|"
            r"hatch test)\b",
            re.I,
        ),
        "`pytest`, `make test`, `tox`",
    ),
)


def readme_headings(text: str) -> list[str]:
    """Markdown (`#` and underlined) and reStructuredText headings, outside code blocks."""
    headings: list[str] = []
    in_fence = False
    previous = ""
    for line in text.splitlines():
        if _FENCE().match(line):
            in_fence = not in_fence
            previous = ""
            continue
        if in_fence:
            continue
        heading = _MARKDOWN_HEADING().match(line)
        if heading:
            headings.append(heading.group(1))
        elif _UNDERLINE().match(line) and previous.strip() and not _UNDERLINE().match(previous):
            headings.append(previous.strip())
        previous = line
    return headings


@rule(
    "ENG006",
    "readme-lacks-instructions",
    stage=2,
    principle=Principle.ENGINEERING,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="The README says how to install, run and test the project.",
    remedy=(
        "Give the root `README.md` three short sections, as the template's does: install "
        "(`make setup` or `uv sync`), run (`make pipeline`, `make serve`, `docker compose up`) "
        "and test (`make test` or `pytest`)."
    ),
    examples=Examples(
        failing={"README.md": "# Churn model\n\nPredicts which customers will leave.\n"},
        passing={
            "README.md": (
                "# Churn model\n\n## Install\n\n    pip install -r requirements.lock\n\n"
                "## Run\n\n    python -m churn.pipeline\n\n## Test\n\n    pytest\n"
            ),
        },
    ),
)
def readme_lacks_instructions(repo: Snapshot) -> Iterator[Violation]:
    """The README is where the next engineer, or the on-call at 3 a.m., starts. If it does not
    say how to install, run and test the project, each of them rediscovers it from the code, and
    the pilot stays something only its author can operate. A topic counts when a heading names it
    (Install, Usage, Testing...) or the text shows its command (`pip install`, `python -m`,
    `pytest`...).
    """
    path = next((p for p in repo.files if "/" not in p and p.lower() in _README_NAMES), None)
    if path is None:
        yield Violation(
            "no README at the repository root says how to install, run and test the project, "
            "so only its author can operate it"
        )
        return
    text = repo.text(path)
    if text is None:
        return  # unreadable: the snapshot reports it
    headings = readme_headings(text)
    missing = [
        topic
        for topic in README_TOPICS
        if not any(topic.headings().search(h) for h in headings)
        and not topic.commands().search(text)
    ]
    if missing:
        names = [topic.name for topic in missing]
        listed = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
        hints = "; ".join(f"{topic.name}: {topic.hint}" for topic in missing)
        yield Violation(
            f"`{path}` does not say how to {listed} the project: no heading names it and no "
            f"command shows it ({hints}), so only its author can operate it",
            path,
            1,
        )
