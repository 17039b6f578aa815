"""Business case: the prize is quantified, outweighs the cost, and someone senior wants it.

BC001-BC004 read the YAML front matter of the business case (`docs/business-case.md`, or the
configured `business_case` path), parsed once per audit; BC005 and BC006 read the sponsors
from the root OWNERS file, through the ownership module that also judges the owner roles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field
from datetime import date
from typing import Any, TypeGuard

from prodcheck.findings import Principle, Scope, Severity, Violation
from prodcheck.registry import Examples, rule
from prodcheck.rules._patterns import lazy, lazy_dataclass
from prodcheck.rules.ownership import is_placeholder, owners_file, shown, unnamed_role
from prodcheck.snapshot import Snapshot, YamlDocument

KeyPath = tuple[str | int, ...]
Problem = tuple[KeyPath, str]
"""Where in the front matter something is wrong, and a phrase saying what ("is negative")."""

OPENING_LINE = 1
"""The front matter's `---`: where a finding about a missing key points."""

REQUIRED_FIELDS: Mapping[str, str] = {
    "problem": "the business problem the model solves",
    "annual_value": "the value the model brings each year (a plain number)",
    "annual_cost": "what the model costs each year (a number, or a map of cost lines)",
    "currency": "the ISO 4217 code of the amounts (such as EUR)",
    "horizon_years": "the number of years the case covers",
    "success_metrics": "the metrics that decide whether the pilot worked",
    "decision_date": "the date of the go/stop decision (YYYY-MM-DD)",
}
DIRECTIONS = ("higher", "lower")

_CURRENCY_CODE = lazy(r"[A-Za-z]{3}")
_CURRENCY_SYMBOLS = {
    "$": "USD",
    "\u20ac": "EUR",
    "\u00a3": "GBP",
    "\u00a5": "JPY or CNY",
    "\u20b9": "INR",
    "\u20a9": "KRW",
}
_ISO_DATE = lazy(r"\d{4}-\d{2}-\d{2}")
_MONEY_TEXT = lazy(
    r"(?:[A-Za-z]{3}|[^\w\s.,'%])?\s*"  # a currency code or symbol before the amount
    r"(?P<digits>\d{1,3}(?:[,' ]\d{3})+(?:\.\d+)?|\d{1,3}(?:\.\d{3})+|\d+(?:\.\d+)?)\s*"
    r"(?P<scale>k|m|mn|bn)?\s*"
    r"(?:[A-Za-z]{3}|[^\w\s.,'%])?",  # or after it
    re.IGNORECASE,
)
_SCALES = {"": 1, "k": 1_000, "m": 1_000_000, "mn": 1_000_000, "bn": 1_000_000_000}


# -- the shared fixture ----------------------------------------------------------------------


@lazy_dataclass(frozen=True)
class BusinessCase:
    """The business case's front matter, or why there is none (BC001's finding)."""

    path: str
    fields: Mapping[Any, Any] = field(default_factory=dict)
    """The front matter's keys; empty when `problem` is set."""
    document: YamlDocument | None = None
    problem: str | None = None
    problem_line: int | None = None

    def line_of(self, *keys: str | int) -> int:
        """The line of a key path; the opening `---` when its top-level key is absent."""
        if self.document is None or (keys[0],) not in self.document.lines:
            return OPENING_LINE
        return self.document.line_of(*keys) or OPENING_LINE


def business_case(repo: Snapshot) -> BusinessCase:
    """Read the business case once per audit (through `repo.memo`)."""
    path = repo.config.business_case
    if path not in repo:
        elsewhere = _similar_file(repo, path)
        hint = (
            f" (there is `{elsewhere}`: move it there, or set `business_case` in the prodcheck "
            "configuration)"
            if elsewhere
            else ""
        )
        return BusinessCase(
            path,
            problem=f"no business case at `{path}`{hint}: without a "
            "quantified prize and cost nobody can decide whether the pilot is "
            "worth shipping",
        )
    cannot_check = "so its value, cost and success metrics cannot be checked"
    document = repo.front_matter(path)
    if document is None:
        if repo.text(path) is None:
            return BusinessCase(path, problem=f"`{path}` could not be read as text, {cannot_check}")
        return BusinessCase(
            path,
            problem=f"`{path}` has no YAML front matter (a `---` block at "
            f"the very top), {cannot_check}",
            problem_line=OPENING_LINE,
        )
    if document.error is not None:
        return BusinessCase(
            path,
            document=document,
            problem=f"the front matter of `{path}` cannot "
            f"be read ({document.error}), {cannot_check}",
            problem_line=document.error_line,
        )
    if not isinstance(document.data, dict):
        return BusinessCase(
            path,
            document=document,
            problem=f"the front matter of `{path}` is "
            f"{shown(document.data)}, not a mapping of keys such as "
            f"`annual_value`, {cannot_check}",
            problem_line=document.line_of() or OPENING_LINE,
        )
    return BusinessCase(path, document.data, document)


def _similar_file(repo: Snapshot, path: str) -> str | None:
    """A file named like the expected one but spelled differently, such as `Business_Case.md`."""

    def normalized(name: str) -> str:
        return name.lower().replace("_", "-").replace(" ", "-")

    wanted = normalized(path.rpartition("/")[2])
    return next((p for p in repo.files if normalized(p.rpartition("/")[2]) == wanted), None)


# -- judging values --------------------------------------------------------------------------


def is_number(value: Any) -> TypeGuard[int | float]:
    """A finite number written as one in YAML (not a bool, not a string of digits)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _plain_number(text: str) -> str | None:
    """The number a text such as "50k", "$50,000" or "5e4" spells, written plainly; else None.

    Only used to suggest what to write instead: a number in text is never used as a number.
    """
    from decimal import Decimal, InvalidOperation  # imported here: only a broken case needs it

    text = text.strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        match = _MONEY_TEXT().fullmatch(text)
        if match is None:
            return None
        digits = re.sub(r"[,' ]", "", match["digits"])
        if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):
            digits = digits.replace(".", "")  # 50.000 written with European grouping
        amount = Decimal(digits) * _SCALES[(match["scale"] or "").lower()]
    return format(amount.normalize(), "f") if amount.is_finite() else None


def _number_problem(value: Any, *, money: bool) -> str | None:
    """Why `value` is not a finite number, with the plain number to write when it is text."""
    if is_number(value):
        return None
    if isinstance(value, str) and (plain := _plain_number(value)) is not None:
        currency = " and put the currency in `currency`" if money else ""
        return f"is the text {value!r}; write the plain number {plain}{currency}"
    return f"is {shown(value)}, not a number"


def _amount(value: Any, keys: KeyPath, problems: list[Problem], *, cost: bool) -> float:
    """The amount `value` gives (a cost may be a map of cost lines, summed), noting problems.

    Cost lines may be 0 (no build cost, say) and may nest (team: {ds: ..., mle: ...}).
    """
    if cost and isinstance(value, dict):
        if not value:
            problems.append((keys, "is an empty map of cost lines"))
        return sum(_amount(v, (*keys, str(k)), problems, cost=True) for k, v in value.items())
    if is_placeholder(value):
        problems.append((keys, f"is still {shown(value)}, a placeholder for an amount"))
        return 0.0
    problem = _number_problem(value, money=True)
    if problem is None and value < 0:
        problem = (
            "is negative; costs are money spent, so put savings in `annual_value`"
            if cost
            else "is negative"
        )
    if problem is not None:
        problems.append((keys, problem))
        return 0.0
    return float(value)


def money(value: Any, key: str) -> tuple[float | None, list[Problem]]:
    """The positive total of `annual_value` or `annual_cost`, or None, and what is wrong."""
    problems: list[Problem] = []
    total = _amount(value, (key,), problems, cost=key == "annual_cost")
    if not problems and total <= 0:
        problems.append(
            (
                (key,),
                "adds up to 0, but no model runs in production for free: count "
                "build, run, maintenance and team time",
            )
        )
    return (None if problems else total), problems


def _currency_problem(value: Any) -> str | None:
    if isinstance(value, str) and _CURRENCY_CODE().fullmatch(value.strip()):
        return None
    if isinstance(value, str) and value.strip() in _CURRENCY_SYMBOLS:
        return (
            f"is the symbol {value.strip()!r}; write its 3-letter ISO 4217 code, such as "
            f"{_CURRENCY_SYMBOLS[value.strip()]}"
        )
    return f"is {shown(value)}, not a 3-letter ISO 4217 code such as EUR or USD"


def _date_problem(value: Any) -> str | None:
    if isinstance(value, date):
        return None
    if isinstance(value, str) and _ISO_DATE().fullmatch(value.strip()):
        try:
            date.fromisoformat(value.strip())
        except ValueError:
            return f"is {value!r}, which is not a real date"
        return None
    return f"is {shown(value)}, not a date written as YYYY-MM-DD"


def _text_problem(value: Any) -> str | None:
    return None if isinstance(value, str) else f"is {shown(value)}, not a sentence"


def _years_problem(value: Any) -> str | None:
    problem = _number_problem(value, money=False)
    return problem if problem is not None or value > 0 else "is negative"


def _list_problem(value: Any) -> str | None:
    return None if isinstance(value, list) else f"is {shown(value)}, not a list of metrics"


_FIELD_CHECKS: Mapping[str, Callable[[Any], str | None]] = {
    "problem": _text_problem,
    "currency": _currency_problem,
    "horizon_years": _years_problem,
    "success_metrics": _list_problem,
    "decision_date": _date_problem,
}


def _field_problems(key: str, value: Any) -> list[Problem]:
    """What is wrong with a filled-in required field (placeholders are judged before)."""
    if key in ("annual_value", "annual_cost"):
        return money(value, key)[1]
    problem = _FIELD_CHECKS[key](value)
    return [] if problem is None else [((key,), problem)]


def _unfilled(value: Any) -> bool:
    """Missing for BC002: a placeholder, or 0 where a real amount belongs."""
    return is_placeholder(value) or (is_number(value) and value == 0)


def _dotted(keys: KeyPath) -> str:
    return ".".join(str(key) for key in keys)


# -- rules -----------------------------------------------------------------------------------


def _case_example(
    value: int = 420_000, costs: tuple[int, int, int] = (60_000, 24_000, 36_000), metrics: str = ""
) -> str:
    """The front matter of a realistic business case, for the rules' examples."""
    metrics = metrics or (
        "  - name: minutes_to_triage_a_ticket\n"
        "    kind: business\n"
        "    target: 2\n"
        "    direction: lower\n"
        "  - name: macro_f1\n"
        "    kind: model\n"
        "    target: 0.85\n"
        "    direction: higher\n"
    )
    return (
        "---\n"
        "problem: Support agents spend three hours a day routing tickets by hand\n"
        f"annual_value: {value}\n"
        "annual_cost:\n"
        f"  build: {costs[0]}\n"
        f"  run: {costs[1]}\n"
        f"  maintenance: {costs[2]}\n"
        "currency: EUR\n"
        "horizon_years: 3\n"
        "decision_date: 2025-09-30\n"
        "success_metrics:\n"
        f"{metrics}"
        "---\n"
        "# Business case: ticket routing\n"
    )


_CASE = "docs/business-case.md"
_CASE_EXAMPLE = {_CASE: _case_example()}
_ROLES_EXAMPLE = (
    'model_owner: "@maria-lopez"\n'
    'data_owner: "@acme/data-platform"\n'
    'engineering_owner: "@ken-okafor"\n'
    'on_call: "@acme/ml-oncall"\n'
)


@rule(
    "BC001",
    "business-case-missing",
    stage=1,
    principle=Principle.BUSINESS_CASE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="A business case exists, with YAML front matter that the other rules can read.",
    remedy=(
        "Add the template's `docs/business-case.md` (or set `business_case` to your own path in "
        "the prodcheck configuration) and keep its `---` YAML front matter at the very top."
    ),
    examples=Examples(
        failing={_CASE: "# Business case\n\nThe model will save the support team a lot of time.\n"},
        passing=_CASE_EXAMPLE,
    ),
)
def business_case_missing(repo: Snapshot) -> Iterator[Violation]:
    """Pilots stall when nobody quantified the prize. Without a written business case there is
    nothing to judge the pilot against at day 90, so it never fails and never progresses: it
    just lingers. Keeping the numbers in YAML front matter makes them something a machine can
    check on every commit, not a slide that goes stale.
    """
    case = repo.memo(business_case)
    if case.problem is not None:
        yield Violation(case.problem, case.path if case.path in repo else None, case.problem_line)


@rule(
    "BC002",
    "business-case-incomplete",
    stage=1,
    principle=Principle.BUSINESS_CASE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="The business case front matter gives problem, value, cost, currency, horizon, "
    "success metrics and decision date, filled in and typed.",
    remedy=(
        "Fill in every key of the front matter of `docs/business-case.md` as the template does: "
        'amounts as plain numbers (50000, not "50k" or "$50,000"), the currency as an ISO '
        "code, `annual_cost` as a number or a map of cost lines, `decision_date` as YYYY-MM-DD; "
        "replace every TODO, TBD, `<...>` and 0."
    ),
    requires=("BC001",),
    examples=Examples(
        failing={
            _CASE: "---\nproblem: Support agents route tickets by hand\nannual_value: 50k\n"
            "annual_cost: TODO\ncurrency: $\n---\n# Business case\n"
        },
        passing=_CASE_EXAMPLE,
    ),
)
def business_case_incomplete(repo: Snapshot) -> Iterator[Violation]:
    """A business case with TODO where the cost should be is a wish, not a case. Every key is
    needed to decide at day 90: the problem says what the pilot is for, value and cost (in one
    currency, over a horizon) say whether it is worth it, the success metrics say how to tell it
    worked, and the decision date says when someone must decide to go on or stop. Amounts must be
    plain numbers, because "50k" or "$50,000" cannot be compared with anything.
    """
    case = repo.memo(business_case)
    if case.problem is not None:
        return
    for key, what in REQUIRED_FIELDS.items():
        if key not in case.fields:
            yield Violation(
                f"`{case.path}` does not give `{key}`, {what}: an unquantified "
                "business case cannot justify shipping the pilot",
                case.path,
                OPENING_LINE,
            )
            continue
        value = case.fields[key]
        if _unfilled(value):
            yield Violation(
                f"`{key}` in `{case.path}` is still {shown(value)}, a placeholder for "
                f"{what}: an unquantified business case cannot justify shipping the "
                "pilot",
                case.path,
                case.line_of(key),
            )
            continue
        for keys, problem in _field_problems(key, value):
            yield Violation(
                f"`{_dotted(keys)}` in `{case.path}` {problem}", case.path, case.line_of(*keys)
            )


@rule(
    "BC003",
    "roi-below-minimum",
    stage=1,
    principle=Principle.BUSINESS_CASE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="The prize outweighs the cost: (annual_value - annual_cost) / annual_cost is at "
    "least `min_roi`.",
    remedy=(
        "Rework the plan in `docs/business-case.md` until `annual_value` exceeds `annual_cost` "
        "by the required margin (cheaper to run, a bigger use case), or stop the pilot; the "
        "margin is `min_roi` in the prodcheck configuration (0.25 means 25%, default 0)."
    ),
    requires=("BC001",),
    examples=Examples(
        failing={_CASE: _case_example(value=50_000, costs=(150_000, 50_000, 300_000))},
        passing=_CASE_EXAMPLE,
    ),
)
def roi_below_minimum(repo: Snapshot) -> Iterator[Violation]:
    """A model that saves 50,000 a year but costs 500,000 to maintain is not worth shipping, however
    good its accuracy. Pilots that never compared the prize with the cost of running a model in
    production (infrastructure, monitoring, retraining, the people on call) drift on until
    someone notices, and are then stopped with nothing to show. Doing the arithmetic on day one
    either justifies the pilot or saves its budget.
    """
    case = repo.memo(business_case)
    value, _ = money(case.fields.get("annual_value"), "annual_value")
    cost, _ = money(case.fields.get("annual_cost"), "annual_cost")
    if value is None or cost is None:
        return  # BC001 or BC002 says why
    cost, spread = _with_one_off_spread(cost, case.fields)
    roi = (value - cost) / cost
    minimum = repo.config.min_roi
    if roi >= minimum:
        return
    from prodcheck.business import format_amount, percents  # here: only a failing case needs it

    currency = case.fields.get("currency")
    unit = ""
    if isinstance(currency, str) and _currency_problem(currency) is None:
        unit = f" {currency.strip().upper()}"
    shown_roi, shown_minimum = percents(roi, minimum)
    setting = " (`min_roi`)" if minimum else ""
    yield Violation(
        f"{format_amount(value)}{unit} of annual value against {format_amount(cost)}{unit} of "
        f"annual cost{spread} is an ROI of {shown_roi}, below the minimum of "
        f"{shown_minimum}{setting}: "
        "the pilot is not worth shipping as planned",
        case.path,
        min(case.line_of("annual_value"), case.line_of("annual_cost")),
    )


def _with_one_off_spread(total: float, fields: Mapping[Any, Any]) -> tuple[float, str]:
    """The cost of an average year of the horizon, as `prodcheck gate` counts it: a one-off
    `build` line is paid once and spread over `horizon_years`; and how the message says so."""
    from prodcheck.business import split_costs

    _, one_off_lines = split_costs(fields.get("annual_cost"))
    horizon = fields.get("horizon_years")
    if not one_off_lines or not is_number(horizon) or horizon <= 0:
        return total, ""
    one_off, _ = money(one_off_lines, "annual_cost")
    if not one_off:
        return total, ""
    years = f"{horizon:g} year" + ("" if horizon == 1 else "s")
    return total - one_off + one_off / horizon, f" (the one-off build spread over {years})"


@rule(
    "BC004",
    "success-metrics-incomplete",
    stage=1,
    principle=Principle.BUSINESS_CASE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="Every success metric has a name, a numeric target and a direction; at least one is "
    "a business metric.",
    remedy=(
        "In the front matter of `docs/business-case.md`, give each of `success_metrics` a "
        "`name`, a numeric `target` and a `direction` (higher or lower), and add at least one "
        "metric with `kind: business` (hours saved, churn, revenue), as the template does."
    ),
    requires=("BC001",),
    examples=Examples(
        failing={_CASE: _case_example(metrics="  - name: accuracy\n    target: high\n")},
        passing=_CASE_EXAMPLE,
    ),
)
def success_metrics_incomplete(repo: Snapshot) -> Iterator[Violation]:
    """A pilot without a measurable target cannot succeed, so it cannot be stopped either: it stays
    in purgatory. Each metric needs a target number and a direction to tell success from
    failure at day 90, and at least one must measure the business (hours saved, churn avoided),
    because a model can hit 95% accuracy and still change nothing the business cares about.
    """
    case = repo.memo(business_case)
    metrics = case.fields.get("success_metrics")
    if case.problem is not None or not isinstance(metrics, list) or not metrics:
        return
    has_business_metric = False
    for index, metric in enumerate(metrics):
        if not isinstance(metric, dict):
            yield Violation(
                f"success metric {index + 1} in `{case.path}` is {shown(metric)}, "
                "not a mapping with `name`, `target`, `direction` and `kind`",
                case.path,
                case.line_of("success_metrics", index),
            )
            continue
        if str(metric.get("kind", "")).strip().lower() == "business":
            has_business_metric = True
        problems = list(_metric_problems(metric))
        if problems:
            name = metric.get("name")
            label = f"`{name}`" if isinstance(name, str) and not is_placeholder(name) else index + 1
            details = "; ".join(f"`{key}` {problem}" for key, problem in problems)
            yield Violation(
                f"success metric {label} in `{case.path}` cannot tell success from "
                f"failure: {details}",
                case.path,
                case.line_of("success_metrics", index, problems[0][0]),
            )
    if not has_business_metric:
        yield Violation(
            f"no success metric in `{case.path}` has `kind: business`: model accuracy "
            "alone does not show that the pilot pays off",
            case.path,
            case.line_of("success_metrics"),
        )


def _metric_problems(metric: Mapping[Any, Any]) -> Iterator[tuple[str, str]]:
    name, target, direction = metric.get("name"), metric.get("target"), metric.get("direction")
    if is_placeholder(name):
        yield "name", "is missing" if name is None else f"is still {shown(name)}"
    elif not isinstance(name, str):
        yield "name", f"is {shown(name)}, not text"
    if is_placeholder(target):
        yield "target", "is missing" if target is None else f"is still {shown(target)}"
    elif (problem := _number_problem(target, money=False)) is not None:
        yield "target", problem
    if direction is None:
        yield "direction", "is missing"
    elif str(direction).strip().lower() not in DIRECTIONS:
        yield "direction", f"is {shown(direction)}, not higher or lower"


@rule(
    "BC005",
    "executive-sponsor-missing",
    stage=1,
    principle=Principle.BUSINESS_CASE,
    severity=Severity.ERROR,
    scope=Scope.REPO,
    summary="An executive sponsor is named in `OWNERS` (`executive_sponsor`).",
    remedy=(
        "Name the executive who funds the pilot and makes the day-90 call as `executive_sponsor` "
        'in the template\'s `OWNERS` file: a quoted handle ("@name") or an email.'
    ),
    examples=Examples(
        failing={"OWNERS": _ROLES_EXAMPLE},
        passing={"OWNERS": _ROLES_EXAMPLE + 'executive_sponsor: "cfo@acme.example"\n'},
    ),
)
def executive_sponsor_missing(repo: Snapshot) -> Iterator[Violation]:
    """Pilots without a senior sponsor are the first to be cut and the last to get the data access,
    budget and engineering time that production needs. Someone with authority must want the
    result, fund it past day 90 and make the go/stop decision; if nobody is named, nobody will.
    """
    violation = unnamed_role(
        repo,
        "executive_sponsor",
        "a pilot without an executive sponsor has "
        "nobody to fund it past day 90 or to make the go/stop call",
    )
    if violation is not None:
        yield violation


@rule(
    "BC006",
    "backup-sponsor-missing",
    stage=1,
    principle=Principle.BUSINESS_CASE,
    severity=Severity.WARNING,
    scope=Scope.REPO,
    summary="A backup sponsor is named, so sponsorship survives a leadership change.",
    remedy=(
        "Name a second senior supporter, other than the executive sponsor, as `backup_sponsor` "
        'in the template\'s `OWNERS` file: a quoted handle ("@name") or an email.'
    ),
    examples=Examples(
        failing={"OWNERS": _ROLES_EXAMPLE + 'executive_sponsor: "cfo@acme.example"\n'},
        passing={
            "OWNERS": _ROLES_EXAMPLE + 'executive_sponsor: "cfo@acme.example"\n'
            'backup_sponsor: "coo@acme.example"\n'
        },
    ),
)
def backup_sponsor_missing(repo: Snapshot) -> Iterator[Violation]:
    """Sponsors change jobs. A pilot whose only sponsor moves on loses its budget and its
    decision-maker overnight, and stalls with nobody to make the call. A named backup, a
    different person, keeps it going through a leadership change.
    """
    why = (
        "sponsorship must survive a leadership change, or the pilot stalls when its sponsor leaves"
    )
    violation = unnamed_role(repo, "backup_sponsor", why)
    if violation is not None:
        yield violation
        return
    owners = repo.memo(owners_file)  # present and readable, or unnamed_role had said so
    if owners is None:
        return
    backup, sponsor = owners.role("backup_sponsor"), owners.role("executive_sponsor")
    if sponsor.named and set(backup.contacts) <= set(sponsor.contacts):
        yield Violation(
            f"the `backup_sponsor` in `{owners.path}` is the executive sponsor: {why}",
            owners.path,
            owners.line_of("backup_sponsor"),
        )
