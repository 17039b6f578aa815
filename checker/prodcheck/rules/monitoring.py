"""Monitoring and operations: metrics to scrape, alerts that page, and a written response.

MON001 and MON002 read the service's Python code for metrics libraries and the metrics it
defines; MON003, MON004, MON006 and OPS001 share one parse of the alert rule files (Prometheus
rule files, PrometheusRule resources, Grafana alert provisioning); MON005 looks for a
dashboard, MON006 for drift monitoring, OPS002 for written service level objectives.

Every fact is found the cheap way first: a byte prefilter (`Snapshot.files_with`) picks the
few candidate files, only those are parsed, and each shared fact is computed once per audit
through `Snapshot.memo`.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._facts import (
    dotted_name,
    imported_modules,
    imports_any,
    is_docs_path,
    is_test_path,
    python_files_containing,
    string_value,
)
from prodcheck.rules._patterns import lazy, lazy_dataclass
from prodcheck.snapshot import Problem, Snapshot, YamlDocument, parse_yaml

YAML_SUFFIXES = (".yml", ".yaml")
RULE_FILE_SUFFIXES = (*YAML_SUFFIXES, ".rules")
MARKDOWN_SUFFIXES = (".md", ".markdown", ".rst", ".adoc", ".txt")

# -- small shared helpers (candidates for _facts) --------------------------------------------

_WORD = lazy(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_VENDORED = frozenset({"vendor", "vendored", "third_party", "third-party", "node_modules"})


def words(text: str) -> set[str]:
    """The lower-case words of a name or a sentence: `HighErrorRate` and
    `http_request_duration_seconds` alike."""
    return {word.lower() for word in _WORD().findall(text)}


def _directories(path: str) -> list[str]:
    return path.split("/")[:-1]


def _stem(path: str) -> str:
    """The lower-case file name without its last suffix (plain string work: it runs on many
    files)."""
    name = path.rpartition("/")[2].lower()
    return name.rpartition(".")[0] or name


def _is_product_file(path: str) -> bool:
    """Not a test, documentation or vendored third-party file."""
    if is_test_path(path) or is_docs_path(path):
        return False
    return _VENDORED.isdisjoint(_directories(path))


def _markdown_files(repo: Snapshot) -> list[str]:
    """Every Markdown (or plain text) file, listed once per audit."""
    return repo.memo(_list_markdown)


def _list_markdown(repo: Snapshot) -> list[str]:
    return [f.path for f in repo.with_suffix(*MARKDOWN_SUFFIXES)]


def _listed(items: Iterable[str], limit: int = 3) -> str:
    """`a`, `b` and `c` (and 2 more)."""
    shown = list(dict.fromkeys(items))
    quoted = [f"`{item}`" for item in shown[:limit]]
    if len(shown) > limit:
        return ", ".join(quoted) + f" and {len(shown) - limit} more"
    if len(quoted) > 1:
        return ", ".join(quoted[:-1]) + " and " + quoted[-1]
    return quoted[0] if quoted else ""


# -- Python: what a module imports, references and calls -------------------------------------


@lazy_dataclass(frozen=True)
class _Call:
    qualified: str | None
    """The imported name the call resolves to (`prometheus_client.Counter`), if any."""
    attribute: str | None
    """The last name of `x.y.z(...)`, for method calls on objects (`meter.create_counter`)."""
    node: ast.Call


@lazy_dataclass(frozen=True)
class _Code:
    """One parsed module, reduced to what the metrics rules ask of it."""

    path: str
    imports: frozenset[str]
    references: Mapping[str, int]
    """Every imported name the code uses (qualified), with the line of its first use."""
    calls: tuple[_Call, ...]
    constants: Mapping[str, str]
    """Module-level `NAME = "text"` assignments, so `Counter(PREDICTIONS, ...)` can be read."""


def _aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> what it names (`np` -> `numpy`, `Counter` -> `prometheus_client.Counter`)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    names[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if alias.name != "*":
                    names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _qualify(node: ast.AST, aliases: Mapping[str, str]) -> str | None:
    dotted = dotted_name(node)
    if dotted is None:
        return None
    head, _, rest = dotted.partition(".")
    base = aliases.get(head)
    if base is None:
        return None
    return f"{base}.{rest}" if rest else base


def _code(repo: Snapshot, path: str) -> _Code | None:
    """The module at `path` summarised once per audit; None when it does not parse."""
    return repo.memo(_summarise, path)


def _summarise(repo: Snapshot, path: str) -> _Code | None:
    tree = repo.python(path)
    if tree is None:
        return None
    aliases = _aliases(tree)
    references: dict[str, int] = {}
    calls: list[_Call] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            qualified = _qualify(node, aliases)
            if qualified is not None:
                line = getattr(node, "lineno", 0)
                if qualified not in references or line < references[qualified]:
                    references[qualified] = line
        elif isinstance(node, ast.Call):
            attribute = node.func.attr if isinstance(node.func, ast.Attribute) else None
            calls.append(_Call(_qualify(node.func, aliases), attribute, node))
    constants: dict[str, str] = {}
    for statement in tree.body:
        if isinstance(statement, ast.Assign | ast.AnnAssign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            value = string_value(statement.value) if statement.value is not None else None
            for target in targets:
                if isinstance(target, ast.Name) and value is not None:
                    constants[target.id] = value
    return _Code(
        path,
        frozenset(imported_modules(tree)),
        references,
        tuple(calls),
        constants,
    )


def _codes(repo: Snapshot, paths: Iterable[str]) -> list[_Code]:
    return [code for path in sorted(set(paths)) if (code := _code(repo, path)) is not None]


def importing(repo: Snapshot, needles: tuple[bytes, ...], packages: tuple[str, ...]) -> list[str]:
    """Non-test modules importing any of `packages`, found with a few shared `needles`.

    A family of packages shares a stem (`rometheus` finds `prometheus_client` and
    `PrometheusMiddleware` alike), and all the needles are searched in one pass over the
    Python files; a candidate is parsed only when its bytes also name one of the packages.
    """
    return repo.memo(_importing_now, needles, packages)


def _importing_now(
    repo: Snapshot, needles: tuple[bytes, ...], packages: tuple[str, ...]
) -> list[str]:
    heads = {package.split(".")[0].encode() for package in packages}
    found = []
    for path in python_files_containing(repo, needles):  # one pass for all the needles
        if is_test_path(path):
            continue
        if not any(head in (repo.read_bytes(path) or b"") for head in heads):
            continue
        tree = repo.python(path)
        if tree is not None and imports_any(tree, packages):
            found.append(path)
    return found


def _under(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in packages)


_KEYWORD_ONLY = 1_000
"""A position no call reaches: `_argument(call, _KEYWORD_ONLY, "path")` reads a keyword only."""


def _argument(call: ast.Call, position: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if position < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args):
        return call.args[position]
    return None


def _text_of(node: ast.expr | None, constants: Mapping[str, str]) -> str | None:
    """A string argument: a literal, the literal parts of an f-string, or a module constant."""
    if node is None:
        return None
    value = string_value(node)
    if value is not None:
        return value
    if isinstance(node, ast.JoinedStr):
        parts = [string_value(part) for part in node.values]
        text = "_".join(part for part in parts if part)
        return text or None
    if isinstance(node, ast.Name):
        return constants.get(node.id)
    return None


# -- MON001 and MON002: metrics in the service's code ----------------------------------------

_PROMETHEUS = "prometheus_client"
_PROMETHEUS_EXPOSERS = frozenset(
    {"make_asgi_app", "make_wsgi_app", "start_http_server", "start_wsgi_server",
     "generate_latest", "push_to_gateway", "pushadd_to_gateway", "write_to_textfile",
     "MetricsHandler", "MetricsResource"}
)  # fmt: skip
_PROMETHEUS_TYPES = frozenset({"Counter", "Gauge", "Histogram", "Summary", "Info", "Enum"})
_FLASK_EXPORTERS = frozenset(
    {"PrometheusMetrics", "GunicornPrometheusMetrics", "GunicornInternalPrometheusMetrics",
     "UWsgiPrometheusMetrics", "RESTfulPrometheusMetrics", "ConnexionPrometheusMetrics"}
)  # fmt: skip
_FLASK_METRIC_METHODS = frozenset({"counter", "gauge", "histogram", "summary", "info"})
_OTEL_INSTRUMENTS = frozenset(
    {"create_counter", "create_histogram", "create_up_down_counter", "create_gauge",
     "create_observable_counter", "create_observable_gauge",
     "create_observable_up_down_counter"}
)  # fmt: skip
_METRIC_PACKAGES = (
    _PROMETHEUS,
    "prometheus_fastapi_instrumentator",
    "starlette_exporter",
    "starlette_prometheus",
    "prometheus_flask_exporter",
    "aioprometheus",
    "opentelemetry",
    "litestar",
    "django_prometheus",
    "bentoml",
    "mlserver",
    "kserve",
    "ray.serve",
)
_METRIC_NEEDLES = (b"rometheus", b"opentelemetry", b"bentoml", b"serve")
"""Stems shared by the packages above: `serve` finds mlserver, kserve and Ray Serve."""
_MISSING_EXPOSURE = {
    "prometheus-client": " (no `make_asgi_app`, `start_http_server` or `generate_latest` behind "
    "a `/metrics` route)",
    "OpenTelemetry": " (no Prometheus or OTLP metric exporter)",
}
_SERVING_KINDS = frozenset({"InferenceService", "SeldonDeployment"})
"""Kubernetes resources whose model servers export Prometheus metrics by default."""
_HTTP_ONLY_LIBRARIES = {
    "prometheus-fastapi-instrumentator": ("http_requests_total", "http_request_duration_seconds"),
    "starlette-exporter": ("starlette_requests_total", "starlette_request_duration_seconds"),
    "starlette-prometheus": ("starlette_requests_total", "starlette_request_duration_seconds"),
    "prometheus-flask-exporter": (
        "flask_http_request_total",
        "flask_http_request_duration_seconds",
    ),
    "django-prometheus": ("django_http_requests_total_by_method",),
    "Litestar's Prometheus plugin": ("litestar_requests_total",),
    "OpenTelemetry": ("http.server.duration",),
}


@lazy_dataclass(frozen=True)
class Exposure:
    """Where metrics leave the process: a scrape endpoint, a push, a built-in server."""

    library: str
    path: str
    line: int | None = None
    model_level: bool = False
    """True for model servers whose built-in metrics count inferences per model."""


@lazy_dataclass(frozen=True)
class Metric:
    """A metric defined in code: its name (as far as literals tell) and description."""

    name: str
    description: str
    path: str
    line: int
    library: str
    partial: bool = False
    """Part of the name is computed (`f"{prefix}_total"`): the name shows only its literals."""


@lazy_dataclass(frozen=True)
class _Unexposed:
    path: str
    line: int | None
    what: str


@lazy_dataclass
class MetricsFacts:
    exposures: list[Exposure] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    unexposed: list[_Unexposed] = field(default_factory=list)
    unnamed: int = 0
    """Metrics created with a name no literal gives (`Counter(name, ...)` in a factory)."""


def metrics_facts(repo: Snapshot) -> MetricsFacts:
    """What the service's code exposes and defines, computed once per audit."""
    return repo.memo(_metrics_facts)


def _metrics_facts(repo: Snapshot) -> MetricsFacts:
    facts = MetricsFacts()
    codes = _codes(repo, importing(repo, _METRIC_NEEDLES, _METRIC_PACKAGES))
    expose_calls = _expose_calls(repo) if _uses(codes, "prometheus_fastapi_instrumentator") else []
    for code in codes:
        _read_exposures(code, facts, expose_calls)
        for metric in _defined_metrics(code):
            if metric.name:
                facts.metrics.append(metric)
            if not metric.name or (metric.partial and not is_model_metric(metric)):
                facts.unnamed += 1
    for file in repo.files_with(b"rometheus", ".py"):
        if is_test_path(file.path) or b"django_prometheus.urls" not in (
            repo.read_bytes(file.path) or b""
        ):
            continue
        django = _code(repo, file.path)
        for call in django.calls if django is not None else ():
            if (dotted_name(call.node.func) or "").rsplit(".", 1)[-1] == "include" and (
                _text_of(_argument(call.node, 0, "arg"), {}) == "django_prometheus.urls"
            ):
                facts.exposures.append(Exposure("django-prometheus", file.path, call.node.lineno))
    facts.exposures.extend(_serving_configs(repo))
    facts.exposures.extend(_auto_instrumented(repo))
    return facts


def _uses(codes: Iterable[_Code], package: str) -> bool:
    return any(_under(name, package) for code in codes for name in code.imports)


def _expose_calls(repo: Snapshot) -> list[tuple[str, int]]:
    """Every `<x>.expose(...)` call in non-test code: the instrumentator may be created in one
    module and exposed in another that never imports it."""
    found: list[tuple[str, int]] = []
    for file in repo.files_with(b".expose(", ".py"):
        if is_test_path(file.path) or (code := _code(repo, file.path)) is None:
            continue
        found.extend((code.path, c.node.lineno) for c in code.calls if c.attribute == "expose")
    return found


def _first_reference(code: _Code, predicate: Callable[[str], bool]) -> int | None:
    lines = [line for name, line in code.references.items() if predicate(name)]
    return min(lines) if lines else None


def _read_exposures(code: _Code, facts: MetricsFacts, expose_calls: list[tuple[str, int]]) -> None:
    """Record how `code` exposes metrics, or what it sets up without exposing."""
    imports = code.imports

    def add(library: str, line: int | None, *, model_level: bool = False) -> None:
        facts.exposures.append(Exposure(library, code.path, line, model_level))

    if any(_under(name, _PROMETHEUS) for name in imports):
        line = _first_reference(
            code,
            lambda n: _under(n, _PROMETHEUS) and n.rsplit(".", 1)[-1] in _PROMETHEUS_EXPOSERS,
        )
        if line is not None:
            add("prometheus-client", line)
    if any(_under(name, "prometheus_fastapi_instrumentator") for name in imports):
        line = _first_reference(code, lambda n: _under(n, "prometheus_fastapi_instrumentator"))
        if expose_calls:
            path, expose_line = expose_calls[0]
            facts.exposures.append(Exposure("prometheus-fastapi-instrumentator", path, expose_line))
        else:
            facts.unexposed.append(
                _Unexposed(
                    code.path,
                    line,
                    "instruments the app with prometheus-fastapi-instrumentator but never "
                    "calls `.expose(app)`, so there is no `/metrics` route to scrape",
                )
            )
    if any(_under(name, "starlette_exporter") for name in imports):
        line = _first_reference(
            code, lambda n: n.rsplit(".", 1)[-1] in ("handle_metrics", "handle_openmetrics")
        )
        if line is not None:
            add("starlette-exporter", line)
        else:
            facts.unexposed.append(
                _Unexposed(
                    code.path,
                    _first_reference(code, lambda n: _under(n, "starlette_exporter")),
                    "adds starlette-exporter's middleware but routes no `/metrics` to "
                    "`handle_metrics`, so there is nothing to scrape",
                )
            )
    if "starlette_prometheus.metrics" in imports or "starlette_prometheus.metrics" in (
        code.references
    ):
        add("starlette-prometheus", _first_reference(code, lambda n: n.endswith(".metrics")))
    if any(_under(name, "prometheus_flask_exporter") for name in imports):
        _flask_exposure(code, facts)
    if any(_under(name, "aioprometheus") for name in imports):
        line = _first_reference(
            code,
            lambda n: (
                _under(n, "aioprometheus")
                and n.rsplit(".", 1)[-1] in ("metrics", "render", "Service")
            ),
        )
        if line is not None:
            add("aioprometheus", line)
    line = _first_reference(code, lambda n: n.rsplit(".", 1)[-1] == "PrometheusController")
    if line is not None and any(_under(name, "litestar") for name in imports):
        add("Litestar's Prometheus plugin", line)
    if any(_under(n, "django_prometheus.exports") for n in code.references):
        add("django-prometheus", None)
    if any(
        _under(name, "opentelemetry.exporter.prometheus")
        or _under(name, "opentelemetry.exporter.prometheus_remote_write")
        or (_under(name, "opentelemetry.exporter.otlp") and "metric" in name.lower())
        for name in imports
    ):
        add("OpenTelemetry", None)
    if any(_under(n, "bentoml.service", "bentoml.Service", "bentoml.api") for n in code.references):
        add("BentoML", None, model_level=True)
    if any(_under(name, "mlserver") for name in imports):
        add("MLServer", None, model_level=True)
    if any(_under(name, "kserve") for name in imports):
        add("KServe", None, model_level=True)
    if any(_under(name, "ray.serve") for name in imports):
        add("Ray Serve", None, model_level=True)


def _flask_exposure(code: _Code, facts: MetricsFacts) -> None:
    """`PrometheusMetrics(app)` serves /metrics, unless created with `path=None` and never
    given an endpoint or a server of its own."""
    created = [
        c
        for c in code.calls
        if (c.qualified and c.qualified.rsplit(".", 1)[-1] in _FLASK_EXPORTERS)
        or c.attribute == "for_app_factory"
    ]
    served_apart = any(
        c.attribute in ("register_endpoint", "start_http_server") for c in code.calls
    )
    for call in created:
        path = _argument(call.node, _KEYWORD_ONLY, "path")
        if served_apart or not (isinstance(path, ast.Constant) and path.value is None):
            facts.exposures.append(
                Exposure("prometheus-flask-exporter", code.path, call.node.lineno)
            )
            return
    if created:
        facts.unexposed.append(
            _Unexposed(
                code.path,
                created[0].node.lineno,
                "creates prometheus-flask-exporter's metrics with `path=None` and never "
                "registers an endpoint, so there is nothing to scrape",
            )
        )


def _defined_metrics(code: _Code) -> Iterator[Metric]:
    """Metric objects the module creates, from the constructors of the common libraries."""
    imports = code.imports
    flask = any(_under(name, "prometheus_flask_exporter") for name in imports)
    otel = any(_under(name, "opentelemetry") for name in imports)
    for call in code.calls:
        qualified, node = call.qualified, call.node
        library = None
        name_at, description_at = (0, "name"), (1, "documentation")
        if qualified and qualified.rsplit(".", 1)[-1] in _PROMETHEUS_TYPES:
            if _under(qualified, _PROMETHEUS):
                library = "prometheus-client"
            elif _under(qualified, "aioprometheus"):
                library, description_at = "aioprometheus", (1, "doc")
            elif _under(qualified, "bentoml.metrics"):
                library = "BentoML"
        elif otel and call.attribute in _OTEL_INSTRUMENTS:
            library, description_at = "OpenTelemetry", (2, "description")
        elif flask and call.attribute in _FLASK_METRIC_METHODS:
            library, description_at = "prometheus-flask-exporter", (1, "description")
        if library is None:
            continue
        name_node = _argument(node, *name_at)
        name = _text_of(name_node, code.constants)
        if name is None:
            yield Metric("", "", code.path, node.lineno, library)
            continue
        partial = isinstance(name_node, ast.JoinedStr) and any(
            isinstance(part, ast.FormattedValue) for part in name_node.values
        )
        prefix = [
            text
            for keyword in ("namespace", "subsystem")
            if (text := _text_of(_argument(node, _KEYWORD_ONLY, keyword), code.constants))
        ]
        description = _text_of(_argument(node, *description_at), code.constants) or ""
        yield Metric(
            "_".join([*prefix, name]), description, code.path, node.lineno, library, partial
        )


def _serving_configs(repo: Snapshot) -> Iterator[Exposure]:
    """MLServer model settings and KServe/Seldon resources: their servers export metrics."""
    for file in repo.with_suffix("model-settings.json"):
        if _is_product_file(file.path):
            yield Exposure("MLServer", file.path, model_level=True)
    for needle in (b"InferenceService", b"SeldonDeployment"):
        for file in repo.files_with(needle, *YAML_SUFFIXES):
            if not _is_product_file(file.path):
                continue
            for document in _documents(repo, file.path):
                if isinstance(document.data, dict) and document.data.get("kind") in _SERVING_KINDS:
                    kind = document.data["kind"]
                    server = "KServe" if kind == "InferenceService" else "Seldon Core"
                    yield Exposure(server, file.path, document.line_of("kind"), model_level=True)
                    break


def _auto_instrumented(repo: Snapshot) -> Iterator[Exposure]:
    """`opentelemetry-instrument` starting the service: it exports metrics over OTLP by default."""
    needle = b"opentelemetry-instrument"
    for file in repo.files_with(needle, "Dockerfile", "Containerfile", ".dockerfile"):
        if not _is_product_file(file.path):
            continue
        line = _dockerfile_command_line(repo, file.path, "opentelemetry-instrument")
        if line is not None:
            yield Exposure("OpenTelemetry", file.path, line)
    for file in repo.files_with(needle, *YAML_SUFFIXES):
        if not _is_product_file(file.path):
            continue
        for document in _documents(repo, file.path):
            keys = _command_mentioning(document.data, "opentelemetry-instrument")
            if keys is not None:
                yield Exposure("OpenTelemetry", file.path, document.line_of(*keys))
                break


def _dockerfile_command_line(repo: Snapshot, path: str, word: str) -> int | None:
    """The line of the `CMD` or `ENTRYPOINT` that runs `word`; None when none does."""
    data = repo.read_bytes(path)
    if data is None:
        return None
    import io

    from dockerfile_parse import DockerfileParser

    try:
        structure = DockerfileParser(fileobj=io.BytesIO(data)).structure
    except Exception:  # a Dockerfile it cannot read: the container rules say so
        return None
    for instruction in structure:
        if instruction.get("instruction") in ("CMD", "ENTRYPOINT") and word in str(
            instruction.get("value", "")
        ):
            return int(instruction.get("startline", 0)) + 1
    return None


def _command_mentioning(data: Any, word: str) -> tuple[str | int, ...] | None:
    """The key path of a `command`, `args` or `entrypoint` (compose, Kubernetes) running `word`."""
    for keys, value in _walk(data):
        if keys and keys[-1] in ("command", "args", "entrypoint"):
            texts = value if isinstance(value, list) else [value]
            if any(isinstance(text, str) and word in text for text in texts):
                return keys
    return None


def _walk(data: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every (key path, value) of a YAML structure, once each even with aliases or cycles."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    seen: set[int] = set()
    while stack:
        keys, node = stack.pop()
        if isinstance(node, dict | list):
            if id(node) in seen:
                continue
            seen.add(id(node))
        yield keys, node
        if isinstance(node, dict):
            items = [(k if isinstance(k, str | int) else str(k), v) for k, v in node.items()]
            stack.extend(((*keys, k), v) for k, v in reversed(items))
        elif isinstance(node, list):
            stack.extend(((*keys, i), v) for i, v in reversed(list(enumerate(node))))


# -- MON002: which metrics are about the model -----------------------------------------------

_MODEL_WORDS = frozenset(
    {"prediction", "predictions", "predict", "predicted", "predictor", "inference",
     "inferences", "infer", "drift", "psi", "feature", "features", "confidence",
     "probability", "proba", "score", "scores", "outlier", "outliers"}
)  # fmt: skip
_MODEL_METADATA = frozenset(
    {"model", "models", "info", "version", "versions", "build", "loaded", "load", "loads",
     "loading", "reload", "reloads", "up", "ready", "timestamp", "last", "age", "start",
     "started", "created", "name", "hash", "total", "count", "seconds", "bytes", "size"}
)  # fmt: skip


def is_model_metric(metric: Metric) -> bool:
    """About predictions, inference, inputs or drift, judging by the name and description.

    `model_*` counts when it measures something (`model_latency_seconds`), not when it only
    describes the model (`model_info`, `model_version`, `model_load_total`).
    """
    name = words(metric.name)
    if name & _MODEL_WORDS:
        return True
    if "model" in name and name - _MODEL_METADATA:
        return True
    return bool(words(metric.description) & _MODEL_WORDS)


# -- alert rules: MON003, MON004, MON006 and OPS001 share one parse --------------------------

_TEMPLATED = "TEMPLATED"
"""What a Helm template action (`{{ .Release.Name }}`) reads as, so the YAML around it parses."""
_TEMPLATE_ACTION = lazy(r"\{\{.*?\}\}")
_DOCUMENT_START = lazy(r"---(?:[ \t]|$)")


@lazy_dataclass(frozen=True)
class AlertRule:
    """An alerting (or recording) rule, with the file line of its name."""

    name: str
    expr: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    path: str
    line: int | None
    recording: bool = False

    @property
    def text(self) -> str:
        """Name, expression, labels and annotations: what says what the alert is about."""
        described = [
            value
            for key, value in [*self.labels.items(), *self.annotations.items()]
            if not key.endswith("_url") and not value.startswith(("http://", "https://"))
        ]
        return " ".join([self.name, self.expr, *described])


@lazy_dataclass(frozen=True)
class RuleFile:
    path: str
    line: int | None
    """The line of its first `groups:` (or `rules:`) key: where findings about the file point."""
    alerts: tuple[AlertRule, ...]
    records: tuple[AlertRule, ...]
    promtool: bool
    """A plain Prometheus rule file, which `promtool test rules` can load as it is."""


def _documents(repo: Snapshot, path: str) -> list[YamlDocument]:
    """Every YAML document of a file, each with the file lines of its keys."""
    return repo.memo(_documents_now, path)


def _is_helm_template(path: str, text: str) -> bool:
    return "{{" in text and "templates" in _directories(path)


def _documents_now(repo: Snapshot, path: str) -> list[YamlDocument]:
    text = repo.text(path)
    if text is None:
        return []
    templated = _is_helm_template(path, text)
    if templated:
        text = _untemplated(text)
    documents = _split_documents(text)
    if any(d.error is not None for d in documents) and not templated:
        repo.yaml_documents(path)  # the snapshot reports the broken file (PC002) once
    return [d for d in documents if d.error is None]


def _untemplated(text: str) -> str:
    """A Helm template made parsable: control lines blanked (so line numbers stay), inline
    actions replaced by a placeholder word."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("{{") and not _TEMPLATE_ACTION().sub("", stripped).strip():
            lines.append("")
        else:
            lines.append(_TEMPLATE_ACTION().sub(_TEMPLATED, line))
    return "\n".join(lines)


def _split_documents(text: str) -> list[YamlDocument]:
    """Split a multi-document stream at its `---` lines and parse each with line numbers."""
    lines = text.splitlines()
    starts = [0] + [i for i, line in enumerate(lines) if i and _DOCUMENT_START().match(line)]
    bounds = zip(starts, [*starts[1:], len(lines)], strict=True)
    return [parse_yaml("\n".join(lines[a:b]), first_line=a + 1) for a, b in bounds]


def rule_files(repo: Snapshot) -> list[RuleFile]:
    """Every file that defines alerting or recording rules, parsed once per audit."""
    return repo.memo(_rule_files)


def alerts(repo: Snapshot) -> list[AlertRule]:
    return [alert for file in rule_files(repo) for alert in file.alerts]


def _rule_files(repo: Snapshot) -> list[RuleFile]:
    found = []
    for file in repo.files_with(b"rules:", *RULE_FILE_SUFFIXES):
        if not _is_product_file(file.path):
            continue
        documents = _documents(repo, file.path)
        alert_rules: list[AlertRule] = []
        records: list[AlertRule] = []
        lines: list[int] = []
        plain = len(documents) == 1 and not _is_helm_template(file.path, repo.text(file.path) or "")
        promtool = False
        for document in documents:
            top = document.data
            for keys, rules in _rule_lists(top):
                read = list(_read_rules(rules, keys, document, file.path))
                if not read:
                    continue
                grouped = len(keys) >= 3 and isinstance(keys[-2], int)
                line = document.line_of(*(keys[:-2] if grouped else keys))  # `groups:`
                lines += [line] if line is not None else []
                alert_rules += [r for r in read if not r.recording]
                records += [r for r in read if r.recording]
                promtool = promtool or (
                    plain
                    and keys[0] == "groups"
                    and isinstance(top, dict)
                    and "kind" not in top
                    and "apiVersion" not in top
                )
        if alert_rules or records:
            alert_rules.sort(key=lambda r: r.line or 0)
            found.append(
                RuleFile(
                    file.path,
                    min(lines, default=None),
                    tuple(alert_rules),
                    tuple(records),
                    promtool,
                )
            )
    return found


def _rule_lists(data: Any) -> Iterator[tuple[tuple[str | int, ...], list[Any]]]:
    """Every list under a `rules` key: in `groups` of a rule file, a PrometheusRule's `spec`,
    a Helm chart's values, or Grafana's alert provisioning."""
    for keys, value in _walk(data):
        if keys and keys[-1] == "rules" and isinstance(value, list):
            yield keys, value


def _read_rules(
    rules: list[Any], keys: tuple[str | int, ...], document: YamlDocument, path: str
) -> Iterator[AlertRule]:
    for index, item in enumerate(rules):
        if not isinstance(item, dict):
            continue
        at = (*keys, index)
        labels = _strings(item.get("labels"))
        annotations = _strings(item.get("annotations"))
        if isinstance(item.get("alert"), str) and "expr" in item:
            name, expr, recording = item["alert"], _scalar(item.get("expr")), False
            line = document.line_of(*at, "alert")
        elif isinstance(item.get("record"), str) and "expr" in item:
            name, expr, recording = item["record"], _scalar(item.get("expr")), True
            line = document.line_of(*at, "record")
        elif isinstance(item.get("title"), str) and "condition" in item and "data" in item:
            name, expr, recording = item["title"], _grafana_expr(item["data"]), False
            line = document.line_of(*at, "title")
        else:
            continue
        name = name.replace(_TEMPLATED, "").strip()
        if name:
            yield AlertRule(name, expr, labels, annotations, path, line, recording)


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): _scalar(v) for k, v in value.items() if _scalar(v)}


def _grafana_expr(data: Any) -> str:
    """The queries of a Grafana-managed alert (`data[].model.expr`), joined."""
    queries = data if isinstance(data, list) else []
    exprs = [
        _scalar(q["model"].get("expr"))
        for q in queries
        if isinstance(q, dict) and isinstance(q.get("model"), dict)
    ]
    return " ".join(e for e in exprs if e) or "grafana"


# -- MON003: which alerts cover errors, latency and the model --------------------------------

_ERROR_WORDS = frozenset(
    {"error", "errors", "errored", "fail", "failed", "failure", "failures", "failing",
     "exception", "exceptions"}
)  # fmt: skip
_LATENCY_WORDS = frozenset(
    {"latency", "latencies", "duration", "durations", "slow", "slowness", "quantile",
     "percentile", "apdex"}
)  # fmt: skip
_ALERT_MODEL_WORDS = frozenset(
    {"model", "models", "prediction", "predictions", "predict", "predicted", "inference",
     "inferences", "infer", "drift", "psi", "ready", "readiness"}
)  # fmt: skip
_SERVER_ERRORS = lazy(r"5xx|5\.\.|5\[0-9\]|\"5\d\d\"|=~?\s*\"5")
_PERCENTILE = lazy(r"\bp(?:50|75|90|95|99|999)\b")


@lazy_dataclass(frozen=True)
class _Coverage:
    key: str
    what: str
    why: str


COVERAGE = (
    _Coverage(
        "errors",
        "errors (an alert on the error rate or 5xx responses)",
        "a service that answers every request with an error would page nobody",
    ),
    _Coverage(
        "latency",
        "latency (an alert on request or inference duration, such as p99 over its target)",
        "a service that slows to a crawl would page nobody",
    ),
    _Coverage(
        "model",
        "the model (an alert on predictions, drift or model readiness)",
        "a service that is up but serves no predictions, or drifting ones, would page nobody",
    ),
)


def covers(alert: AlertRule) -> set[str]:
    """Which of errors, latency and the model an alert watches, by its name, expression,
    labels and annotations."""
    text = alert.text
    lowered = text.lower()
    found = words(text)
    covered = set()
    if found & _ERROR_WORDS or _SERVER_ERRORS().search(lowered):
        covered.add("errors")
    if found & _LATENCY_WORDS or _PERCENTILE().search(lowered) or "response_time" in lowered:
        covered.add("latency")
    if found & _ALERT_MODEL_WORDS:
        covered.add("model")
    return covered


# -- MON004: promtool tests ------------------------------------------------------------------


def _promtool_tests(repo: Snapshot) -> list[tuple[str, list[str]]]:
    """Each promtool test file (`rule_files:` and `tests:`) with the rule files it names."""
    found = []
    for file in repo.files_with(b"rule_files", *YAML_SUFFIXES):
        data = repo.yaml(file.path)
        if not isinstance(data, dict):
            continue
        names, tests = data.get("rule_files"), data.get("tests")
        if isinstance(names, list) and isinstance(tests, list) and tests:
            found.append((file.path, [n for n in names if isinstance(n, str) and n.strip()]))
    return found


def _refers_to(test_path: str, name: str, rule_path: str) -> bool:
    """Whether a `rule_files` entry of a test file names a rule file: relative to the test
    file as promtool resolves it, or to the repository root; globs allowed; an absolute path
    (inside a container) by its file name."""
    name = name.strip()
    if name.startswith("/"):
        tail = PurePosixPath(name).name
        return fnmatch.fnmatchcase(PurePosixPath(rule_path).name, tail)
    base = posixpath.dirname(test_path)
    for root in (base, ""):
        pattern = posixpath.normpath(posixpath.join(root, name))
        if fnmatch.fnmatchcase(rule_path, pattern):
            return True
    return False


# -- OPS001: runbooks ------------------------------------------------------------------------

_HEADING = lazy(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = lazy(r"^\s*(```|~~~)")
_PLACEHOLDER_URL = lazy(r"example\.(?:com|org|net)|\bTODO\b|\bTBD\b|<[^>]*>", re.IGNORECASE)


@lazy_dataclass(frozen=True)
class Section:
    heading: str
    level: int
    line: int
    lines: tuple[tuple[int, str], ...]
    """(file line, text) of the section's body, nested subsections included."""


def markdown_sections(text: str) -> list[Section]:
    """The sections of a Markdown text; code fences are not headings. Text before the first
    heading is a section with an empty heading at level 0."""
    headings: list[tuple[int, int, str]] = [(0, 0, "")]
    body: list[tuple[int, str]] = []
    in_fence = False
    for number, text_line in enumerate(text.splitlines(), 1):
        if _FENCE().match(text_line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING().match(text_line)
        if match:
            headings.append((number, len(match.group(1)), match.group(2)))
        body.append((number, text_line))
    sections = []
    for index, (line, level, heading) in enumerate(headings):
        end = next(
            (n for n, lvl, _ in headings[index + 1 :] if level and lvl <= level),
            len(body) + 1,
        )
        if not level:
            end = headings[1][0] if len(headings) > 1 else len(body) + 1
        sections.append(
            Section(heading, level, line, tuple((n, t) for n, t in body if line < n < end))
        )
    return sections


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _squashed(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def runbook_files(repo: Snapshot) -> list[str]:
    """The runbooks: files named `runbook*` (Markdown or text), or any Markdown file in a
    `runbook`/`runbooks` directory; tests excluded, documentation included."""
    return repo.memo(_runbook_files)


def _runbook_files(repo: Snapshot) -> list[str]:
    found = []
    for path in _markdown_files(repo):
        directories = _directories(path.lower())
        named = _stem(path).startswith("runbook")
        if not named and "runbook" not in directories and "runbooks" not in directories:
            continue
        if not is_test_path(path) and _VENDORED.isdisjoint(directories):
            found.append(path)
    return found


@lazy_dataclass(frozen=True)
class _Runbook:
    path: str
    text: str
    slugs: frozenset[str]
    headings: frozenset[str]


def _runbooks(repo: Snapshot) -> list[_Runbook]:
    return repo.memo(_read_runbooks)


def _read_runbooks(repo: Snapshot) -> list[_Runbook]:
    books = []
    for path in runbook_files(repo):
        text = repo.text(path)
        if text is None:
            continue
        headings = [s.heading for s in markdown_sections(text) if s.level]
        books.append(
            _Runbook(
                path,
                text,
                frozenset(_slug(h) for h in headings),
                frozenset(_squashed(h) for h in headings),
            )
        )
    return books


def _names(book: _Runbook, alert: str) -> bool:
    """The alert's name is in the runbook: as a word anywhere (any case), or as a heading
    however spaced (`## High error rate` for `HighErrorRate`)."""
    pattern = rf"(?<![A-Za-z0-9_]){re.escape(alert)}(?![A-Za-z0-9_])"
    return (
        re.search(pattern, book.text, re.IGNORECASE) is not None
        or _squashed(alert) in book.headings
    )


def _where(alert: AlertRule) -> str:
    return f"`{alert.path}` line {alert.line}" if alert.line else f"`{alert.path}`"


def _runbook_url_verdict(
    repo: Snapshot, alert: AlertRule, books: list[_Runbook]
) -> tuple[bool, str | None]:
    """(covered, why not) for the alert's `runbook_url` annotation.

    A URL to a runbook outside the repository (a wiki) counts; a URL to a file of the
    repository counts when that file exists and, for a runbook, its anchor is a heading.
    """
    url = alert.annotations.get("runbook_url", "").strip()
    if not url or _PLACEHOLDER_URL().search(url):
        return False, None
    if _TEMPLATED in url:
        return True, None  # built by the Helm chart: it cannot be judged here
    parts = urlsplit(url)
    target = _repository_file(repo, parts.path, alert.path)
    if target is None:
        if parts.scheme in ("http", "https") and parts.netloc:
            return True, None  # the runbook lives outside the repository
        return False, f"its `runbook_url` points at `{url}`, which is not in the repository"
    book = next((b for b in books if b.path == target), None)
    if book is None:
        return True, None  # a page of its own for this alert
    anchor = parts.fragment.lower()
    if anchor and (anchor in book.slugs or _squashed(anchor) in book.headings):
        return True, None
    if anchor:
        return False, f"its `runbook_url` anchor `#{parts.fragment}` is not a heading of `{target}`"
    return False, None


def _repository_file(repo: Snapshot, url_path: str, rule_path: str) -> str | None:
    """The repository file a URL path names: a suffix of it (`.../blob/main/docs/runbook.md`),
    or a path relative to the rule file."""
    path = url_path.strip().lstrip("/")
    if not path:
        return None
    relative = posixpath.normpath(posixpath.join(posixpath.dirname(rule_path), path))
    if relative in repo:
        return relative
    parts = PurePosixPath(path).parts
    for start in range(len(parts)):
        candidate = "/".join(parts[start:])
        if candidate in repo:
            return candidate
    return None


# -- OPS002: service level objectives --------------------------------------------------------

_SLO_FILE_STEMS = frozenset(
    {"slo", "slos", "sli", "slis", "service-level-objectives", "service_level_objectives",
     "service-levels", "sla"}
)  # fmt: skip
_SLO_HEADING = lazy(r"\bSLOs?\b|\bservice[- ]level\s+(?:objectives?|targets?)\b", re.IGNORECASE)
_TIME_TARGET = lazy(
    r"(?<![\w.])\d+(?:\.\d+)?\s?(?:ms|msecs?|milliseconds?|s|secs?|seconds?)(?![\w])",
    re.IGNORECASE,
)
_PERCENT = lazy(r"(?<![\w.])(\d{1,3}(?:\.\d+)?)\s?(?:%|percent\b)", re.IGNORECASE)
_LATENCY_CONTEXT = lazy(
    r"latenc|\bp\d{2,3}\b|percentile|response[- ]time|duration|\bwithin\b|\bunder\b|respon",
    re.IGNORECASE,
)
_AVAILABILITY_CONTEXT = lazy(
    r"availab|uptime|succe|\berrors?\b|error[- ]rate|5xx|reliab|\bnines\b", re.IGNORECASE
)
_ERROR_BUDGET_CONTEXT = lazy(r"error|fail|5xx", re.IGNORECASE)
_SLO_SPEC_NEEDLES = (b"slo", b"pyrra")
"""`slo` finds OpenSLO, Sloth (`sloth.slok.dev`) and Sloth's older `slos:` files."""


@lazy_dataclass
class _SloEvidence:
    latency: bool = False
    availability: bool = False
    sources: list[tuple[str, int | None]] = field(default_factory=list)


def _judge_lines(lines: Iterable[tuple[str, str]], evidence: _SloEvidence) -> None:
    """Each (context, line): a latency target is a time with a latency context; an
    availability target a percentage from 90 to 100 with an availability context, or an
    error budget of at most 10% (`under 0.5% of requests fail`)."""
    for context, line in lines:
        around = f"{context} {line}"
        if _TIME_TARGET().search(line) and _LATENCY_CONTEXT().search(around):
            evidence.latency = True
        percents = [float(m.group(1)) for m in _PERCENT().finditer(line)]
        if (_AVAILABILITY_CONTEXT().search(around) and any(90 <= p <= 100 for p in percents)) or (
            _ERROR_BUDGET_CONTEXT().search(around) and any(0 < p <= 10 for p in percents)
        ):
            evidence.availability = True


def _slo_documents(repo: Snapshot) -> list[str]:
    return [
        path
        for path in _markdown_files(repo)
        if _stem(path) in _SLO_FILE_STEMS and not is_test_path(path)
    ]


def _slo_sections(repo: Snapshot) -> Iterator[tuple[str, Section]]:
    """SLO sections of the runbooks and READMEs."""
    readmes = [
        path for path in _markdown_files(repo) if _stem(path) == "readme" and _is_product_file(path)
    ]
    for path in sorted({*runbook_files(repo), *readmes}):
        text = repo.text(path)
        if text is None or not _SLO_HEADING().search(text):
            continue
        for section in markdown_sections(text):
            if section.level and _SLO_HEADING().search(section.heading):
                yield path, section


def _slo_specs(repo: Snapshot, evidence: _SloEvidence) -> None:
    """OpenSLO, Sloth and Pyrra specifications: each objective is a latency or an
    availability target, by what its indicator measures."""
    candidates = {f.path for n in _SLO_SPEC_NEEDLES for f in repo.files_with(n, *YAML_SUFFIXES)}
    for path in sorted(candidates):
        if not _is_product_file(path):
            continue
        for document in _documents(repo, path):
            for objective in _objectives(document.data):
                text = json.dumps(objective, default=str).lower()
                latency = (
                    "latency" in text or "duration" in text or "le=" in text or ("_bucket" in text)
                )
                if latency:
                    evidence.latency = True
                else:
                    evidence.availability = True
                evidence.sources.append((path, document.line_of()))


def _objectives(data: Any) -> list[Any]:
    if not isinstance(data, dict):
        return []
    version = str(data.get("apiVersion", ""))
    kind = data.get("kind")
    spec = data.get("spec")
    if version.startswith("openslo/") and kind == "SLO":
        return [spec if spec is not None else data]
    if version.startswith("pyrra.dev/") and kind == "ServiceLevelObjective":
        return [spec if spec is not None else data]
    if version.startswith("sloth.slok.dev/") and isinstance(spec, dict):
        data = spec
    elif str(data.get("version", "")) != "prometheus/v1":
        return []
    slos = data.get("slos")
    return list(slos) if isinstance(slos, list) else []


def slo_evidence(repo: Snapshot) -> _SloEvidence:
    evidence = _SloEvidence()
    for path in _slo_documents(repo):
        text = repo.text(path)
        if text is None:
            continue
        evidence.sources.append((path, None))
        whole = Section("", 0, 0, tuple(enumerate(text.splitlines(), 1)))
        _judge_lines(_with_subheadings(whole), evidence)
    for path, section in _slo_sections(repo):
        evidence.sources.append((path, section.line))
        _judge_lines(_with_subheadings(section), evidence)
    _slo_specs(repo, evidence)
    return evidence


def _with_subheadings(section: Section) -> Iterator[tuple[str, str]]:
    """The lines of a section, each with the nearest heading above it as context."""
    context = section.heading
    for _, line in section.lines:
        match = _HEADING().match(line)
        if match:
            context = match.group(2)
        else:
            yield context, line


# -- dashboards ------------------------------------------------------------------------------

_DASHBOARD_KEYS = frozenset({"title", "schemaVersion", "uid", "templating", "time", "version"})


def _is_dashboard(data: Any) -> bool:
    """A Grafana dashboard model, or the API's `{"dashboard": {...}}` wrapping of one: panels
    (or old-style rows of panels) and the keys every exported dashboard has."""
    if isinstance(data, dict) and isinstance(data.get("dashboard"), dict):
        data = data["dashboard"]
    if not isinstance(data, dict) or _DASHBOARD_KEYS.isdisjoint(data):
        return False
    panels = data.get("panels")
    rows = data.get("rows")
    has_panels = isinstance(panels, list) and any(isinstance(p, dict) for p in panels)
    has_rows = isinstance(rows, list) and any(
        isinstance(r, dict) and isinstance(r.get("panels"), list) and r["panels"] for r in rows
    )
    return has_panels or has_rows


def _dashboards(repo: Snapshot) -> Iterator[str]:
    """The files that define a dashboard, in any of the forms Grafana is fed."""
    for file in repo.files_with(b"panels", ".json"):
        if not _is_product_file(file.path):
            continue
        text = repo.text(file.path)
        try:
            data = json.loads(text or "")
        except (ValueError, RecursionError):
            lowered = file.path.lower()
            if "dashboard" in lowered or "grafana" in lowered:
                repo.report(
                    Problem.UNPARSABLE,
                    file.path,
                    f"`{file.path}` is not valid JSON, so it is no Grafana dashboard",
                )
            continue
        if _is_dashboard(data):
            yield file.path
    for needle in (b"providers", b"rafana"):
        for file in repo.files_with(needle, *YAML_SUFFIXES):
            if _is_product_file(file.path) and any(
                _is_dashboard_yaml(d.data) for d in _documents(repo, file.path)
            ):
                yield file.path
    for file in repo.files_with(b"grafonnet", ".jsonnet", ".libsonnet"):
        data = repo.read_bytes(file.path) or b""
        if _is_product_file(file.path) and b"dashboard.new" in data:
            yield file.path
    for file in repo.files_with(b"grafana_dashboard", ".tf"):
        if _is_product_file(file.path) and b'resource "grafana_dashboard"' in (
            repo.read_bytes(file.path) or b""
        ):
            yield file.path
    for file in repo.with_suffix(".dashboard.py"):  # grafanalib's convention
        if _is_product_file(file.path):
            yield file.path


def _is_dashboard_yaml(data: Any) -> bool:
    """Grafana provisioning (`apiVersion` with `providers`), a Grafana Operator dashboard, or a
    ConfigMap the Grafana sidecar loads (label `grafana_dashboard`)."""
    if not isinstance(data, dict):
        return False
    if "apiVersion" in data and isinstance(data.get("providers"), list) and data["providers"]:
        return True
    if data.get("kind") == "GrafanaDashboard":
        return True
    if data.get("kind") == "ConfigMap":
        metadata = data.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        return isinstance(labels, dict) and "grafana_dashboard" in labels and bool(data.get("data"))
    dashboards = data.get("dashboards")
    return "apiVersion" in data and isinstance(dashboards, dict | list) and bool(dashboards)


# -- MON006: drift ---------------------------------------------------------------------------

_DRIFT_PACKAGES = {
    "evidently": "Evidently",
    "whylogs": "whylogs",
    "nannyml": "NannyML",
    "alibi_detect": "alibi-detect",
    "frouros": "Frouros",
    "azureml.datadrift": "Azure ML data drift",
    "sagemaker.model_monitor": "SageMaker Model Monitor",
    "google.cloud.aiplatform.model_monitoring": "Vertex AI Model Monitoring",
    "river.drift": "river",
    "deepchecks": "deepchecks",
}
_DRIFT_NEEDLES = (b"rift", b"whylogs", b"nannyml", b"model_monitor")
"""`rift` finds `drift` and `Drift` (DataDriftPreset, KSDrift, FeatureDrift, river's drift)."""
_DRIFT_WORDS = frozenset({"drift", "psi", "divergence", "wasserstein"})


def _drift_monitor(repo: Snapshot) -> str | None:
    """Where drift is watched, as `what in path`; None when nowhere. The metrics and rule files
    other rules have already read come first; the drift libraries cost a scan."""
    for metric in metrics_facts(repo).metrics:
        if words(metric.name) & _DRIFT_WORDS:
            return f"the metric `{metric.name}` in `{metric.path}`"
    for file in rule_files(repo):
        for rule_ in (*file.alerts, *file.records):
            if words(f"{rule_.name} {rule_.expr}") & _DRIFT_WORDS:
                return f"the rule `{rule_.name}` in `{file.path}`"
    for path in importing(repo, _DRIFT_NEEDLES, tuple(_DRIFT_PACKAGES)):
        code = _code(repo, path)
        if code is None:
            continue
        for package, label in _DRIFT_PACKAGES.items():
            names = [n for n in [*code.imports, *code.references] if _under(n, package)]
            if package == "deepchecks":  # also a data-validation library: only its drift checks
                names = [n for n in names if "drift" in n.lower()]
            if names:
                return f"{label} in `{path}`"
    return None


# -- examples --------------------------------------------------------------------------------

_APP = "src/churn/service/app.py"
_BARE_APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.post("/v1/predict")
def predict(row: dict) -> dict:
    return {"prediction": 0.5}
"""
_METRICS_APP = """\
from fastapi import FastAPI
from prometheus_client import Counter, make_asgi_app

app = FastAPI()
app.mount("/metrics", make_asgi_app())
PREDICTIONS = Counter("model_predictions_total", "Predictions served, by predicted class")
"""
_INSTRUMENTED_APP = """\
from fastapi import FastAPI
from prometheus_fastapi_instrumentator import Instrumentator

app = FastAPI()
Instrumentator().instrument(app).expose(app)
"""
_ALERTS = "monitoring/alerts.yml"


def _alert_file(*names: str) -> str:
    exprs = {
        "HighErrorRate": 'sum(rate(http_requests_total{status=~"5.."}[5m])) > 0.05',
        "HighLatency": "histogram_quantile(0.99, rate(http_request_duration_seconds_bucket[5m]))"
        " > 0.5",
        "PredictionDrift": "max(model_feature_drift_psi) > 0.2",
        "ServiceDown": 'up{job="churn"} == 0',
    }
    rules = "".join(
        f"      - alert: {name}\n        expr: '{exprs[name]}'\n        for: 5m\n" for name in names
    )
    return f"groups:\n  - name: churn\n    rules:\n{rules}"


_ALL_ALERTS = _alert_file("HighErrorRate", "HighLatency", "PredictionDrift")
_RUNBOOK = """\
# Runbook: churn model service

## HighErrorRate
Check the service logs for the failing request ids; roll back the last release if it is new.

## HighLatency
Check CPU throttling and the batch sizes clients send; scale out.

## PredictionDrift
Compare this week's input distribution with the training data; retrain if the shift is real.
"""
_PROMTOOL_TEST = """\
rule_files:
  - alerts.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'model_feature_drift_psi{feature="tenure"}'
        values: '0.5x10'
    alert_rule_test:
      - eval_time: 10m
        alertname: PredictionDrift
        exp_alerts:
          - exp_labels: {}
"""
_DASHBOARD = json.dumps(
    {
        "title": "Churn model",
        "schemaVersion": 39,
        "panels": [{"type": "timeseries", "title": "Predictions per second"}],
    },
    indent=2,
)


# -- rules -----------------------------------------------------------------------------------


@rule(
    "MON001",
    "metrics-not-exposed",
    stage=2,
    principle=Principle.MONITORING,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="The service exposes metrics for scraping (prometheus-client, an instrumentator or "
    "exporter, OpenTelemetry, or a model server's built-in metrics).",
    remedy=(
        "Expose metrics as the template's `src/<package>/service/metrics.py` does: define them "
        "with prometheus-client and mount `make_asgi_app()` at `/metrics` in "
        "`src/<package>/service/app.py` (or `Instrumentator().instrument(app).expose(app)`, "
        "`PrometheusMetrics(app)` for Flask, an OpenTelemetry Prometheus or OTLP exporter)."
    ),
    examples=Examples(failing={_APP: _BARE_APP}, passing={_APP: _METRICS_APP}),
)
def metrics_not_exposed(repo: Snapshot) -> Iterator[Violation]:
    """A model in production that exports no metrics is a black box: nobody can see how many
    requests it serves, how many fail or how slow it is, so the first sign of trouble is a
    complaint from the business. Metrics scraped by Prometheus (or pushed over OTLP) are what
    dashboards, alerts and SLOs are built on. Model servers that export metrics on their own
    (BentoML, MLServer, KServe, Seldon, Ray Serve) pass; LitServe does not serve `/metrics`
    by itself, so it needs prometheus-client like any FastAPI app. Test code does not count.
    """
    facts = metrics_facts(repo)
    if facts.exposures:
        return
    if facts.unexposed:
        for item in facts.unexposed:
            yield Violation(f"`{item.path}` {item.what}", item.path, item.line)
        return
    if facts.metrics:
        first = facts.metrics[0]
        same = [m.name for m in facts.metrics if m.library == first.library]
        yield Violation(
            f"`{first.path}` defines {first.library} metrics ({_listed(same)}) but no code "
            f"exposes them{_MISSING_EXPOSURE.get(first.library, '')}, so nothing can scrape them",
            first.path,
            first.line,
        )
        return
    yield Violation(
        "no service code exposes metrics for scraping (prometheus-client, "
        "prometheus-fastapi-instrumentator, prometheus-flask-exporter, OpenTelemetry or a "
        "model server's built-in metrics): nobody can see the model's traffic, errors or "
        "latency in production"
    )


@rule(
    "MON002",
    "http-metrics-only",
    stage=2,
    principle=Principle.MONITORING,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="Model-level metrics, not only HTTP ones: prediction counts and values, inference "
    "latency, input statistics.",
    remedy=(
        "Add model metrics as the template's `src/<package>/service/metrics.py` does: "
        "`model_predictions_total`, a `model_prediction_value` histogram, "
        "`model_predict_duration_seconds`, and input or drift statistics per feature."
    ),
    requires=("MON001",),
    examples=Examples(failing={_APP: _INSTRUMENTED_APP}, passing={_APP: _METRICS_APP}),
)
def http_metrics_only(repo: Snapshot) -> Iterator[Violation]:
    """HTTP metrics say the service answers; they cannot say the answers are any good. A
    model that starts predicting the same class for everyone, or whose inputs have shifted
    since training, still returns 200 in 20 ms. Counting predictions (by class), recording
    their values, timing the model apart from the web framework and watching the inputs is
    what lets someone see that the model, not the server, has gone wrong. A metric counts when
    its name or description is about predictions, inference, features, scores or drift; model
    servers whose built-in metrics count inferences per model (BentoML, MLServer, KServe,
    Seldon, Ray Serve) pass.
    """
    facts = metrics_facts(repo)
    if not facts.exposures and not facts.metrics:
        return  # MON001 says there are no metrics at all
    if any(e.model_level for e in facts.exposures) or any(map(is_model_metric, facts.metrics)):
        return
    if facts.unnamed:
        return  # some metric's name is computed: it may well be about the model
    names = [m.name for m in facts.metrics]
    for exposure in facts.exposures:
        names += _HTTP_ONLY_LIBRARIES.get(exposure.library, ())
    found = f" (found {_listed(names)})" if names else ""
    anchor = facts.metrics[0] if facts.metrics else None
    path = anchor.path if anchor else facts.exposures[0].path
    line = anchor.line if anchor else facts.exposures[0].line
    yield Violation(
        f"no metric in the service's code is about the model{found}: without prediction "
        "counts and values, inference latency or input statistics, a model that silently "
        "degrades looks perfectly healthy",
        path,
        line,
    )


@rule(
    "MON003",
    "alerts-missing",
    stage=3,
    principle=Principle.MONITORING,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="Alert rules are defined (Prometheus rule files, PrometheusRule resources or "
    "Grafana alerting) and cover errors, latency and the model.",
    remedy=(
        "Add the template's `monitoring/alerts.yml` (a Prometheus rule file) with at least an "
        "error-rate alert, a latency alert against the SLO and a model alert (predictions "
        "stalled, drift, model not ready), and load it from `monitoring/prometheus.yml`."
    ),
    examples=Examples(
        failing={_ALERTS: _alert_file("ServiceDown")},
        passing={_ALERTS: _ALL_ALERTS},
    ),
)
def alerts_missing(repo: Snapshot) -> Iterator[Violation]:
    """A dashboard nobody watches at 3 a.m. does not protect anyone: alerts are what turn a
    broken model into a page for the on-call person instead of a slow loss for the business.
    They must cover the three ways a model service fails: it errors, it slows down, or it
    keeps answering while the model itself is missing, stale or drifting. An alert counts for
    a kind when its name, expression, labels or annotations are about it (`HighErrorRate` or
    5xx, a duration or `histogram_quantile`, predictions, drift or readiness). Rule files in
    tests, documentation and vendored directories do not count.
    """
    files = rule_files(repo)
    found = alerts(repo)
    if not found:
        only_records = f" (`{files[0].path}` holds only recording rules)" if files else ""
        yield Violation(
            f"no alert rules are defined{only_records} (a Prometheus rule file with `groups:` "
            "of `alert:` and `expr:`, a PrometheusRule resource or Grafana alert provisioning): "
            "when the model service breaks, nobody is paged"
        )
        return
    for alert in found:
        if not alert.expr:
            yield Violation(
                f"alert `{alert.name}` in `{alert.path}` has an empty `expr`, so it can never fire",
                alert.path,
                alert.line,
            )
    covered = set().union(*(covers(a) for a in found if a.expr))
    missing = [c for c in COVERAGE if c.key not in covered]
    if not missing:
        return
    with_alerts = [f for f in files if f.alerts]
    main = max(with_alerts, key=lambda f: len(f.alerts))
    where = f"`{main.path}`"
    if len(with_alerts) > 1:
        others = len(with_alerts) - 1
        where += f" and {others} other file{'s' if others > 1 else ''}"
    for coverage in missing:
        yield Violation(
            f"no alert in {where} covers {coverage.what}: {coverage.why}",
            main.path,
            main.line,
        )


@rule(
    "MON004",
    "alerts-untested",
    stage=3,
    principle=Principle.MONITORING,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="Alert rules have unit tests: `promtool test rules` files that refer to them.",
    remedy=(
        "Add the template's `monitoring/alerts.test.yml`: a promtool test file whose "
        "`rule_files` names the rule file (relative to the test file), with a firing and a "
        "not-firing case per alert, and run `promtool test rules` in CI."
    ),
    requires=("MON003",),
    examples=Examples(
        failing={_ALERTS: _ALL_ALERTS},
        passing={_ALERTS: _ALL_ALERTS, "monitoring/alerts.test.yml": _PROMTOOL_TEST},
    ),
)
def alerts_untested(repo: Snapshot) -> Iterator[Violation]:
    """An alert is code that runs only on the worst day. A typo in a metric name, a label that
    changed, or a threshold on the wrong scale makes it silent, and nobody finds out until the
    outage it was written for. `promtool test rules` feeds an alert synthetic series and checks
    that it fires (and stays quiet) when it should, in CI, before it is needed. Only plain
    Prometheus rule files are judged: PrometheusRule resources, Helm templates and Grafana
    alerts cannot be loaded by promtool as they are.
    """
    testable = [f for f in rule_files(repo) if f.promtool and f.alerts]
    if not testable:
        return
    tests = _promtool_tests(repo)
    for file in testable:
        if any(_refers_to(test, name, file.path) for test, names in tests for name in names):
            continue
        count = len(file.alerts)
        yield Violation(
            f"no promtool test refers to `{file.path}` ({count} alert{'s' if count > 1 else ''}):"
            " a wrong metric name or threshold ships unnoticed and the alert stays silent in "
            "the outage it was written for",
            file.path,
            file.line,
        )


@rule(
    "MON005",
    "dashboard-missing",
    stage=3,
    principle=Principle.MONITORING,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="A dashboard is defined in the repository (Grafana JSON, provisioning, grafonnet or "
    "a dashboard ConfigMap).",
    remedy=(
        "Add the template's `monitoring/grafana/dashboard.json` (a panel per signal: traffic, "
        "errors, latency, predictions, drift) and provision it from `compose.yaml`."
    ),
    examples=Examples(
        failing={"monitoring/grafana/dashboard.json": '{"title": "Churn model", "panels": "todo"}'},
        passing={"monitoring/grafana/dashboard.json": _DASHBOARD},
    ),
)
def dashboard_missing(repo: Snapshot) -> Iterator[Violation]:
    """When an alert fires, the on-call person needs to see at a glance what changed: traffic,
    errors, latency, what the model predicts and how its inputs move. A dashboard kept in the
    repository is reviewed, versioned and rebuilt with the service; one clicked together in a
    Grafana instance is lost with it. Only JSON with a dashboard's structure counts (panels or
    rows, and a title or schema version), not any JSON that mentions panels.
    """
    if next(_dashboards(repo), None) is None:
        yield Violation(
            "no Grafana dashboard is defined in the repository (dashboard JSON, provisioning, "
            "grafonnet or a `grafana_dashboard` ConfigMap): when an alert fires, nobody can see "
            "the model's traffic, latency and predictions at a glance"
        )


@rule(
    "MON006",
    "drift-unmonitored",
    stage=3,
    principle=Principle.MONITORING,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="Data or prediction drift is monitored (Evidently, whylogs, NannyML, alibi-detect, "
    "deepchecks, river, or an exported drift metric).",
    remedy=(
        "Export a drift score per monitored feature as the template's "
        "`src/<package>/service/metrics.py` does (a PSI against the training distribution), "
        "alert on it in `monitoring/alerts.yml`, or run Evidently, whylogs or NannyML from "
        "`src/<package>/pipeline.py`."
    ),
    examples=Examples(
        failing={_APP: _METRICS_APP},
        passing={
            _APP: _METRICS_APP.replace("Counter,", "Counter, Gauge,")
            + 'DRIFT = Gauge("model_feature_drift_psi", "PSI against training", ["feature"])\n'
        },
    ),
)
def drift_unmonitored(repo: Snapshot) -> Iterator[Violation]:
    """Models rarely fail loudly; they decay. Customers change, an upstream system changes a
    unit, a new product line appears, and the model keeps answering confidently from a world
    that no longer exists. Watching the distribution of inputs and predictions against the
    training data is the early warning that tells the team to retrain before the business
    metrics show the loss. Drift libraries count only in service or pipeline code, not in
    tests or notebooks; a metric or a Prometheus rule named with drift or PSI counts too.
    """
    if _drift_monitor(repo) is None:
        yield Violation(
            "nothing monitors data or prediction drift (Evidently, whylogs, NannyML, "
            "alibi-detect, deepchecks, river, or a metric named with `drift` or `psi`): a "
            "model whose inputs have shifted keeps answering confidently and wrongly"
        )


@rule(
    "OPS001",
    "runbook-missing",
    stage=3,
    principle=Principle.MONITORING,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="A runbook exists and names the response to every alert.",
    remedy=(
        "Add the template's `docs/runbook.md` with a section per alert, headed by the alert's "
        "name (`## HighErrorRate`), saying what it means, how to check and what to do; or point "
        "each alert's `runbook_url` annotation at its section."
    ),
    requires=("MON003",),
    examples=Examples(
        failing={_ALERTS: _ALL_ALERTS, "docs/runbook.md": _RUNBOOK.split("## PredictionDrift")[0]},
        passing={_ALERTS: _ALL_ALERTS, "docs/runbook.md": _RUNBOOK},
    ),
)
def runbook_missing(repo: Snapshot) -> Iterator[Violation]:
    """An alert that pages someone who does not know what to do is just noise at 3 a.m. The
    runbook is where the team that built the model writes down, for each alert, what it means,
    how to confirm it and what to do, so that whoever is on call, months later, can act without
    the model's author. An alert is covered when its name appears in a runbook (`docs/runbook.md`,
    `RUNBOOK.md`, any `runbook*` file or a `runbooks/` directory), or when its `runbook_url`
    points at a runbook page outside the repository or at an existing heading of one inside it.
    """
    books = _runbooks(repo)
    uncovered: list[tuple[AlertRule, str | None]] = []
    seen: set[str] = set()
    for alert in alerts(repo):
        if alert.name.lower() in seen:
            continue
        seen.add(alert.name.lower())
        if any(_names(book, alert.name) for book in books):
            continue
        covered, why = _runbook_url_verdict(repo, alert, books)
        if not covered:
            uncovered.append((alert, why))
    if not uncovered:
        return
    if not books:
        yield Violation(
            "no runbook (`docs/runbook.md`, `RUNBOOK.md` or a `runbooks/` directory) says "
            f"what to do when {_listed((a.name for a, _ in uncovered), 4)} "
            f"fire{'s' if len(uncovered) == 1 else ''}: whoever is paged must guess",
            uncovered[0][0].path,
            uncovered[0][0].line,
        )
        return
    named = ("the runbook " if len(books) == 1 else "the runbooks ") + _listed(
        (b.path for b in books), 2
    )
    for alert, why in uncovered:
        reason = f" and {why}" if why else ""
        yield Violation(
            f"alert `{alert.name}` ({_where(alert)}) is not named in {named}{reason}: "
            "whoever is paged for it has no written response",
            alert.path,
            alert.line,
        )


@rule(
    "OPS002",
    "slo-missing",
    stage=3,
    principle=Principle.MONITORING,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="SLOs are written down: a latency target and an availability target.",
    remedy=(
        "Add the template's `docs/slo.md` with a latency target (a time, such as p99 under "
        "300 ms) and an availability target (a percentage, such as 99.5% of requests "
        "succeeding over 28 days), or an OpenSLO, Sloth or Pyrra specification."
    ),
    examples=Examples(
        failing={"docs/slo.md": "# Service level objectives\n\nThe service should be fast.\n"},
        passing={
            "docs/slo.md": "# Service level objectives\n\n"
            "| objective | target |\n|---|---|\n"
            "| latency of /v1/predict | p99 under 300 ms |\n"
            "| availability (non-5xx responses) | 99.5% over 28 days |\n"
        },
    ),
)
def slo_missing(repo: Snapshot) -> Iterator[Violation]:
    """Without a written target, every incident is a debate: is 800 ms slow? is one failed
    request in a hundred acceptable? An SLO agreed with the business says how fast and how
    available the model service must be, tells alerts when to page, and tells the team when
    to stop shipping features and fix reliability. A latency target is a time with a unit
    (p99 under 300 ms); an availability target is a percentage from 90 to 100 (99.5% of
    requests succeed). They may live in `docs/slo.md`, an SLO section of a runbook or README,
    or an OpenSLO, Sloth or Pyrra specification.
    """
    evidence = slo_evidence(repo)
    if evidence.latency and evidence.availability:
        return
    if not evidence.sources:
        yield Violation(
            "no SLOs are written down (`docs/slo.md`, an SLO section of the runbook or README, "
            "or an OpenSLO, Sloth or Pyrra spec): without latency and availability targets "
            "nobody can say when the service is failing its users"
        )
        return
    path, line = evidence.sources[0]
    missing = []
    if not evidence.latency:
        missing.append("latency target (a time with a unit, such as p99 under 300 ms)")
    if not evidence.availability:
        missing.append("availability target (a percentage, such as 99.5% of requests)")
    where = _listed(dict.fromkeys(p for p, _ in evidence.sources), 2)
    yield Violation(
        f"the SLOs in {where} give no {' and no '.join(missing)}: without it nobody can say "
        "when the service is failing its users",
        path,
        line,
    )
