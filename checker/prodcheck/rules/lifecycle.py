"""Lifecycle: the model is tracked, resolved from a registry, retrained, documented and judged.

LIFE001-LIFE006 are the stage-3 rules that make a deployed model a product someone operates:
runs and models tracked in a registry from pipeline code, a service that asks the registry
(or its configuration) which model to serve, a retraining schedule, a model card, the business
case's success metrics measured by the pipeline, and the day-90 go/stop decision on record.

Reading stays cheap on large repositories: one pass over the bytes of the Python files finds
what each module imports (`import_roots`), and only the modules that import a tracker, a web
framework or an orchestrator are parsed. Markdown documents (model card, retraining plan,
data contract) are read through `read_markdown`, which the governance rules share.
"""

from __future__ import annotations

import ast
import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from fnmatch import fnmatchcase
from functools import cache
from pathlib import PurePosixPath
from typing import Any

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._facts import (
    code_cells,
    dotted_name,
    import_roots,
    is_docs_path,
    is_test_path,
    string_value,
)
from prodcheck.rules._patterns import lazy, lazy_dataclass
from prodcheck.rules.business_case import OPENING_LINE, business_case
from prodcheck.rules.ownership import is_placeholder, shown
from prodcheck.rules.service import services
from prodcheck.snapshot import Snapshot, SourceFile, YamlDocument

# -- what modules import, and the few lines of them a rule needs to read -------------------
#
# Parsing is cheap (C); walking a whole syntax tree in Python is not: a few hundred service
# modules walked five times cost more than reading the repository. So candidates come from
# the one pass over the bytes that finds what every Python file imports (shared with the
# service rules), and a rule then walks only the statements on the lines that hold its own
# tokens.

_NOTEBOOK_ROOTS: tuple[str, ...] = ()
"""The packages looked for in notebooks (the trackers); filled in at the end of the module."""


def notebook_import_roots(repo: Snapshot) -> dict[str, frozenset[str]]:
    """Which trackers each notebook seems to import, from one pass over the bytes (the JSON of
    a cell holds `"import mlflow\\n"`); a prefilter, once per audit."""
    return repo.memo(_notebook_import_roots)


def _notebook_import_roots(repo: Snapshot) -> dict[str, frozenset[str]]:
    roots = b"|".join(re.escape(root.encode()) for root in _NOTEBOOK_ROOTS)
    # Each has a literal prefix, which the regex engine searches for as fast as a substring.
    plain = re.compile(rb"import[ \t]+(?:[\w.]+[ \t]*,[ \t]*)*(" + roots + rb")\b")
    from_ = re.compile(rb"from[ \t]+(" + roots + rb")\b")
    index: dict[str, frozenset[str]] = {}
    for file in repo.with_suffix(".ipynb"):
        data = repo.read_bytes(file.path)
        if not data:
            continue
        found = plain.findall(data) + from_.findall(data)
        if found:
            index[file.path] = frozenset(root.decode() for root in found)
    return index


def _line_numbers(data: bytes, needles: Iterable[bytes]) -> list[int]:
    """The sorted 1-based numbers of the lines that hold one of `needles`."""
    positions = []
    for needle in needles:
        position = data.find(needle)
        while position != -1:
            positions.append(position)
            position = data.find(needle, position + len(needle))
    lines: list[int] = []
    line, last = 1, 0
    for position in sorted(positions):
        line += data.count(b"\n", last, position)
        last = position
        if not lines or lines[-1] != line:
            lines.append(line)
    return lines


def nodes_on_lines(tree: ast.Module, lines: list[int]) -> Iterator[ast.AST]:
    """The nodes whose lines include one of `lines` (sorted): a walk that skips every statement
    and expression away from them, so reading a call costs a few nodes, not the whole tree."""
    if not lines:
        return
    stack: list[ast.AST] = list(reversed(tree.body))
    while stack:
        node = stack.pop()
        first: int | None = getattr(node, "lineno", None)
        if first is not None:
            last: int = getattr(node, "end_lineno", None) or first
            for decorator in getattr(node, "decorator_list", ()):
                first = min(first, decorator.lineno)
            index = bisect_left(lines, first)
            if index == len(lines) or lines[index] > last:
                continue
        yield node
        stack.extend(reversed(list(ast.iter_child_nodes(node))))


@lazy_dataclass(frozen=True)
class Parsed:
    """A product module with what it imports; rules read the lines that hold their tokens."""

    path: str
    tree: ast.Module
    data: bytes
    import_statements: tuple[ast.Import | ast.ImportFrom, ...]
    imports: frozenset[str]
    """Every module it imports, dotted (`from a.b import c` gives `a.b` and `a.b.c`)."""
    aliases: Mapping[str, str]
    """What each imported local name stands for (`{"mlf": "mlflow"}`)."""

    def imports_any(self, packages: Iterable[str]) -> bool:
        return _imports_any(self.imports, packages)

    def nodes_with(self, needles: Iterable[bytes]) -> Iterator[ast.AST]:
        """The nodes on the lines that hold one of `needles`."""
        return nodes_on_lines(self.tree, _line_numbers(self.data, needles))

    def calls_with(self, needles: Iterable[bytes]) -> list[_Call]:
        """The calls on the lines that hold one of `needles`, with their resolved names."""
        return _calls_in(self.nodes_with(needles), self.aliases)


def parsed(repo: Snapshot, path: str) -> Parsed | None:
    """A module parsed once per audit with its imports; None when it is not valid Python."""
    return repo.memo(_parsed, path)


def _parsed(repo: Snapshot, path: str) -> Parsed | None:
    tree = repo.python(path)
    data = repo.read_bytes(path)
    if tree is None or data is None:
        return None
    statements = tuple(
        node
        for node in nodes_on_lines(tree, _line_numbers(data, (b"import",)))
        if isinstance(node, ast.Import | ast.ImportFrom)
    )
    return Parsed(path, tree, data, statements, _imported(statements), import_aliases(statements))


def _imported(nodes: Iterable[ast.AST]) -> frozenset[str]:
    """Every module the import statements among `nodes` import (as `_facts.imported_modules`)."""
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return frozenset(names)


def _imports_any(imports: frozenset[str], packages: Iterable[str]) -> bool:
    return any(
        name == package or name.startswith(f"{package}.")
        for name in imports
        for package in packages
    )


def modules_importing(repo: Snapshot, *packages: str) -> list[Parsed]:
    """The product modules (not tests, not docs) that import one of `packages`, parsed."""
    return repo.memo(_modules_importing, packages)


def _modules_importing(repo: Snapshot, packages: tuple[str, ...]) -> list[Parsed]:
    wanted = {package.split(".", 1)[0].encode() for package in packages}
    found = []
    for path, roots in sorted(repo.memo(import_roots).items()):
        if roots.isdisjoint(wanted) or not _is_product_code(path):
            continue
        module = parsed(repo, path)
        if module is not None and module.imports_any(packages):
            found.append(module)
    return found


def _is_product_code(path: str) -> bool:
    """Pipeline or service code: neither a test nor a documentation snippet."""
    return not is_test_path(path) and not is_docs_path(path)


def import_aliases(nodes: Iterable[ast.AST]) -> dict[str, str]:
    """What each imported local name stands for: `{"np": "numpy", "MlflowClient":
    "mlflow.tracking.MlflowClient"}`; relative imports are left out."""
    aliases: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    root = alias.name.split(".", 1)[0]
                    aliases[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*":
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def resolved_name(node: ast.AST, aliases: Mapping[str, str]) -> str | None:
    """The full dotted name an expression refers to through the imports (`mlf.log_metric` with
    `import mlflow as mlf` is `mlflow.log_metric`); None when it does not start at an import."""
    name = dotted_name(node)
    if name is None:
        return None
    head, dot, rest = name.partition(".")
    if head not in aliases:
        return None
    return aliases[head] + dot + rest


@lazy_dataclass(frozen=True)
class _Call:
    node: ast.Call | ast.expr
    """The call, or a bare decorator (`@schedule`), which is a call Python makes for you."""
    name: str | None
    """The resolved dotted name of what is called; None for a method of a local object."""
    method: str | None
    """The attribute called (`create_model_version` in `client.create_model_version()`)."""

    @property
    def written(self) -> str:
        """What is called, as the code writes it (`mlflow.log_metric`, `client.log_model`)."""
        func = self.node.func if isinstance(self.node, ast.Call) else self.node
        return dotted_name(func) or f"{self.method}()"

    def keyword(self, name: str) -> ast.expr | None:
        if isinstance(self.node, ast.Call):
            return next((k.value for k in self.node.keywords if k.arg == name), None)
        return None

    def given(self, *names: str) -> bool:
        """True when one of the keywords `names` is passed a value other than None."""
        return any((v := self.keyword(n)) is not None and not _is_none(v) for n in names)


def _calls_in(nodes: Iterable[ast.AST], aliases: Mapping[str, str]) -> list[_Call]:
    """The calls among `nodes` (bare decorators included), with their resolved names."""
    calls: list[_Call] = []
    for node in nodes:
        if isinstance(node, ast.Call):
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            calls.append(_Call(node, resolved_name(node.func, aliases), method))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            for decorator in node.decorator_list:
                if not isinstance(decorator, ast.Call):
                    calls.append(_Call(decorator, resolved_name(decorator, aliases), None))
    return calls


def _matches(name: str | None, patterns: Iterable[str]) -> bool:
    return name is not None and any(fnmatchcase(name, pattern) for pattern in patterns)


def _is_none(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _code_cell_trees(repo: Snapshot, path: str) -> list[tuple[int, ast.Module]]:
    """The parsed code cells of a notebook; IPython magics and shell lines are blanked first
    (keeping line numbers), and cells that still do not parse are skipped."""
    trees = []
    for cell in code_cells(repo, path):
        source = "\n".join(
            "" if line.lstrip().startswith(("%", "!")) else line
            for line in cell.source.splitlines()
        )
        try:
            trees.append((cell.index, ast.parse(source)))
        except (SyntaxError, ValueError, RecursionError):
            continue
    return trees


# -- Markdown documents ----------------------------------------------------------------------

_FENCE = lazy(r"^\s{0,3}(?:`{3,}|~{3,})")
_ATX_HEADING = lazy(r"^\s{0,3}(#{1,6})(?:\s+(.*?))?\s*#*\s*$")
_SETEXT_UNDERLINE = lazy(r"^\s{0,3}(?:=+|-+)\s*$")
_HTML_COMMENT = lazy(r"<!--.*?-->", re.DOTALL)
_EMPHASIS = lazy(r"\*\*|__|`")
_LABEL = lazy(r"^\s*(?:[-*+]\s+)?([A-Za-z][^:|]{0,60}?)\s*:\s*(\S.*)$")
_TABLE_SEPARATOR = lazy(r"^[\s|:-]+$")


@lazy_dataclass(frozen=True)
class Section:
    """A heading and the lines under it, up to the next heading of the same or a higher level
    (so its subsections belong to it)."""

    title: str
    level: int
    line: int
    body: tuple[tuple[int, str], ...]


@lazy_dataclass(frozen=True)
class Markdown:
    """A Markdown document as rules judge it: front matter, headings, and labelled lines
    (`Owner: @data-team`, `**Retention:** 2 years`, `| Source | CRM |`), with HTML comments
    (where templates keep their instructions) removed."""

    path: str
    front_matter: Mapping[Any, Any]
    document: YamlDocument | None
    sections: tuple[Section, ...]
    labels: tuple[tuple[int, str, str], ...]
    """(line, label, value) for every `label: value` line and two-cell table row."""
    lines: tuple[tuple[int, str], ...]
    """Every non-heading line of the body (fenced code included), numbered as in the file."""


def read_markdown(repo: Snapshot, path: str) -> Markdown | None:
    """A Markdown file parsed once per audit; None when it cannot be read as text."""
    return repo.memo(_read_markdown, path)


def _read_markdown(repo: Snapshot, path: str) -> Markdown | None:
    text = repo.text(path)
    if text is None:
        return None
    document = repo.front_matter(path)
    front: Mapping[Any, Any] = {}
    raw_lines = text.splitlines()
    first = 0
    if document is not None:
        if document.error is None and isinstance(document.data, dict):
            front = document.data
        closing = next(
            (i for i, line in enumerate(raw_lines[1:], 1) if line.strip() in ("---", "...")),
            len(raw_lines) - 1,
        )
        first = closing + 1
    # Comments may span lines: blank them out but keep the line count.
    body = _HTML_COMMENT().sub(lambda m: "\n" * m.group().count("\n"), "\n".join(raw_lines[first:]))
    numbered = list(enumerate(body.split("\n"), first + 1))

    headings: list[tuple[int, int, str]] = []  # (index in numbered, level, title)
    content: list[tuple[int, str]] = []  # (line number, text), in file order
    fenced = False
    for index, (number, line) in enumerate(numbered):
        if _FENCE().match(line):
            fenced = not fenced
            continue
        atx = None if fenced else _ATX_HEADING().match(line)
        if atx:
            headings.append((index, len(atx.group(1)), _clean(atx.group(2) or "")))
            continue
        if (
            not fenced
            and _SETEXT_UNDERLINE().match(line)
            and index > 0
            and numbered[index - 1][1].strip()
            and content
            and content[-1][0] == numbered[index - 1][0]
            and not _TABLE_SEPARATOR().match(numbered[index - 1][1])
        ):
            _, previous = content.pop()
            level = 1 if line.strip().startswith("=") else 2
            headings.append((index - 1, level, _clean(previous)))
            continue
        content.append((number, line))

    sections = []
    content_lines = [number for number, _ in content]
    for position, (index, level, title) in enumerate(headings):
        end = next((i for i, lvl, _ in headings[position + 1 :] if lvl <= level), len(numbered))
        below = slice(
            bisect_left(content_lines, numbered[index][0] + 1),
            bisect_left(content_lines, numbered[end][0]) if end < len(numbered) else None,
        )
        sections.append(Section(title, level, numbered[index][0], tuple(content[below])))

    labels = []
    for number, line in content:
        label = _label(line)
        if label is not None:
            labels.append((number, *label))
    return Markdown(path, front, document, tuple(sections), tuple(labels), tuple(content))


def _clean(text: str) -> str:
    return _EMPHASIS().sub("", text).strip()


def _label(line: str) -> tuple[str, str] | None:
    """`Owner: @data-team` or a table row `| Owner | @data-team |` as (label, value)."""
    stripped = line.strip()
    if stripped.startswith("|"):
        if _TABLE_SEPARATOR().match(stripped):
            return None
        cells = [_clean(cell) for cell in stripped.strip("|").split("|")]
        if len(cells) >= 2 and cells[0]:
            return cells[0], " ".join(cell for cell in cells[1:] if cell)
        return None
    match = _LABEL().match(_clean(line))
    return (match.group(1).strip(), match.group(2).strip()) if match else None


def substantive(text: str) -> bool:
    """True for text that says something: not blank, not a TODO/TBD/`<fill me>` placeholder."""
    text = text.strip().strip("-*+>|#").strip()
    return bool(text) and not is_placeholder(text)


def topic_line(markdown: Markdown, topic: re.Pattern[str]) -> int | None:
    """Where the document covers `topic`, or None: a front matter key with a value, a heading
    whose section says something, or a labelled line (`Owner: @team`, a table row) with a value.

    Placeholders (TODO, TBD, `<fill me>`) do not count, so an unfilled template fails.
    """
    for key, value in markdown.front_matter.items():
        if (
            isinstance(key, str)
            and topic.search(re.sub(r"[_-]", " ", key))
            and not is_placeholder(value)
        ):
            line = markdown.document.line_of(key) if markdown.document else None
            return line or OPENING_LINE
    for section in markdown.sections:
        if topic.search(section.title) and any(substantive(t) for _, t in section.body):
            return section.line
    for line, label, value in markdown.labels:
        if topic.search(label) and substantive(value):
            return line
    return None


def _files_by_name(repo: Snapshot) -> dict[str, list[str]]:
    """Every path by its lower-cased file name, once per audit."""
    names: dict[str, list[str]] = {}
    for path in repo.files:
        names.setdefault(path.rpartition("/")[2].lower(), []).append(path)
    return names


def files_named(repo: Snapshot, *names: str) -> list[str]:
    """The paths (outside tests) whose lower-cased file name is one of `names`, sorted."""
    index = repo.memo(_files_by_name)
    return sorted(p for name in names for p in index.get(name, []) if not is_test_path(p))


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _strings(value: Any, limit: int = 2000) -> Iterator[str]:
    """Every string (keys included) in a parsed YAML or JSON value, depth first, at most `limit`."""
    stack = [value]
    while stack and limit > 0:
        item = stack.pop()
        if isinstance(item, str):
            limit -= 1
            yield item
        elif isinstance(item, dict):
            stack.extend(str(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


# -- LIFE001: runs and models tracked in a registry ------------------------------------------

_REGISTRY_REPORTS = frozenset(
    {"mlflow", "wandb", "neptune", "comet_ml", "clearml", "azure_ml", "dvclive"}
)
"""Values of `report_to=` (transformers) and `log_with=` (accelerate) that send runs to a
registry; `tensorboard` keeps curves on one disk, and `all` names nothing in particular."""


@lazy_dataclass(frozen=True)
class _Tracker:
    """How one registry is used from code.

    `calls` are glob patterns over the resolved dotted name of a call (`mlflow.*.log_model`);
    `pattern?keyword` counts only when the call passes that keyword. `methods` are attribute
    calls on local objects (`client.create_model_version(...)`) that count in a module which
    imports one of `packages`.
    """

    name: str
    packages: tuple[str, ...]
    calls: tuple[str, ...] = ()
    methods: frozenset[str] = frozenset()


_TRACKERS: tuple[_Tracker, ...] = (
    _Tracker(
        "MLflow",
        ("mlflow",),
        (
            "mlflow.log_*",
            "mlflow.*.log_*",
            "mlflow.start_run",
            "mlflow.autolog",
            "mlflow.*.autolog",
            "mlflow.register_model",
            "mlflow.*.register_model",
            "mlflow.MlflowClient",
            "mlflow.*.MlflowClient",
            "mlflow.evaluate",
            "mlflow.models.evaluate",
            "mlflow.*Callback",
        ),
        frozenset(
            {
                "log_metric",
                "log_metrics",
                "log_param",
                "log_params",
                "log_batch",
                "log_artifact",
                "log_artifacts",
                "log_model",
                "create_registered_model",
                "create_model_version",
                "set_registered_model_alias",
                "transition_model_version_stage",
            }
        ),
    ),
    _Tracker(
        "Weights & Biases",
        ("wandb",),
        (
            "wandb.init",
            "wandb.log",
            "wandb.log_*",
            "wandb.Artifact",
            "wandb.use_artifact",
            "wandb.link_model",
            "wandb.run.log*",
            "wandb.integration.*",
            "wandb.*.Wandb*",
            "wandb.sklearn.*",
            "wandb.keras.*",
        ),
        frozenset({"log", "log_artifact", "link_artifact", "link_model", "log_model"}),
    ),
    _Tracker(
        "SageMaker",
        ("sagemaker",),
        (
            "sagemaker.*Estimator",
            "sagemaker.*.estimator.*",
            "sagemaker.sklearn.SKLearn",
            "sagemaker.xgboost.XGBoost",
            "sagemaker.pytorch.PyTorch",
            "sagemaker.tensorflow.TensorFlow",
            "sagemaker.huggingface.HuggingFace",
            "sagemaker.experiments.*Run",
            "sagemaker.experiments.*load_run",
            "sagemaker.*ModelPackage*",
            "sagemaker.*RegisterModel",
            "sagemaker.*ModelStep",
        ),
        frozenset({"register", "log_metric", "log_parameter", "log_parameters"}),
    ),
    _Tracker(
        "SageMaker",
        ("boto3",),
        (),
        frozenset({"create_model_package", "create_model_package_group"}),
    ),
    _Tracker(
        "Vertex AI",
        ("google.cloud.aiplatform", "vertexai"),
        (
            "google.cloud.aiplatform.init?experiment",
            "google.cloud.aiplatform.start_run",
            "google.cloud.aiplatform.autolog",
            "google.cloud.aiplatform.log_*",
            "google.cloud.aiplatform.save_model",
            "google.cloud.aiplatform.Model.upload*",
            "google.cloud.aiplatform.*TrainingJob",
            "google.cloud.aiplatform.Experiment*",
            "vertexai.init?experiment",
        ),
        frozenset({"log_metrics", "log_params", "log_time_series_metrics"}),
    ),
    _Tracker(
        "Azure ML",
        ("azure.ai.ml", "azureml"),
        (
            "azureml.core.*Model.register",
            "azureml.core.*Experiment",
            "azureml.core.*Run.*",
            "azure.ai.ml.entities.Model",
            "azure.ai.ml.command",
            "azure.ai.ml.entities.*Job",
        ),
        frozenset({"register", "log", "log_list", "log_row", "start_logging", "create_or_update"}),
    ),
    _Tracker(
        "Neptune",
        ("neptune",),
        ("neptune.init*", "neptune.new.init*", "neptune.Run", "neptune.*NeptuneCallback"),
    ),
    _Tracker(
        "Comet",
        ("comet_ml",),
        ("comet_ml.*Experiment", "comet_ml.start", "comet_ml.init*"),
        frozenset({"log_metric", "log_metrics", "log_parameters", "log_model", "register_model"}),
    ),
    _Tracker(
        "ClearML",
        ("clearml",),
        ("clearml.Task.init", "clearml.Task.create", "clearml.OutputModel"),
        frozenset({"report_scalar", "update_weights"}),
    ),
    _Tracker(
        "DVC",
        ("dvclive",),
        ("dvclive.*",),
        frozenset({"log_metric", "log_param", "log_params", "log_artifact"}),
    ),
    _Tracker(
        "a Lightning logger",
        ("lightning", "pytorch_lightning"),
        ("*.MLFlowLogger", "*.WandbLogger", "*.NeptuneLogger", "*.CometLogger"),
    ),
)
_REPORTING_PACKAGES = (
    "transformers",
    "trl",
    "accelerate",
    "setfit",
    "sentence_transformers",
    "zenml",
)
"""Libraries that send runs to a tracker through a keyword (`report_to="mlflow"`)."""


@lazy_dataclass(frozen=True)
class Tracking:
    """Code that logs a run or registers a model."""

    path: str
    line: int
    what: str
    """What it calls, as written in the code (`mlflow.log_metric`)."""
    cell: int | None = None


def _tracking_in(calls: Iterable[_Call], imports: frozenset[str]) -> Iterator[_Call]:
    """The calls that track a run or a model, given what their module (or notebook) imports."""
    imported = [t for t in _TRACKERS if _imports_any(imports, t.packages)]
    reporting = _imports_any(imports, _REPORTING_PACKAGES)
    for call in calls:
        if any(_tracks(call, tracker) for tracker in imported) or (
            reporting and _reports_to_tracker(call)
        ):
            yield call


def _tracking_needles(module: Parsed) -> set[bytes]:
    """The tokens on every line that can track: the local names bound to the trackers a module
    imports (or to their parent packages, as `google` in `google.cloud.aiplatform.init`), their
    methods, and the keywords that name a tracker."""
    imported = [t for t in _TRACKERS if module.imports_any(t.packages)]
    roots = {p.split(".", 1)[0] for t in imported for p in t.packages}
    needles = {
        name.encode() for name, target in module.aliases.items() if target.split(".", 1)[0] in roots
    }
    needles.update(method.encode() for t in imported for method in t.methods)
    if module.imports_any(_REPORTING_PACKAGES):
        needles.update((b"report_to", b"log_with", b"experiment_tracker"))
    return needles


def _tracks(call: _Call, tracker: _Tracker) -> bool:
    if call.name is None and call.method in tracker.methods:
        return True
    for spec in tracker.calls:
        pattern, _, keyword = spec.partition("?")
        if _matches(call.name, (pattern,)) and (not keyword or call.given(keyword)):
            return True
    return False


def _reports_to_tracker(call: _Call) -> bool:
    """`TrainingArguments(report_to="mlflow")`, `Accelerator(log_with=["wandb"])`,
    `@step(experiment_tracker="mlflow_tracker")` (ZenML)."""
    tracker = call.keyword("experiment_tracker")
    if tracker is not None and string_value(tracker):
        return True
    for keyword in ("report_to", "log_with"):
        value = call.keyword(keyword)
        items = value.elts if isinstance(value, ast.List | ast.Tuple) else [value]
        names = {(string_value(item) or "").lower() for item in items if item is not None}
        if names & _REGISTRY_REPORTS:
            return True
    return False


def tracking_calls(repo: Snapshot) -> list[Tracking]:
    """Every call in product code (not tests, docs or notebooks) that tracks a run or a model,
    once per audit."""
    return repo.memo(_tracking_calls)


def _tracking_calls(repo: Snapshot) -> list[Tracking]:
    packages = tuple(p for t in _TRACKERS for p in t.packages) + _REPORTING_PACKAGES
    found = []
    for module in modules_importing(repo, *packages):
        calls = module.calls_with(_tracking_needles(module))
        for call in _tracking_in(calls, module.imports):
            found.append(Tracking(module.path, call.node.lineno, call.written))
    return found


def _configured_tracking(repo: Snapshot) -> str | None:
    """A tracker wired up by configuration rather than code: a DVC model registry entry
    (`artifacts` of `type: model` in `dvc.yaml`) or kedro-mlflow's `conf/*/mlflow.yml`."""
    for path in files_named(repo, "dvc.yaml"):
        data = repo.yaml(path)
        artifacts = data.get("artifacts") if isinstance(data, dict) else None
        if isinstance(artifacts, dict) and any(
            isinstance(a, dict) and a.get("type") == "model" for a in artifacts.values()
        ):
            return path
    for path in files_named(repo, "mlflow.yml", "mlflow.yaml"):
        data = repo.yaml(path) if "conf/" in path else None
        if isinstance(data, dict) and {"server", "tracking"} & set(data):
            return path
    return None


def _notebook_tracking(repo: Snapshot) -> Tracking | None:
    """The first tracking call in a notebook, for the message when only notebooks track."""
    packages = {p.split(".", 1)[0] for t in _TRACKERS for p in t.packages}
    packages.update(_REPORTING_PACKAGES)
    for path, roots in sorted(notebook_import_roots(repo).items()):
        if roots.isdisjoint(packages) or is_test_path(path):
            continue
        cells = _code_cell_trees(repo, path)
        # Imports usually sit in an earlier cell than the calls: resolve names notebook-wide.
        statements = [n for _, tree in cells for n in ast.walk(tree)]
        imports, aliases = _imported(statements), import_aliases(statements)
        for index, tree in cells:
            for call in _tracking_in(_calls_in(ast.walk(tree), aliases), imports):
                return Tracking(path, call.node.lineno, call.written, index)
    return None


_CASE = "docs/business-case.md"

_TRAIN_MODULE = """\
import mlflow
from sklearn.linear_model import LogisticRegression


def train(features, labels):
    with mlflow.start_run():
        model = LogisticRegression().fit(features, labels)
        mlflow.sklearn.log_model(model, "model", registered_model_name="churn")
    return model
"""


@rule(
    "LIFE001",
    "untracked-experiments",
    stage=3,
    principle=Principle.LIFECYCLE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="Experiments and models are tracked in a registry (MLflow, Weights & Biases, "
    "SageMaker, Vertex AI, Azure ML) from pipeline code, not only from notebooks.",
    remedy=(
        "Log every training run and register the model from the pipeline, as the template's "
        "`src/<package>/pipeline.py` does (`mlflow.start_run`, `mlflow.log_metrics`, "
        "`mlflow.sklearn.log_model(..., registered_model_name=...)`); Weights & Biases, "
        "SageMaker, Vertex AI, Azure ML, Neptune, Comet, ClearML and DVC count too."
    ),
    examples=Examples(
        failing={
            "src/churn/train.py": "import joblib\n\n\ndef train(model, features, labels):\n"
            "    model.fit(features, labels)\n"
            '    joblib.dump(model, "model.joblib")\n'
        },
        passing={"src/churn/pipeline.py": _TRAIN_MODULE},
    ),
)
def untracked_experiments(repo: Snapshot) -> Iterator[Violation]:
    """A pilot that saves `model_final_v3.pkl` from a notebook cannot say which data, code and
    parameters made the model in production, cannot compare it with the last one, and cannot
    roll back. A registry gives every run and every model version an identity, so the service,
    the monitoring and the day-90 review all talk about the same model. Tracking must happen in
    the pipeline: a notebook run is not reproducible and never runs on a schedule.
    """
    if repo.memo(_tracking_calls) or _configured_tracking(repo) is not None:
        return
    notebook = _notebook_tracking(repo)
    consequence = (
        "nobody can tell which model is in production, what trained it, or roll back to the "
        "last good one"
    )
    if notebook is not None:
        yield Violation(
            f"experiments are tracked only in notebooks (`{notebook.path}` calls "
            f"`{notebook.what}`), not in pipeline code: a notebook run cannot be reproduced or "
            f"scheduled, so {consequence}",
            notebook.path,
            notebook.line,
            notebook.cell,
        )
        return
    yield Violation(
        "no pipeline code tracks experiments or registers models in a registry (MLflow, "
        f"Weights & Biases, SageMaker, Vertex AI, Azure ML): {consequence}"
    )


# -- LIFE002: the service asks the registry or its configuration for the model ---------------

_MODEL_SUFFIXES = (
    ".pkl",
    ".pickle",
    ".joblib",
    ".sav",
    ".pt",
    ".pth",
    ".h5",
    ".hdf5",
    ".keras",
    ".onnx",
    ".safetensors",
    ".ckpt",
    ".cbm",
    ".ubj",
)
_PATH_KEYWORDS = (
    "filename",
    "f",
    "file",
    "fname",
    "filepath",
    "path",
    "path_or_buf",
    "model_uri",
    "model_path",
    "model_file",
    "path_or_bytes",
    "pretrained_model_name_or_path",
    "model_name_or_path",
    "export_dir",
)
_LOADERS = (
    "joblib.load",
    "pickle.load",
    "cloudpickle.load",
    "dill.load",
    "skops.io.load",
    "torch.load",
    "torch.jit.load",
    "*keras*.load_model",
    "tensorflow.saved_model.load",
    "mlflow.*.load_model",
    "onnxruntime.InferenceSession",
    "fasttext.load_model",
    "pandas.read_pickle",
    "ultralytics.YOLO",
    "xgboost.Booster?model_file",
    "lightgbm.Booster?model_file",
)
"""Calls whose path argument is the model file; `name?keyword` reads only that keyword."""
_HUB_LOADERS = (
    "transformers.*.from_pretrained",
    "transformers.pipeline?model",
    "sentence_transformers.SentenceTransformer",
    "spacy.load",
)
"""Calls that take a hub or package name (`bert-base-uncased`) as readily as a path: only an
unmistakable path (`./model`, `/opt/model`, built with `Path`) is judged."""
_LOADER_METHODS = frozenset({"load_model"})
_LOADER_NEEDLES = (
    b"load",
    b"open",
    b"read_bytes",
    b"read_pickle",
    b"InferenceSession",
    b"YOLO",
    b"Booster",
    b"from_pretrained",
    b"SentenceTransformer",
    b"pipeline",
)
"""Every loader above has one of these on the line where its call is."""
_PATH_BUILDERS = (
    "pathlib.Path",
    "pathlib.PurePath",
    "pathlib.PosixPath",
    "os.path.join",
    "os.path.abspath",
    "os.path.realpath",
    "os.path.expanduser",
    "os.path.normpath",
)
_PATH_METHODS = frozenset({"resolve", "absolute", "expanduser"})
_URI_SCHEME = lazy(r"^[A-Za-z][A-Za-z0-9+.-]+:")
"""`models:/`, `runs:/`, `s3://`, `https://`: a registry or remote store, not a file in the
repository (a drive letter such as `C:` is one letter, so it stays a local path)."""
_MACHINE_PATH = lazy(r"^(?:/Users/|/home/|/root/|~|[A-Za-z]:[\\/])")


@lazy_dataclass(frozen=True)
class _Path:
    """A path an expression spells out: its text and whether code built it as a path."""

    text: str
    explicit: bool
    """Built with `Path(...)`, `os.path.join`, or anchored at `__file__`."""


def _module_paths(module: Parsed) -> dict[str, _Path]:
    """Module-level names bound once to a literal path (`MODEL_PATH = "models/churn.pkl"`)."""
    assigned: dict[str, list[ast.expr]] = {}
    for node in module.tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    assigned.setdefault(target.id, []).append(node.value)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            assigned.setdefault(node.target.id, []).append(node.value)
    constants: dict[str, _Path] = {}
    for name, values in assigned.items():
        if len(values) == 1:
            value = _path_of(values[0], constants, module.aliases)
            if value is not None:
                constants[name] = value
    return constants


def _path_of(
    node: ast.expr, constants: Mapping[str, _Path], aliases: Mapping[str, str]
) -> _Path | None:
    """The literal path an expression spells, or None when it is computed or configured.

    `"models/churn.pkl"`, `Path(__file__).parent / "model.joblib"` and `os.path.join(BASE,
    "model.pkl")` spell paths; `os.environ["MODEL_URI"]`, `settings.model_uri` and
    `os.getenv("MODEL_PATH", "model.pkl")` do not: they come from configuration.
    """
    text = string_value(node)
    if text is not None:
        return _Path(text, explicit=False)
    if isinstance(node, ast.Name):
        if node.id == "__file__":
            return _Path("", explicit=True)
        return constants.get(node.id)
    if isinstance(node, ast.Attribute) and node.attr in ("parent", "parents"):
        base = _path_of(node.value, constants, aliases)
        return _Path("", explicit=True) if base is not None and base.explicit else None
    if isinstance(node, ast.Subscript):  # Path(__file__).parents[1]
        return _path_of(node.value, constants, aliases)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        return _joined(_path_of(node.left, constants, aliases), node.right, constants, aliases)
    if isinstance(node, ast.Call):
        name = resolved_name(node.func, aliases)
        if isinstance(node.func, ast.Attribute) and node.func.attr in _PATH_METHODS:
            return _path_of(node.func.value, constants, aliases)
        if name == "os.path.dirname" and node.args:
            base = _path_of(node.args[0], constants, aliases)
            return _Path("", explicit=True) if base is not None and base.explicit else None
        if name in _PATH_BUILDERS and node.args and not node.keywords:
            path: _Path | None = _Path("", explicit=True)
            for argument in node.args:
                path = _joined(path, argument, constants, aliases)
            return path
    return None


def _joined(
    base: _Path | None, part: ast.expr, constants: Mapping[str, _Path], aliases: Mapping[str, str]
) -> _Path | None:
    tail = _path_of(part, constants, aliases)
    if base is None or tail is None:
        return None
    if not base.text:
        return _Path(tail.text, explicit=True)
    return _Path(f"{base.text.rstrip('/')}/{tail.text}" if tail.text else base.text, True)


def _path_argument(call: _Call, keyword: str) -> ast.expr | None:
    if keyword:
        return call.keyword(keyword)
    node = call.node
    if isinstance(node, ast.Call) and node.args and not isinstance(node.args[0], ast.Starred):
        return node.args[0]
    return next((v for k in _PATH_KEYWORDS if (v := call.keyword(k)) is not None), None)


def _is_local(path: _Path, *, hub_name: bool) -> bool:
    """A file in the repository or on one machine, not a registry URI or a hub model name."""
    text = path.text.strip()
    if not text or _URI_SCHEME().match(text):
        return False
    if not hub_name:
        return True
    return (
        path.explicit
        or text.startswith(("./", "../", "/", "~", ".\\"))
        or bool(re.match(r"^[A-Za-z]:[\\/]", text))
        or text.lower().endswith(_MODEL_SUFFIXES)
    )


def _baked_model_path(
    call: _Call, constants: Mapping[str, _Path], aliases: Mapping[str, str]
) -> tuple[str, str] | None:
    """(what is called, the path) when a call loads a model from a literal local path."""
    node = call.node
    if not isinstance(node, ast.Call):
        return None
    written = dotted_name(node.func) or f"{call.method}()"
    specs: list[tuple[str, bool]] = []
    if call.name is not None:
        specs += [(s, False) for s in _LOADERS if _matches(call.name, (s.partition("?")[0],))]
        specs += [(s, True) for s in _HUB_LOADERS if _matches(call.name, (s.partition("?")[0],))]
    elif call.method in _LOADER_METHODS:
        specs.append(("", False))
    elif call.method == "from_pretrained":
        specs.append(("", True))
    for spec, hub_name in specs:
        argument = _path_argument(call, spec.partition("?")[2])
        path = None if argument is None else _path_of(argument, constants, aliases)
        if path is not None and _is_local(path, hub_name=hub_name):
            return written, path.text
    # open("model.pkl", "rb"), Path("model.pkl").open("rb"), .read_bytes()
    opened: ast.expr | None = None
    mode: ast.expr | None = None
    if call.name in ("open", "io.open", "builtins.open") or (
        call.name is None and isinstance(node.func, ast.Name) and node.func.id == "open"
    ):
        opened = node.args[0] if node.args else call.keyword("file")
        mode = node.args[1] if len(node.args) > 1 else call.keyword("mode")
    elif isinstance(node.func, ast.Attribute) and node.func.attr in ("open", "read_bytes"):
        opened = node.func.value
        mode = node.args[0] if node.args else call.keyword("mode")
    if opened is None:
        return None
    path = _path_of(opened, constants, aliases)
    reading = string_value(mode) if mode is not None else "r"
    if (
        path is not None
        and path.text.lower().endswith(_MODEL_SUFFIXES)
        and reading is not None
        and not set(reading) & set("wax+")
        and _is_local(path, hub_name=False)
    ):
        return written, path.text
    return None


def service_modules(repo: Snapshot) -> list[Parsed]:
    """The modules of the model service: those that declare a service (as SVC001 finds them),
    and the local modules they import directly (where the model is often loaded), once per
    audit."""
    return repo.memo(_service_modules)


def _service_modules(repo: Snapshot) -> list[Parsed]:
    declaring = sorted({s.path for s in repo.memo(services).found if s.path.endswith(".py")})
    modules = [m for m in (parsed(repo, path) for path in declaring) if m is not None]
    found = {module.path: module for module in modules}
    for module in modules:
        for path in _local_imports(repo, module):
            if path not in found and _is_product_code(path):
                local = parsed(repo, path)
                if local is not None:
                    found[path] = local
    return [found[path] for path in sorted(found)]


def _local_imports(repo: Snapshot, module: Parsed) -> Iterator[str]:
    """The repository files a module imports, looked up from its own directory upwards (so a
    service in `services/api/app/` finds `app/model.py`) and from `src/`."""
    directory = PurePosixPath(module.path).parent
    roots = [str(p) for p in (directory, *directory.parents)]
    roots = ["" if r == "." else f"{r}/" for r in roots] + ["src/"]
    for node in module.import_statements:
        dotted: list[str] = []
        bases = roots
        if isinstance(node, ast.Import):
            dotted = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            dotted = [base] if base else []
            dotted += [f"{base}.{alias.name}" if base else alias.name for alias in node.names]
            if node.level:
                parent = directory
                for _ in range(node.level - 1):
                    parent = parent.parent
                bases = ["" if str(parent) == "." else f"{parent}/"]
        for name in dotted:
            relative = name.replace(".", "/")
            for base in bases:
                for candidate in (f"{base}{relative}.py", f"{base}{relative}/__init__.py"):
                    if candidate in repo:
                        yield candidate


def _baked(repo: Snapshot, path: str) -> bool:
    """A relative path (the repository's files, as the image copies them) or one on a
    developer's machine; an absolute system path (`/opt/ml/model`, `/mnt/models`) is where the
    platform mounts the model it resolved, unless the repository holds that very file."""
    if not path.startswith("/") or _MACHINE_PATH().match(path):
        return True
    name = path.rstrip("/").rpartition("/")[2].lower()
    return any(path.endswith(f"/{tracked}") for tracked in files_named(repo, name))


@rule(
    "LIFE002",
    "model-path-baked-in",
    stage=3,
    principle=Principle.LIFECYCLE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="The service resolves its model from the registry or configuration (such as "
    "`models:/name@champion`), not from a file path baked into the code.",
    remedy=(
        "Load the model from a URI read from configuration, as the template's "
        "`src/<package>/settings.py` (`MODEL_URI`, default `models:/<name>@champion`) and "
        "`src/<package>/service/app.py` do: `mlflow.pyfunc.load_model(settings.model_uri)`; a "
        "registry URI written in the code passes too."
    ),
    examples=Examples(
        failing={
            "app/main.py": "import joblib\nfrom fastapi import FastAPI\n\napp = FastAPI()\n"
            'model = joblib.load("models/churn.joblib")\n'
        },
        passing={
            "app/main.py": "import os\n\nimport mlflow\nfrom fastapi import FastAPI\n\n"
            'app = FastAPI()\nmodel = mlflow.pyfunc.load_model(os.environ["MODEL_URI"])\n'
        },
    ),
)
def model_path_baked_in(repo: Snapshot) -> Iterator[Violation]:
    """A service that opens `models/churn.pkl` serves whatever file was copied into its image.
    Promoting a retrained model then takes a code change and a new build, nobody can tell which
    version answers, and rolling back means digging out an old image. Asking the registry for
    the `champion` alias (or reading the model URI from configuration) lets the pipeline
    promote a model and the service pick it up, with its version known.
    """
    for module in repo.memo(_service_modules):
        constants = _module_paths(module)
        seen: set[int] = set()
        for call in module.calls_with(_LOADER_NEEDLES):
            baked = _baked_model_path(call, constants, module.aliases)
            if baked is None or call.node.lineno in seen or not _baked(repo, baked[1]):
                continue
            seen.add(call.node.lineno)
            what, path = baked
            where = (
                "a path on one developer's machine"
                if _MACHINE_PATH().match(path)
                else "a file path baked into the code"
            )
            yield Violation(
                f"the service loads its model with `{what}` from `{path}`, {where}: a "
                "retrained model cannot reach production without a code change and a new "
                "image; resolve it from the registry or configuration (such as "
                "`MODEL_URI=models:/<name>@champion`)",
                module.path,
                call.node.lineno,
            )


# -- LIFE003: retraining is scheduled, or at least planned -----------------------------------

_TRAINING = lazy(
    r"(?<![a-z])(?:re)?train|(?<![a-z])pipeline(?![a-z])|dvc\s+(?:repro|exp\s+run)"
    r"|kedro\s+run|mlflow\s+run",
    re.IGNORECASE,
)
"""Words of a job that trains: `retrain`, `python -m churn.train`, `make pipeline`, `dvc repro`
(but not `constraint` or `from_pretrained`)."""
_GITLAB_SCHEDULE = lazy(r"\$\{?CI_PIPELINE_SOURCE\}?\s*==\s*[\"']schedule[\"']")
_GITLAB_RESERVED = frozenset(
    {
        "stages",
        "variables",
        "include",
        "default",
        "workflow",
        "image",
        "services",
        "before_script",
        "after_script",
        "cache",
        "pages",
    }
)
_AIRFLOW_DAGS = (
    "airflow.DAG",
    "airflow.models.DAG",
    "airflow.models.dag.DAG",
    "airflow.models.dag.dag",
    "airflow.decorators.dag",
    "airflow.sdk.DAG",
    "airflow.sdk.dag",
)
_AIRFLOW_SCHEDULE_KEYWORDS = ("schedule", "schedule_interval", "timetable")
_SCHEDULES = (
    "dagster.ScheduleDefinition",
    "dagster.schedule",
    "dagster.build_schedule_from_partitioned_job",
    "metaflow.schedule",
    "zenml.*Schedule",
    "azure.ai.ml.*JobSchedule",
    "azure.ai.ml.*CronTrigger",
    "azure.ai.ml.*RecurrenceTrigger",
    "sagemaker.workflow.triggers.PipelineSchedule",
    "google.cloud.aiplatform.PipelineJobSchedule",
    "prefect.*CronSchedule",
    "prefect.*IntervalSchedule",
    "prefect.*RRuleSchedule",
)
_SCHEDULE_NEEDLES = (
    b"DAG",
    b"dag",
    b"chedule",
    b"cron",
    b"Cron",
    b"interval",
    b"rrule",
    b"recurring",
    b"Recurrence",
)
"""Every schedule below names one of these within its call."""
_SCHEDULE_METHODS = frozenset({"create_recurring_run", "create_schedule"})
"""Kubeflow Pipelines' `client.create_recurring_run`, Vertex AI's `job.create_schedule`."""
_PREFECT_DEPLOYS = frozenset({"serve", "deploy", "to_deployment", "build_from_flow"})
_PREFECT_SCHEDULE_KEYWORDS = ("cron", "interval", "rrule", "schedule", "schedules")
_ORCHESTRATORS = (
    "airflow",
    "dagster",
    "prefect",
    "metaflow",
    "zenml",
    "kfp",
    "google.cloud.aiplatform",
    "azure.ai.ml",
    "sagemaker",
)

_RETRAINING_DOCS = ("retraining.md", "retraining-plan.md", "retraining_plan.md")
_TRIGGER_TOPIC = lazy(r"\btrigger", re.IGNORECASE)
_CADENCE_TOPIC = lazy(r"\b(?:cadence|schedul\w*|frequency|how often)\b", re.IGNORECASE)
_TRIGGER_TEXT = lazy(
    r"\btrigger\w*|\bkick(?:s|ed)? off\b"
    r"|\b(?:when|whenever|if|once|after)\b[^.]{0,80}?\b(?:drift\w*|degrad\w*|drops?|falls?"
    r"|declines?|below|exceeds?|above|new (?:data|labels)|labels?)\b"
    r"|\b(?:cron|scheduled|scheduler|workflow|alert\w*|manually|on[- ]demand)\b",
    re.IGNORECASE,
)
_CADENCE_TEXT = lazy(
    r"\b(?:hourly|daily|nightly|weekly|bi-?weekly|fortnightly|monthly|bi-?monthly|quarterly"
    r"|yearly|annually|cron"
    r"|every\s+(?:\d+\s+|other\s+)?(?:hours?|days?|nights?|weeks?|months?|quarters?|years?"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"|once\s+(?:a|per|every)\s+(?:day|week|month|quarter|year))\b",
    re.IGNORECASE,
)
_CRON_EXPRESSION = lazy(r"(?<!\S)(?:[\d*/,-]+\s+){4}[\d*/,A-Za-z-]+(?!\S)")


def _has_cron(value: Any) -> bool:
    return isinstance(value, list) and any(
        isinstance(item, dict) and isinstance(item.get("cron"), str) and item["cron"].strip()
        for item in value
    )


def _trains(*values: Any) -> bool:
    return any(_TRAINING().search(text) for value in values for text in _strings(value))


def _github_schedules(repo: Snapshot) -> tuple[list[str], list[str]]:
    """GitHub Actions workflows that train: (those on a `schedule`, those without one)."""
    scheduled, unscheduled = [], []
    for path in repo.files:
        directory, _, name = path.rpartition("/")
        if directory != ".github/workflows" or not name.endswith((".yml", ".yaml")):
            continue
        data = repo.yaml(path)
        if not isinstance(data, dict):
            continue
        # PyYAML reads the key `on` as the boolean True (YAML 1.1).
        triggers = data.get("on", data.get(True))
        if not _trains(PurePosixPath(path).stem, data.get("name"), data.get("jobs")):
            continue
        if isinstance(triggers, dict) and _has_cron(triggers.get("schedule")):
            scheduled.append(path)
        else:
            unscheduled.append(path)
    return scheduled, unscheduled


def _gitlab_scheduled(job: Any) -> bool:
    """A GitLab job (or `workflow:`) that runs in scheduled pipelines."""
    if not isinstance(job, dict):
        return False
    rules = job.get("rules")
    if isinstance(rules, list):
        for item in rules:
            if (
                isinstance(item, dict)
                and isinstance(item.get("if"), str)
                and _GITLAB_SCHEDULE().search(item["if"])
                and item.get("when") != "never"
            ):
                return True
    only = job.get("only")
    if isinstance(only, dict):
        only = only.get("refs")
    return isinstance(only, list) and "schedules" in only


def _gitlab_schedules(repo: Snapshot) -> list[str]:
    path = repo.first_existing(".gitlab-ci.yml", ".gitlab-ci.yaml")
    data = repo.yaml(path) if path else None
    if not isinstance(data, dict) or path is None:
        return []
    every_pipeline_scheduled = _gitlab_scheduled(data.get("workflow"))
    for name, job in data.items():
        if not isinstance(name, str) or name.startswith(".") or name in _GITLAB_RESERVED:
            continue
        if not isinstance(job, dict) or not _trains(name, job.get("script"), job.get("extends")):
            continue
        unconditional = "rules" not in job and "only" not in job
        if _gitlab_scheduled(job) or (every_pipeline_scheduled and unconditional):
            return [path]
    return []


def _azure_pipeline_schedules(repo: Snapshot) -> list[str]:
    path = repo.first_existing("azure-pipelines.yml", "azure-pipelines.yaml")
    data = repo.yaml(path) if path else None
    if path is None or not isinstance(data, dict) or not _has_cron(data.get("schedules")):
        return []
    rest = {k: v for k, v in data.items() if k != "schedules"}
    return [path] if _trains(rest) else []


def _python_schedules(repo: Snapshot) -> list[str]:
    """Orchestrator schedules in code: Airflow, Dagster, Prefect, Metaflow, ZenML, Kubeflow,
    Vertex AI, Azure ML and SageMaker pipelines."""
    found = []
    for module in modules_importing(repo, *_ORCHESTRATORS):
        prefect = module.imports_any(("prefect",))
        recurring = module.imports_any(("kfp", "google.cloud.aiplatform"))
        for call in module.calls_with(_SCHEDULE_NEEDLES):
            if (
                (_matches(call.name, _AIRFLOW_DAGS) and _airflow_scheduled(call))
                or _matches(call.name, _SCHEDULES)
                or (recurring and call.name is None and call.method in _SCHEDULE_METHODS)
                or (
                    prefect
                    and (call.method or (call.name or "").rpartition(".")[2]) in _PREFECT_DEPLOYS
                    and call.given(*_PREFECT_SCHEDULE_KEYWORDS)
                )
            ):
                found.append(module.path)
                break
    return found


def _airflow_scheduled(dag: _Call) -> bool:
    """An Airflow DAG with a schedule; one that names none runs daily in Airflow 2 (its default
    until Airflow 3 made it None), so it counts too. `schedule=None` does not."""
    given = [k for k in _AIRFLOW_SCHEDULE_KEYWORDS if dag.keyword(k) is not None]
    return not given or dag.given(*given)


def _manifest_schedules(repo: Snapshot) -> list[str]:
    """Kubernetes CronJobs and Argo CronWorkflows that train, scheduled Prefect deployments in
    `prefect.yaml`, and Databricks jobs with a cron schedule."""
    found = []
    candidates = {f.path for f in repo.files_with(b"Cron", ".yaml", ".yml")}
    candidates.update(f.path for f in repo.files_with(b"quartz_cron_expression", ".yaml", ".yml"))
    for path in sorted(candidates):
        if is_test_path(path) or b"{{" in (repo.read_bytes(path) or b""):
            continue  # a Helm or Jinja template is not YAML until rendered
        for document in repo.yaml_documents(path):
            if not isinstance(document, dict):
                continue
            kind = document.get("kind")
            if (kind in ("CronJob", "CronWorkflow") and _trains(document)) or _databricks_cron(
                document
            ):
                found.append(path)
                break
    for path in files_named(repo, "prefect.yaml", "prefect.yml"):
        data = repo.yaml(path)
        deployments = data.get("deployments") if isinstance(data, dict) else None
        if isinstance(deployments, list) and any(
            isinstance(d, dict) and (d.get("schedule") or d.get("schedules")) for d in deployments
        ):
            found.append(path)
    return found


def _databricks_cron(value: Any) -> bool:
    """A Databricks job schedule (`schedule: {quartz_cron_expression: ...}`) not paused."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            schedule = item.get("schedule")
            if (
                isinstance(schedule, dict)
                and isinstance(schedule.get("quartz_cron_expression"), str)
                and str(schedule.get("pause_status", "")).upper() != "PAUSED"
            ):
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def retraining_schedules(repo: Snapshot) -> list[str]:
    """The files that schedule training, once per audit."""
    return repo.memo(_retraining_schedules)


def _retraining_schedules(repo: Snapshot) -> list[str]:
    return (
        repo.memo(_github_schedules)[0]
        + _gitlab_schedules(repo)
        + _azure_pipeline_schedules(repo)
        + _python_schedules(repo)
        + _manifest_schedules(repo)
    )


def _mentions(markdown: Markdown, topic: re.Pattern[str], *words: re.Pattern[str]) -> bool:
    """The plan covers `topic` under its name (a heading, a label, a front matter key), or says
    it in words anywhere: a heading with content, or a line that is not a placeholder."""
    if topic_line(markdown, topic) is not None:
        return True
    titles = [s.title for s in markdown.sections if any(substantive(t) for _, t in s.body)]
    lines = [*titles, *(line for _, line in markdown.lines)]
    return any(substantive(line) and any(w.search(line) for w in words) for line in lines)


def _retraining_plan_gaps(markdown: Markdown) -> list[str]:
    gaps = []
    if not _mentions(markdown, _TRIGGER_TOPIC(), _TRIGGER_TEXT()):
        gaps.append("a trigger (what starts a retraining: a schedule, a drift alert, new labels)")
    if not _mentions(markdown, _CADENCE_TOPIC(), _CADENCE_TEXT(), _CRON_EXPRESSION()):
        gaps.append("a cadence (how often: weekly, monthly, a cron expression)")
    return gaps


_RETRAIN_WORKFLOW = """\
name: retrain
on:
  schedule:
    - cron: "0 3 * * 1"
  workflow_dispatch:
jobs:
  retrain:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: python -m churn.pipeline
"""


@rule(
    "LIFE003",
    "retraining-undefined",
    stage=3,
    principle=Principle.LIFECYCLE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="Retraining is defined: a scheduled workflow or orchestrator schedule runs "
    "training, or `docs/retraining.md` names its trigger and cadence.",
    remedy=(
        "Schedule the pipeline, as the template's `.github/workflows/retrain.yml` does (`on: "
        "schedule: - cron: ...`), or with your orchestrator (an Airflow DAG `schedule`, a "
        "Prefect deployment schedule, a Dagster `ScheduleDefinition`, a Kubernetes `CronJob`); "
        "or write the plan in the template's `docs/retraining.md`, with a `Trigger` and a "
        "`Cadence` section."
    ),
    examples=Examples(
        failing={
            ".github/workflows/retrain.yml": _RETRAIN_WORKFLOW.replace(
                '  schedule:\n    - cron: "0 3 * * 1"\n', ""
            )
        },
        passing={".github/workflows/retrain.yml": _RETRAIN_WORKFLOW},
    ),
)
def retraining_undefined(repo: Snapshot) -> Iterator[Violation]:
    """Data drifts, and a model trained once decays quietly until someone notices the business
    metric falling. Pilots in purgatory retrain when the data scientist remembers to; products
    retrain on a schedule or on a signal (drift, new labels) that is written down. Without a
    defined trigger and cadence, nobody is due to refresh the model, and nobody is surprised
    when it goes stale.
    """
    if repo.memo(_retraining_schedules):
        return
    consequence = "the model decays as the data drifts, and nobody is due to refresh it"
    plans = files_named(repo, *_RETRAINING_DOCS)
    plans.sort(key=lambda p: (p != "docs/retraining.md", p))
    gaps_by_plan = []
    for path in plans:
        markdown = read_markdown(repo, path)
        if markdown is None:
            continue
        gaps = _retraining_plan_gaps(markdown)
        if not gaps:
            return
        gaps_by_plan.append((path, gaps))
    if gaps_by_plan:
        path, gaps = gaps_by_plan[0]
        yield Violation(
            f"`{path}` does not name {' or '.join(gaps)}, and no scheduled workflow or "
            f"orchestrator schedule runs training: {consequence}",
            path,
            OPENING_LINE,
        )
        return
    unscheduled = repo.memo(_github_schedules)[1]
    hint = f" (`{unscheduled[0]}` runs training, but not on a `schedule`)" if unscheduled else ""
    yield Violation(
        "retraining is not defined: no scheduled workflow or orchestrator schedule runs "
        f"training{hint}, and no `docs/retraining.md` names its trigger and cadence: "
        f"{consequence}",
        unscheduled[0] if unscheduled else None,
    )


# -- LIFE004: a model card ---------------------------------------------------------------------

_MODEL_CARDS = ("model-card.md", "model_card.md", "modelcard.md")
_HF_METADATA = frozenset({"model-index", "pipeline_tag", "library_name", "base_model"})
"""Front matter keys that make a README a Hugging Face model card."""
_MODEL_DIRS = frozenset({"model", "models"})


@lazy_dataclass(frozen=True)
class _CardSection:
    name: str
    topic: re.Pattern[str]
    headings: str
    """How the message suggests to title it."""


@cache
def _card_sections() -> tuple[_CardSection, ...]:
    """Built on first use: the topics are regular expressions (see `_patterns`)."""
    return (
        _CardSection(
            "intended use",
            re.compile(
                r"\b(?:intended\s+(?:uses?|purpose)|uses|use\s+cases?|(?:direct|downstream|"
                r"out-of-scope)\s+use)\b|^uses?$",
                re.IGNORECASE,
            ),
            '"Intended use"',
        ),
        _CardSection(
            "training data",
            re.compile(r"\b(?:training|data(?:sets?)?)\b", re.IGNORECASE),
            '"Training data"',
        ),
        _CardSection(
            "metrics",
            re.compile(
                r"\b(?:metrics?|evaluation|performance|results?|quantitative\s+analyses)\b",
                re.IGNORECASE,
            ),
            '"Metrics"',
        ),
        _CardSection(
            "limitations",
            re.compile(
                r"\b(?:limitations?|caveats?|risks?|bias(?:es)?|ethical\s+considerations|known\s+"
                r"issues)\b",
                re.IGNORECASE,
            ),
            '"Limitations"',
        ),
    )


def _card_gaps(markdown: Markdown) -> list[_CardSection]:
    """The sections a model card lacks (a heading whose section is only a placeholder lacks)."""
    front = markdown.front_matter
    gaps = []
    for section in _card_sections():
        if section.name == "metrics" and not is_placeholder(front.get("model-index")):
            continue  # Hugging Face's model-index holds the evaluation results
        if topic_line(markdown, section.topic) is None:
            gaps.append(section)
    return gaps


def _model_cards(repo: Snapshot) -> tuple[list[str], list[str]]:
    """(model cards, READMEs of model directories that may be one)."""
    cards = files_named(repo, *_MODEL_CARDS)
    cards.sort(key=lambda p: (p not in ("docs/model-card.md", "MODEL_CARD.md"), p))
    maybe = []
    for path in files_named(repo, "readme.md"):
        if is_docs_path(path) and path != "docs/README.md":
            continue
        if (repo.read_bytes(path) or b"").startswith(b"---"):
            markdown = read_markdown(repo, path)
            if markdown is not None and not _HF_METADATA.isdisjoint(markdown.front_matter):
                cards.append(path)
                continue
        if not _MODEL_DIRS.isdisjoint(PurePosixPath(path).parts[:-1]):
            maybe.append(path)
    return cards, maybe


@rule(
    "LIFE004",
    "model-card-missing",
    stage=3,
    principle=Principle.LIFECYCLE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="A model card describes the model's intended use, training data, metrics and "
    "limitations.",
    remedy=(
        "Fill in the template's `docs/model-card.md` (or a `MODEL_CARD.md`, or a Hugging Face "
        "README with `model-index`), with a section each on intended use, training data, "
        "metrics and limitations; TODO and TBD do not count."
    ),
    examples=Examples(
        failing={
            "docs/model-card.md": "# Churn model\n\n## Intended use\n\nRank accounts by churn "
            "risk for the retention team.\n\n## Limitations\n\nTODO\n"
        },
        passing={
            "docs/model-card.md": "# Churn model\n\n## Intended use\n\nRank accounts by churn "
            "risk for the retention team.\n\n## Training data\n\nTwelve months of CRM "
            "accounts.\n\n## Metrics\n\nROC AUC 0.84 on the last quarter.\n\n## Limitations"
            "\n\nNot validated for accounts younger than 30 days.\n"
        },
    ),
)
def model_card_missing(repo: Snapshot) -> Iterator[Violation]:
    """A model in production is used by people who did not build it. Without a card saying what
    it is for, what data taught it, how well it does and where it fails, it is used for things
    it was never meant to do, judged against the wrong numbers, and trusted on the inputs it
    handles worst. The card is also what a reviewer, an auditor or the next owner reads first.
    """
    cards, maybe = repo.memo(_model_cards)
    incomplete = []
    for path in [*cards, *maybe]:
        markdown = read_markdown(repo, path)
        if markdown is None:
            continue
        gaps = _card_gaps(markdown)
        if not gaps:
            return
        if path in cards:
            incomplete.append((path, gaps))
    consequence = "its users cannot tell what the model is for, how good it is, or where it fails"
    if not incomplete:
        yield Violation(
            "no model card (`docs/model-card.md`, `MODEL_CARD.md` or a Hugging Face README with "
            f"`model-index`) describes the model: {consequence}"
        )
        return
    for path, gaps in incomplete:
        names = _listed([gap.name for gap in gaps])
        headings = _listed([gap.headings for gap in gaps])
        yield Violation(
            f"the model card `{path}` says nothing on {names} (write a section such as "
            f"{headings}, with more than a placeholder): {consequence}",
            path,
            OPENING_LINE,
        )


# -- LIFE005: the pipeline measures the business case's success metrics ----------------------

_NOT_A_WORD = lazy(r"[^0-9a-z]+")


def _normalized(name: str) -> str:
    """`Retained revenue (EUR)`, `retained-revenue-eur` and `retained_revenue_eur` alike."""
    return _NOT_A_WORD().sub("_", name.lower()).strip("_")


def _names_metric(token: str, metric: str) -> bool:
    """`val_retained_revenue_eur` and `retained_revenue_eur_test` name `retained_revenue_eur`."""
    token = _normalized(token)
    return token == metric or token.endswith(f"_{metric}") or token.startswith(f"{metric}_")


def _tokens(nodes: Iterable[ast.AST]) -> Iterator[str]:
    """Every string literal and identifier among `nodes`."""
    for node in nodes:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name
        elif isinstance(node, ast.keyword | ast.arg) and node.arg:
            yield node.arg


def _needles(name: str) -> set[bytes]:
    """The byte strings one of which a file naming the metric holds: the name as written, or
    in snake case (`Retained revenue` is `retained_revenue` in code)."""
    return {name.strip().encode(), _normalized(name).encode()}


def _measured_in_code(repo: Snapshot, name: str) -> bool:
    metric = _normalized(name)
    candidates: dict[str, SourceFile] = {}
    for needle in _needles(name):
        for file in repo.files_with(needle, ".py"):
            if _is_product_code(file.path):
                candidates[file.path] = file
    for path in sorted(candidates):
        module = parsed(repo, path)
        if module is not None and any(
            _names_metric(token, metric) for token in _tokens(module.nodes_with(_needles(name)))
        ):
            return True
    return False


def _measured_in_metrics_files(repo: Snapshot, name: str) -> bool:
    """A committed metrics file the pipeline writes (`metrics.json`, `reports/metrics.yaml`, as
    DVC tracks them) that has the metric as a key."""
    metric = _normalized(name)
    for file in repo.with_suffix(".json", ".yaml", ".yml"):
        if "metric" not in file.name.lower() or not _is_product_code(file.path):
            continue
        if not any(n in (repo.read_bytes(file.path) or b"") for n in _needles(name)):
            continue
        data: Any
        if file.suffix == ".json":
            try:
                data = json.loads(repo.text(file.path) or "null")
            except (ValueError, RecursionError):
                continue
        else:
            data = repo.yaml(file.path)
        if any(_names_metric(key, metric) for key in _keys(data)):
            return True
    return False


def _keys(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield from (str(k) for k in item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _in_notebook(repo: Snapshot, name: str) -> str | None:
    """A notebook that computes the metric under its snake-case name, for the message."""
    metric = _normalized(name)
    for file in repo.files_with(metric.encode(), ".ipynb"):
        if is_test_path(file.path):
            continue
        for _, tree in _code_cell_trees(repo, file.path):
            if any(_names_metric(token, metric) for token in _tokens(ast.walk(tree))):
                return file.path
    return None


@rule(
    "LIFE005",
    "success-metrics-unmeasured",
    stage=3,
    principle=Principle.LIFECYCLE,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="The pipeline measures the business case's success metrics: their names appear in "
    "evaluation code or logged metrics.",
    remedy=(
        "Compute and log each of `success_metrics` from `docs/business-case.md` under its name "
        "in the evaluation step, as the template's `src/<package>/pipeline.py` does "
        '(`mlflow.log_metric("minutes_to_triage_a_ticket", value)`), or write it to a '
        "metrics file the pipeline commits, such as `metrics.json`."
    ),
    requires=("BC001",),
    examples=Examples(
        failing={
            _CASE: "---\nsuccess_metrics:\n  - name: retained_revenue_eur\n    kind: business\n"
            "    target: 250000\n    direction: higher\n---\n",
            "src/churn/evaluate.py": "import mlflow\n\n\ndef evaluate(auc):\n"
            '    mlflow.log_metric("roc_auc", auc)\n',
        },
        passing={
            _CASE: "---\nsuccess_metrics:\n  - name: retained_revenue_eur\n    kind: business\n"
            "    target: 250000\n    direction: higher\n---\n",
            "src/churn/evaluate.py": "import mlflow\n\n\ndef evaluate(revenue):\n"
            '    mlflow.log_metric("retained_revenue_eur", revenue)\n',
        },
    ),
)
def success_metrics_unmeasured(repo: Snapshot) -> Iterator[Violation]:
    """At day 90 someone must say whether the pilot met its targets. If the pipeline never
    computes the success metrics the business case promised, that answer is a guess, or an
    accuracy number the sponsor did not ask for. Measuring each metric under its own name in
    the evaluation step makes the go/stop decision a reading, not an argument.
    """
    case = repo.memo(business_case)
    metrics = case.fields.get("success_metrics")
    if case.problem is not None or not isinstance(metrics, list):
        return
    for index, metric in enumerate(metrics):
        name = metric.get("name") if isinstance(metric, dict) else None
        if not isinstance(name, str) or is_placeholder(name) or not _normalized(name):
            continue  # BC004 says what is wrong with it
        if _measured_in_code(repo, name) or _measured_in_metrics_files(repo, name):
            continue
        notebook = _in_notebook(repo, name)
        where = (
            f"only the notebook `{notebook}` computes it, and no pipeline code or metrics file "
            "names it"
            if notebook
            else "no pipeline code or metrics file names it"
        )
        yield Violation(
            f"the success metric `{name}` of `{case.path}` is not measured: {where}, so at day "
            "90 nobody can show whether the pilot met its target",
            case.path,
            case.line_of("success_metrics", index, "name"),
        )


# -- LIFE006: the go/stop decision is on record ----------------------------------------------

DECISIONS = ("go", "stop")
DECIDED_ON = "decided_on"
_ISO_DATE = lazy(r"\d{4}-\d{2}-\d{2}")
"""The date the decision was taken; `decision_date` is the date it is planned for."""


def _decision_problem(
    case_fields: Mapping[Any, Any], path: str
) -> tuple[str, str, str | None] | None:
    """(what is wrong, how to fix it, the key to point at) with the recorded decision."""
    record = f"add `decision: go` or `decision: stop` with `{DECIDED_ON}: YYYY-MM-DD`"
    value = case_fields.get("decision")
    if is_placeholder(value):
        planned = case_fields.get("decision_date")
        due = f" (due on {planned.isoformat()})" if isinstance(planned, date) else ""
        if "decision" in case_fields:
            what = (
                f"`decision` in `{path}` is still {shown(value)}, so the day-90 go/stop "
                f"decision{due} is not recorded"
            )
            return what, record, "decision"
        return f"the day-90 go/stop decision{due} is not recorded in `{path}`", record, None
    if not isinstance(value, str) or value.strip().lower() not in DECISIONS:
        return f"`decision` in `{path}` is {shown(value)}, not go or stop", record, "decision"
    decided = case_fields.get(DECIDED_ON)
    if is_placeholder(decided):
        similar = next(
            (
                k
                for k in case_fields
                if isinstance(k, str)
                and k not in ("decision", "decision_date", DECIDED_ON)
                and k.startswith(("decided", "decision"))
            ),
            None,
        )
        fix = (
            f"rename `{similar}` to `{DECIDED_ON}`"
            if similar
            else f"add `{DECIDED_ON}: YYYY-MM-DD`"
        )
        what = f"`decision: {value.strip().lower()}` in `{path}` does not say when it was taken"
        return what, fix, "decision"
    if isinstance(decided, date) and not isinstance(decided, datetime):
        return None
    if isinstance(decided, str) and _ISO_DATE().fullmatch(decided.strip()):
        try:
            date.fromisoformat(decided.strip())
        except ValueError:
            pass
        else:
            return None
    what = f"`{DECIDED_ON}` in `{path}` is {shown(decided)}, not a date"
    return what, "write it as YYYY-MM-DD", DECIDED_ON


@rule(
    "LIFE006",
    "decision-unrecorded",
    stage=3,
    principle=Principle.LIFECYCLE,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="The day-90 go/stop decision is recorded in the business case front matter "
    "(`decision: go|stop` and `decided_on`).",
    remedy=(
        "At the decision date, add `decision: go` (or `stop`) and `decided_on: YYYY-MM-DD` to "
        "the front matter of `docs/business-case.md`; `decision_date` stays the planned date. "
        "`prodcheck gate --record` writes both."
    ),
    requires=("BC001",),
    examples=Examples(
        failing={_CASE: "---\ndecision_date: 2025-09-30\ndecision: go\n---\n"},
        passing={
            _CASE: "---\ndecision_date: 2025-09-30\ndecision: go\ndecided_on: 2025-09-29\n---\n"
        },
    ),
)
def decision_unrecorded(repo: Snapshot) -> Iterator[Violation]:
    """The seed's warning is that a pilot never fails, it just never progresses. The day-90
    review exists to end that: go on with the model in production, or stop and free the team.
    A decision that is not written down was not taken; recorded next to the targets it was
    judged against, with its date, it is a fact the next review can build on.
    """
    case = repo.memo(business_case)
    if case.problem is not None:
        return
    problem = _decision_problem(case.fields, case.path)
    if problem is not None:
        what, fix, key = problem
        yield Violation(
            f"{what}: a pilot without a recorded decision lingers in purgatory; {fix}",
            case.path,
            case.line_of(key) if key else OPENING_LINE,
        )


_NOTEBOOK_ROOTS = tuple(
    sorted(
        {
            package.split(".", 1)[0]
            for package in (
                *(p for tracker in _TRACKERS for p in tracker.packages),
                *_REPORTING_PACKAGES,
            )
        }
    )
)
