"""`prodcheck gate`: the day-90 go/stop decision, from the business case and measured metrics.

The decision ties three things no other tool ties together: the money in the business case
(its ROI and payback), the success metrics it promised, measured by the pipeline or in
production, and the stage of the 30-60-90 path the repository has reached. The order is
fixed, and documented in `docs/gate.md`:

1. STOP when the ROI is below `min_roi`, or a measured success metric misses its target:
   nothing still missing could change that, so the decision is already certain.
2. NOT READY when a success metric has no measurement, or the repository has not reached the
   gate's required stage (`gate_stage`, default 2): there is nothing to decide on yet.
3. GO otherwise.

Input the user must fix (no business case, a cost of 0, mixed currencies, a malformed
metrics file) raises GateError: one line on stderr and exit 2, never a guess.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prodcheck.business import Economics, format_amount, percents, split_costs
from prodcheck.rules.business_case import business_case, is_number, money

if TYPE_CHECKING:
    from prodcheck.engine import AuditResult

SCHEMA_VERSION = 1
"""Version of the JSON decision (`render_json`); a change of its fields needs a new one."""

METRICS_SCHEMA_VERSION = 1
"""The version of the metrics file contract (`reports/metrics.json`) this gate reads."""

KINDS = ("model", "business")
SOURCES = ("holdout", "estimate", "production")
DEFAULT_ALIAS = "champion"
MLFLOW_TIMEOUT_S = 15

_SOURCE_NOTES = {
    "holdout": "measured on held-out data",
    "estimate": "an offline estimate by the pipeline, not yet measured in production",
    "production": "measured in production",
}


class GateError(ValueError):
    """Input the user must fix before a decision can mean anything (exit 2)."""


class Decision(Enum):
    GO = "go"
    STOP = "stop"
    NOT_READY = "not_ready"

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def exit_code(self) -> int:
        return {Decision.GO: 0, Decision.STOP: 1, Decision.NOT_READY: 3}[self]


# -- measurements ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    value: float
    source: str
    """holdout, estimate or production (see SOURCES)."""


@dataclass(frozen=True)
class Measurements:
    """The measured metrics, by name, and where they came from."""

    origin: str
    """"the metrics file `reports/metrics.json`", "MLflow model `churn@champion` (run ...)"."""
    location: str
    kind: str
    """file, mlflow or none."""
    metrics: Mapping[str, Measurement] = field(default_factory=dict)
    model: Mapping[str, Any] = field(default_factory=dict)
    measured_at: str | None = None


def read_metrics_file(path: Path, location: str) -> Measurements:
    """Read the metrics file the pipeline writes; GateError naming the file when it is malformed.

    The contract (shared with the template's pipeline) is documented in `docs/gate.md`.
    """
    shown_as = f"`{location}`"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GateError(f"cannot read the metrics file {shown_as}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise GateError(f"the metrics file {shown_as} is not JSON: {exc}") from None

    def malformed(problem: str) -> GateError:
        return GateError(f"the metrics file {shown_as} is malformed: {problem}")

    if not isinstance(document, dict):
        raise malformed("expected a JSON object with `schema_version` and `metrics`")
    version = document.get("schema_version")
    if version != METRICS_SCHEMA_VERSION:
        raise malformed(
            f"`schema_version` is {version!r}; "
            f"this prodcheck reads version {METRICS_SCHEMA_VERSION}"
        )
    entries = document.get("metrics")
    if not isinstance(entries, dict):
        raise malformed("`metrics` must be an object of metric name -> {value, kind, source}")
    metrics: dict[str, Measurement] = {}
    for name, entry in entries.items():
        where = f"`metrics.{name}`"
        if not isinstance(entry, dict):
            raise malformed(f"{where} must be an object with `value`, `kind` and `source`")
        value = entry.get("value")
        if not is_number(value):
            raise malformed(f"{where}.value is {value!r}, not a finite number")
        kind, source = entry.get("kind"), entry.get("source")
        if kind not in KINDS:
            raise malformed(f"{where}.kind is {kind!r}, not one of {', '.join(KINDS)}")
        if source not in SOURCES:
            raise malformed(f"{where}.source is {source!r}, not one of {', '.join(SOURCES)}")
        metrics[name] = Measurement(float(value), source)
    model = document.get("model")
    if model is not None and not isinstance(model, dict):
        raise malformed("`model` must be an object with `name`, `version`, `run_id`, `alias`")
    measured_at = document.get("measured_at")
    return Measurements(
        f"the metrics file {shown_as}",
        location,
        "file",
        metrics,
        model or {},
        measured_at if isinstance(measured_at, str) else None,
    )


def read_mlflow(uri: str, model_ref: str, kinds: Mapping[str, str]) -> Measurements:
    """The metrics of the run that produced the registered model version an alias points at.

    Read with MLflow's REST API, so the gate needs no MLflow installed. A training run's
    metrics are offline: model metrics count as `holdout`, business metrics as `estimate`.
    """
    import urllib.error
    import urllib.parse
    import urllib.request

    if not uri.startswith(("http://", "https://")):
        raise GateError(
            f"--mlflow-uri {uri} is not an http(s) tracking server; for a local store "
            "(a path, file: or sqlite:) pass the pipeline's metrics file with --metrics"
        )
    name, _, alias = model_ref.partition("@")
    alias = alias or DEFAULT_ALIAS
    if not name:
        raise GateError(f"--model {model_ref!r} does not name a registered model (NAME[@ALIAS])")
    base = uri.rstrip("/")

    def get(endpoint: str, **query: str) -> dict[str, Any]:
        url = f"{base}/api/2.0/mlflow/{endpoint}?{urllib.parse.urlencode(query)}"
        try:
            with urllib.request.urlopen(url, timeout=MLFLOW_TIMEOUT_S) as response:
                answer: dict[str, Any] = json.loads(response.read().decode("utf-8"))
                return answer
        except urllib.error.HTTPError as exc:
            detail = _mlflow_error(exc)
            if exc.code == 404:
                raise GateError(f"MLflow at {base} has no {detail}") from None
            raise GateError(f"MLflow at {base} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise GateError(f"cannot reach MLflow at {base}: {reason}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise GateError(f"{url} did not answer JSON: is {base} an MLflow server?") from None

    version = get("registered-models/alias", name=name, alias=alias).get("model_version", {})
    run_id = version.get("run_id")
    if not run_id:
        raise GateError(
            f"model version {version.get('version')} of `{name}@{alias}` at {base} has no run, "
            "so it has no metrics; pass the pipeline's metrics file with --metrics"
        )
    run = get("runs/get", run_id=run_id).get("run", {})
    metrics = {
        item["key"]: Measurement(
            float(item["value"]),
            "estimate" if kinds.get(item["key"]) == "business" else "holdout",
        )
        for item in run.get("data", {}).get("metrics", [])
        if isinstance(item, dict) and "key" in item and is_number(item.get("value"))
    }
    model = {"name": name, "version": version.get("version"), "run_id": run_id, "alias": alias}
    return Measurements(
        f"MLflow model `{name}@{alias}` (version {version.get('version')}, run {run_id})",
        base,
        "mlflow",
        metrics,
        model,
    )


def _mlflow_error(exc: Any) -> str:
    try:
        message = json.loads(exc.read().decode("utf-8")).get("message")
    except (ValueError, AttributeError, OSError):
        message = None
    return str(message or exc.reason)


# -- the business case, as the gate needs it -------------------------------------------------


@dataclass(frozen=True)
class SuccessMetric:
    name: str
    kind: str
    direction: str
    target: float
    measured: Measurement | None

    @property
    def met(self) -> bool | None:
        """None when not measured."""
        if self.measured is None:
            return None
        if self.direction == "lower":
            return self.measured.value <= self.target
        return self.measured.value >= self.target

    def describe(self) -> str:
        """`churn_rate` (business, lower is better): 0.04 vs target <= 0.05, met (...)."""
        return f"`{self.name}` ({self.kind}, {self.direction} is better): {self.comparison()}"

    def comparison(self) -> str:
        """0.04 vs target <= 0.05, met (measured on held-out data)."""
        sign = "<=" if self.direction == "lower" else ">="
        if self.measured is None:
            return f"not measured (target {sign} {_number(self.target)})"
        verdict = "met" if self.met else "missed"
        return (
            f"{_number(self.measured.value)} vs target {sign} {_number(self.target)}, "
            f"{verdict} ({_SOURCE_NOTES[self.measured.source]})"
        )


@dataclass(frozen=True)
class CaseNumbers:
    """What the gate reads from the business case front matter."""

    path: str
    currency: str
    economics: Economics
    metrics: tuple[tuple[str, str, str, float], ...]
    """(name, kind, direction, target) per success metric."""


def case_numbers(fields: Mapping[Any, Any], path: str) -> CaseNumbers:
    """Read value, costs, horizon, currency and success metrics; GateError on what blocks it.

    The checks the audit makes in detail (BC002, BC004) are only summarized here: the gate
    refuses and points at `prodcheck audit`, which says exactly what to fix.
    """
    see = f"run `prodcheck audit --select BC` for the details of `{path}`"
    currency = fields.get("currency")
    if not isinstance(currency, str) or len(currency.strip()) != 3:
        raise GateError(f"`currency` in `{path}` is not a 3-letter ISO code; {see}")
    currency = currency.strip().upper()
    cost = fields.get("annual_cost")
    _refuse_other_currencies(cost, ("annual_cost",), currency, path)
    cost = _without_currency(cost)
    horizon = fields.get("horizon_years")
    if not is_number(horizon) or horizon <= 0:
        raise GateError(f"`horizon_years` in `{path}` is not a positive number; {see}")

    if (is_number(cost) and cost == 0) or (isinstance(cost, dict) and _total(cost) == 0):
        raise GateError(
            f"`annual_cost` in `{path}` adds up to 0: no real system is free; count build, run, "
            "maintenance and team time before deciding"
        )
    value, problems = money(fields.get("annual_value"), "annual_value")
    recurring_lines, one_off_lines = split_costs(cost)
    recurring, more = money(recurring_lines, "annual_cost") if recurring_lines else (0.0, [])
    problems += more
    if one_off_lines:
        one_off, more = money(one_off_lines, "annual_cost")
        problems += [p for p in more if "adds up to 0" not in p[1]]
    else:
        one_off = 0.0
    if value is None or problems:
        where = ", ".join(sorted({".".join(map(str, keys)) for keys, _ in problems}))
        raise GateError(f"the amounts in `{path}` cannot be added up ({where}); {see}")
    return CaseNumbers(
        path,
        currency,
        Economics(value, recurring or 0.0, one_off or 0.0, float(horizon)),
        tuple(_success_metrics(fields.get("success_metrics"), currency, path, see)),
    )


def _success_metrics(
    metrics: Any, currency: str, path: str, see: str
) -> Iterator[tuple[str, str, str, float]]:
    if not isinstance(metrics, list) or not metrics:
        raise GateError(f"`{path}` lists no `success_metrics`, so there is nothing to judge; {see}")
    for index, metric in enumerate(metrics):
        if not isinstance(metric, dict):
            raise GateError(f"success metric {index + 1} in `{path}` is not a mapping; {see}")
        name, target = metric.get("name"), metric.get("target")
        direction = str(metric.get("direction", "")).strip().lower()
        if (
            not isinstance(name, str)
            or not is_number(target)
            or direction not in ("higher", "lower")
        ):
            raise GateError(
                f"success metric {index + 1} in `{path}` needs a `name`, a numeric `target` and "
                f"a `direction` (higher or lower); {see}"
            )
        _refuse_other_currencies(metric, ("success_metrics", name), currency, path)
        kind = str(metric.get("kind", "model")).strip().lower()
        yield name, kind if kind in KINDS else "model", direction, float(target)


def _refuse_other_currencies(value: Any, keys: tuple[Any, ...], currency: str, path: str) -> None:
    """Amounts in two currencies cannot be added or compared without a rate nobody wrote down."""
    if not isinstance(value, dict):
        return
    own = value.get("currency")
    if isinstance(own, str) and own.strip().upper() != currency:
        where = ".".join(map(str, keys))
        raise GateError(
            f"`{where}` in `{path}` is in {own.strip().upper()} but the business case is in "
            f"{currency}: mixed currencies cannot be compared; convert it to {currency}"
        )
    for key, item in value.items():
        _refuse_other_currencies(item, (*keys, key), currency, path)


def _without_currency(value: Any) -> Any:
    """A cost map with its (same-currency) `currency` tags removed, leaving only amounts.

    A line written `run: {amount: 24000, currency: EUR}` becomes `run: 24000`.
    """
    if not isinstance(value, dict):
        return value
    lines = {k: _without_currency(v) for k, v in value.items() if k != "currency"}
    if set(lines) == {"amount"}:
        return lines["amount"]
    return lines


def _total(value: Any) -> float:
    if isinstance(value, dict):
        return sum(_total(v) for v in value.values())
    return float(value) if is_number(value) else math.nan


# -- the decision ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    rule: str
    messages: tuple[str, ...]


@dataclass(frozen=True)
class GateResult:
    root: Path
    decision: Decision
    reasons: tuple[str, ...]
    """Why, one sentence each, the deciding ones first."""
    case: CaseNumbers
    metrics: tuple[SuccessMetric, ...]
    measurements: Measurements
    min_roi: float
    stage_reached: int
    required_stage: int
    blockers: tuple[Blocker, ...]

    @property
    def missed(self) -> list[SuccessMetric]:
        return [m for m in self.metrics if m.met is False]

    @property
    def unmeasured(self) -> list[SuccessMetric]:
        return [m for m in self.metrics if m.met is None]

    @property
    def roi_ok(self) -> bool:
        return self.case.economics.roi >= self.min_roi


def decide(
    path: Path,
    *,
    metrics_file: Path | None = None,
    mlflow_uri: str | None = None,
    model: str | None = None,
    required_stage: int | None = None,
    audit: AuditResult | None = None,
) -> GateResult:
    """Audit the repository at `path` (unless `audit` is one already made of it), read its
    business case and measurements, and decide."""
    from prodcheck.commands.audit import UsageError, audit_path
    from prodcheck.findings import FINAL_STAGE

    if (mlflow_uri is None) != (model is None):
        raise GateError("--mlflow-uri and --model go together (the registry and the model in it)")
    if mlflow_uri is not None and metrics_file is not None:
        raise GateError("give either --metrics or --mlflow-uri with --model, not both")
    if required_stage is not None and required_stage not in range(FINAL_STAGE + 1):
        raise GateError(f"--required-stage must be 0-{FINAL_STAGE}, got {required_stage}")
    if audit is None:
        try:
            audit = audit_path(path)
        except UsageError as exc:
            raise GateError(str(exc)) from None
    snapshot = audit.snapshot
    assert snapshot is not None
    config = snapshot.config
    required = config.gate_stage if required_stage is None else required_stage

    case = snapshot.memo(business_case)
    if case.problem is not None:
        raise GateError(case.problem)
    numbers = case_numbers(case.fields, case.path)
    kinds = {name: kind for name, kind, _, _ in numbers.metrics}
    if mlflow_uri is not None and model is not None:
        measurements = read_mlflow(mlflow_uri, model, kinds)
    elif metrics_file is not None:
        if not metrics_file.is_file():
            raise GateError(f"no metrics file at {metrics_file}")
        measurements = read_metrics_file(metrics_file, str(metrics_file))
    else:
        default = audit.root / config.metrics
        if default.is_file():
            measurements = read_metrics_file(default, config.metrics)
        else:
            measurements = Measurements(
                f"no metrics file at `{config.metrics}` (run the pipeline, or pass --metrics "
                "or --mlflow-uri with --model)",
                config.metrics,
                "none",
            )

    metrics = tuple(
        SuccessMetric(name, kind, direction, target, measurements.metrics.get(name))
        for name, kind, direction, target in numbers.metrics
    )
    reached = audit.verdict.reached or 0
    blockers = tuple(
        Blocker(rule, tuple(f.message for f in audit.errors if f.rule_id == rule))
        for rule in audit.verdict.next_blockers
    )
    draft = GateResult(
        audit.root,
        Decision.NOT_READY,  # replaced below, once the facts are in one place
        (),
        numbers,
        metrics,
        measurements,
        config.min_roi,
        reached,
        required,
        blockers,
    )
    decision = _decision(draft)
    return replace(draft, decision=decision, reasons=tuple(_reasons(draft, decision)))


def _decision(result: GateResult) -> Decision:
    if not result.roi_ok or result.missed:
        return Decision.STOP  # already certain: no missing measurement could change it
    if result.unmeasured or result.stage_reached < result.required_stage:
        return Decision.NOT_READY
    return Decision.GO


def _reasons(result: GateResult, decision: Decision) -> Iterator[str]:
    """The deciding reasons first, then the rest of what was judged."""
    economics, unit = result.case.economics, f" {result.case.currency}"
    shown_minimum = percents(economics.roi, result.min_roi)[1]
    roi_sentence = (
        f"ROI {economics.roi_arithmetic()} a year "
        f"{'meets' if result.roi_ok else 'is below'} the minimum of {shown_minimum} (`min_roi`)"
    )
    stage_sentence = (
        f"the repository reached stage {result.stage_reached}, "
        + (
            f"the gate requires {result.required_stage}"
            if result.stage_reached < result.required_stage
            else f"at least the required {result.required_stage}"
        )
        + (
            f"; blocked by {', '.join(b.rule for b in result.blockers)}"
            if result.blockers and result.stage_reached < result.required_stage
            else ""
        )
    )
    deciding: list[str] = []
    if decision is Decision.STOP:
        if not result.roi_ok:
            deciding.append(f"{roi_sentence}: the pilot costs more than it is worth")
        deciding += [
            f"the {m.kind} metric `{m.name}` missed its target ({m.direction} is better): "
            f"{m.comparison()}"
            for m in result.missed
        ]
    elif decision is Decision.NOT_READY:
        if result.unmeasured:
            names = ", ".join(f"`{m.name}`" for m in result.unmeasured)
            if result.measurements.kind == "none":
                deciding.append(f"nothing is measured yet: {result.measurements.origin}")
            else:
                deciding.append(f"not measured in {result.measurements.origin}: {names}")
        if result.stage_reached < result.required_stage:
            deciding.append(stage_sentence)
    yield from deciding
    yield from (m.describe() for m in result.metrics if m.met is not False)
    if result.roi_ok or decision is not Decision.STOP:
        yield roi_sentence
    yield f"annual cost: {economics.cost_arithmetic(unit)}"
    yield f"payback of the one-off cost: {economics.payback_text()}"
    if stage_sentence not in deciding:
        yield stage_sentence
    yield f"measurements: {result.measurements.origin}"


# -- rendering -------------------------------------------------------------------------------


def render(result: GateResult, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(as_dict(result), indent=2, ensure_ascii=False) + "\n"
    if fmt == "markdown":
        return render_markdown(result)
    return render_text(result)


FORMATS = ("text", "json", "markdown")


def render_text(result: GateResult) -> str:
    lines = [f"prodcheck gate: {result.decision.label}", ""]
    lines += [f"  - {reason}" for reason in result.reasons]
    for blocker in result.blockers:
        if result.stage_reached < result.required_stage:
            lines += [f"  {blocker.rule}: {message}" for message in blocker.messages]
    lines += ["", f"next: {_next_step(result)}"]
    return "\n".join(lines) + "\n"


def render_markdown(result: GateResult) -> str:
    """A decision memo a sponsor can read without knowing what prodcheck is."""
    economics, currency = result.case.economics, result.case.currency
    lines = [
        f"# Day-90 decision: {result.decision.label}",
        "",
        f"**{result.decision.label}**: {_summary(result)}",
        "",
        "## Why",
        "",
        *[f"- {_md(reason)}" for reason in result.reasons],
        "",
        "## The numbers",
        "",
        f"| per year | {currency} |",
        "|---|---:|",
        f"| value | {format_amount(economics.annual_value)} |",
        f"| recurring cost | {format_amount(economics.recurring_cost)} |",
        *(
            [
                f"| one-off cost ({format_amount(economics.one_off_cost)}) spread over "
                f"{economics.horizon_years:g} years | {format_amount(economics.annual_one_off)} |"
            ]
            if economics.one_off_cost
            else []
        ),
        f"| **total cost** | **{format_amount(economics.annual_cost)}** |",
        f"| **net value** | **{format_amount(economics.annual_net)}** |",
        "",
        f"ROI: {economics.roi_arithmetic()}; minimum {percents(result.min_roi)[0]}. "
        f"Payback of the one-off cost: {economics.payback_text()}.",
        "",
        "| success metric | kind | target | measured | source | result |",
        "|---|---|---:|---:|---|---|",
    ]
    for m in result.metrics:
        sign = "<=" if m.direction == "lower" else ">="
        measured = "-" if m.measured is None else _number(m.measured.value)
        source = "-" if m.measured is None else m.measured.source
        verdict = {True: "met", False: "**missed**", None: "not measured"}[m.met]
        lines.append(
            f"| `{m.name}` | {m.kind} | {sign} {_number(m.target)} | {measured} | {source} "
            f"| {verdict} |"
        )
    lines += [
        "",
        f"Stage reached: {result.stage_reached} of the 30-60-90 path (the gate requires "
        f"{result.required_stage}).",
    ]
    if result.blockers:
        lines += ["", f"Blocking stage {result.stage_reached + 1}:", ""]
        lines += [f"- {b.rule}: {_md(message)}" for b in result.blockers for message in b.messages]
    lines += ["", "## What to do next", "", _next_step(result), ""]
    lines += [f"_Measurements: {_md(result.measurements.origin)}{_model(result)}._", ""]
    return "\n".join(lines)


def _model(result: GateResult) -> str:
    """ ", model `churn` version 3 (alias champion)", from what the measurements name."""
    model = result.measurements.model
    if not model.get("name"):
        return ""
    version = f" version {model['version']}" if model.get("version") else ""
    alias = f" (alias {model['alias']})" if model.get("alias") else ""
    return f", model `{model['name']}`{version}{alias}"


def _summary(result: GateResult) -> str:
    if result.decision is Decision.GO:
        estimated = [
            m.name for m in result.metrics if m.measured and m.measured.source == "estimate"
        ]
        caveat = (
            f" ({', '.join(f'`{n}`' for n in estimated)} estimated offline: confirm in production)"
            if estimated
            else ""
        )
        return f"every success metric meets its target{caveat} and the pilot pays for itself."
    if result.decision is Decision.STOP:
        what = []
        if not result.roi_ok:
            what.append("the cost outweighs the value")
        if result.missed:
            names = ", ".join(f"`{m.name}` ({m.kind})" for m in result.missed)
            what.append(f"{names} missed {'its' if len(result.missed) == 1 else 'their'} target")
        return "; ".join(what) + "."
    return "there is not yet enough to decide on."


def _next_step(result: GateResult) -> str:
    if result.decision is Decision.GO:
        return (
            "Proceed to production; record the decision with `prodcheck gate --record` and "
            "keep measuring the success metrics in production."
        )
    if result.decision is Decision.STOP:
        return (
            "Stop the pilot, or rework the plan with the sponsor (cheaper to run, a bigger use "
            "case, a better model) and decide again; record the decision with "
            "`prodcheck gate --record`."
        )
    steps = []
    if result.unmeasured:
        steps.append(
            "measure " + ", ".join(f"`{m.name}`" for m in result.unmeasured) + " (run the "
            "pipeline, which writes the metrics file)"
        )
    if result.stage_reached < result.required_stage:
        steps.append(
            f"fix what blocks stage {result.stage_reached + 1} (`prodcheck audit` lists it)"
        )
    return "; ".join(steps).capitalize() + "; then run the gate again."


def as_dict(result: GateResult) -> dict[str, Any]:
    """The JSON decision; its shape is documented in `docs/gate.md` and versioned."""
    from prodcheck import __version__

    economics = result.case.economics
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "prodcheck", "version": __version__},
        "root": str(result.root),
        "decision": result.decision.value,
        "exit_code": result.decision.exit_code,
        "reasons": list(result.reasons),
        "business_case": {
            "path": result.case.path,
            "currency": result.case.currency,
            "horizon_years": economics.horizon_years,
            "annual_value": economics.annual_value,
            "recurring_cost": economics.recurring_cost,
            "one_off_cost": economics.one_off_cost,
            "annual_cost": economics.annual_cost,
            "annual_net": economics.annual_net,
            "roi": economics.roi,
            "min_roi": result.min_roi,
            "payback_months": economics.payback_months,
        },
        "metrics": [
            {
                "name": m.name,
                "kind": m.kind,
                "direction": m.direction,
                "target": m.target,
                "value": None if m.measured is None else m.measured.value,
                "source": None if m.measured is None else m.measured.source,
                "met": m.met,
            }
            for m in result.metrics
        ],
        "measurements": {
            "from": result.measurements.kind,
            "location": result.measurements.location,
            "measured_at": result.measurements.measured_at,
            "model": dict(result.measurements.model) or None,
        },
        "stage": {
            "reached": result.stage_reached,
            "required": result.required_stage,
            "next_blockers": [b.rule for b in result.blockers],
        },
    }


# -- recording -------------------------------------------------------------------------------


def record(result: GateResult, today: date) -> Path:
    """Write `decision` and `decided_on` into the business case front matter (LIFE006).

    Only the front matter is rewritten, through ruamel.yaml's round trip, so comments, key
    order, quoting and flow style stay as the user wrote them; the Markdown body is copied
    byte for byte. The file is replaced atomically, so a crash never leaves half a case.
    """
    if result.decision is Decision.NOT_READY:
        raise GateError("NOT READY is not a decision; nothing was recorded")
    path = result.root / result.case.path
    raw = path.read_bytes().decode("utf-8")
    lines = raw.splitlines(keepends=True)
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip() in ("---", "...")), None)
    if not lines or lines[0].strip() != "---" or end is None:
        raise GateError(f"`{result.case.path}` has no front matter to record the decision in")
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    front = "".join(lines[1:end]).replace("\r\n", "\n")
    updated = _with_decision(front, result.decision.value, today).replace("\n", newline)
    text = lines[0] + updated + "".join(lines[end:])
    _replace_atomically(path, text)
    return path


def _with_decision(front: str, decision: str, today: date) -> str:
    from io import StringIO

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.util import load_yaml_guess_indent

    # The guess gives the indent of a list's items (dash included) and of the dash itself;
    # a nested mapping's indent is their difference. ruamel cannot keep a mix of styles.
    _, sequence, offset = load_yaml_guess_indent(front)
    sequence, offset = sequence or 2, offset or 0
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's long lines
    yaml.indent(mapping=max(sequence - offset, 2), sequence=sequence, offset=offset)
    data = yaml.load(front)
    if not isinstance(data, CommentedMap):
        raise GateError("the business case front matter is not a mapping of keys")
    for key, value in (("decision", decision), ("decided_on", today)):
        if key in data:
            data[key] = value
        else:
            after = "decision" if key == "decided_on" else "decision_date"
            keys = list(data)
            position = keys.index(after) + 1 if after in keys else len(keys)
            data.insert(position, key, value)
    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _replace_atomically(path: Path, text: str) -> None:
    mode = path.stat().st_mode
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)  # os.replace: atomic on one file system
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- small helpers ---------------------------------------------------------------------------


def _number(value: float) -> str:
    """A measured value or target as people write it: 0.85, 350,000, 2."""
    if value.is_integer() or abs(value) >= 1000:
        return format_amount(value)
    return f"{value:g}"


def _md(text: str) -> str:
    return text.replace("|", "\\|")
