"""The HTML report as a lead reads it: verdict, timeline, principle cards, findings, the money.

The page is parsed with the standard library's HTML parser and judged by its elements and
`data-` attributes, never by substrings of its source; `tests/test_html_in_browser.py` checks
the same things on the DOM a real browser renders.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prodcheck.cli import app
from prodcheck.commands.gate import Decision
from prodcheck.engine import AuditResult
from prodcheck.findings import Finding, Severity, SuppressedFinding, Suppression
from prodcheck.report import render as render_any
from prodcheck.report._common import DOCS_URL
from prodcheck.report.html import render
from tests.helpers import audit_tree
from tests.report.conftest import ResultBuilder

VOID = {"meta", "br", "hr", "img", "input", "link", "source", "wbr", "area", "base", "col"}


@dataclass
class Element:
    """One element of a parsed page: enough of a DOM to query by tag, id and attribute."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text for c in self.children)

    def iter(self) -> Iterator[Element]:
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        """Elements matching `tag` and attributes (`data_count="errors"` for `data-count`)."""
        wanted = {name.rstrip("_").replace("_", "-"): value for name, value in attrs.items()}
        return [
            e
            for e in self.iter()
            if (tag is None or e.tag == tag)
            and all(e.attrs.get(name) == value for name, value in wanted.items())
        ]

    def one(self, tag: str | None = None, **attrs: str) -> Element:
        found = self.all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def has_class(self, name: str) -> bool:
        return name in self.attrs.get("class", "").split()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        if tag not in VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_page(source: str) -> Element:
    """The element tree of an HTML document (also used on the DOM Chromium dumps)."""
    builder = _TreeBuilder()
    builder.feed(source)
    builder.close()
    return builder.root


def page_of(result: AuditResult, **options: object) -> Element:
    return parse_page(render(result, **options))  # type: ignore[arg-type]


BUSINESS_CASE = """\
---
problem: Support agents route tickets by hand
annual_value: {value}
annual_cost: {cost}
currency: EUR
horizon_years: 3
decision_date: 2027-03-01
success_metrics:
  - {{name: minutes_to_triage, kind: business, target: 2, direction: lower}}
---
# Business case
"""


def with_case(tmp_path: Path, value: str, cost: str) -> AuditResult:
    return audit_tree(
        tmp_path, {"docs/business-case.md": BUSINESS_CASE.format(value=value, cost=cost)}
    )


# -- header and verdict ---------------------------------------------------------------------------


def test_the_header_names_the_project_and_the_verdict(purgatory: AuditResult) -> None:
    page = page_of(purgatory)
    assert page.one("h1", id="project").text == "pilot"
    verdict = page.one(id="verdict").text
    assert verdict.startswith("Stage 0 of 3: pilot purgatory")
    assert "2 errors block stage 1: BC001, OWN001" in verdict
    assert page.one("title").text.startswith("prodcheck: pilot · Stage 0 of 3")


@pytest.mark.parametrize(
    ("fixture", "counts"),
    [
        ("purgatory", {"errors": "3", "warnings": "3", "suppressed": "3"}),
        ("in_production", {"errors": "0", "warnings": "0", "suppressed": "0"}),
        ("files_mode", {"errors": "1", "warnings": "1", "suppressed": "0"}),
    ],
)
def test_the_counts_are_the_audits_counts(
    request: pytest.FixtureRequest, fixture: str, counts: dict[str, str]
) -> None:
    page = page_of(request.getfixturevalue(fixture))
    assert {name: page.one(data_count=name).text for name in counts} == counts


# -- the 30-60-90 timeline ------------------------------------------------------------------------


def test_the_timeline_highlights_the_stage_reached_and_the_next(purgatory: AuditResult) -> None:
    stage = page_of(purgatory).one("section", id="stage")
    assert (stage.attrs["data-reached"], stage.attrs["data-target"]) == ("0", "3")
    states = {step.attrs["data-stage"]: step.attrs["data-state"] for step in stage.all("li")[:4]}
    assert states == {"0": "reached", "1": "next", "2": "ahead", "3": "ahead"}
    assert [step.attrs["data-stage"] for step in stage.all(aria_current="step")] == ["0"]


def test_the_next_stages_blockers_come_with_their_remedy(purgatory: AuditResult) -> None:
    blockers = page_of(purgatory).one("ul", id="next-blockers")
    assert [li.attrs["data-blocker"] for li in blockers.all("li")] == ["BC001", "OWN001"]
    assert "Copy the template's file for BC001" in blockers.all("li")[0].text


def test_a_repository_in_production_has_no_blockers_and_nothing_to_fix(
    in_production: AuditResult,
) -> None:
    page = page_of(in_production)
    assert page.one("section", id="stage").attrs["data-reached"] == "3"
    assert page.all(id="next-blockers") == []
    assert page.one("section", id="findings").attrs["data-count"] == "0"


def test_files_mode_judges_no_stage(files_mode: AuditResult) -> None:
    stage = page_of(files_mode).one("section", id="stage")
    assert stage.attrs["data-reached"] == ""
    assert "no stage is judged" in stage.text


# -- principle cards ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principle", "rules", "passed", "errors", "warnings"),
    [
        ("business-case", "1", "0", "1", "0"),
        ("ownership", "2", "0", "1", "1"),
        ("data-pipeline", "2", "0", "1", "1"),
        ("engineering", "2", "1", "0", "1"),
        ("lifecycle", "1", "1", "0", "0"),
    ],
)
def test_each_principle_card_counts_its_rules_and_findings(
    purgatory: AuditResult, principle: str, rules: str, passed: str, errors: str, warnings: str
) -> None:
    card = page_of(purgatory).one("article", data_principle=principle)
    counted = {k: card.attrs[f"data-{k}"] for k in ("rules", "passed", "errors", "warnings")}
    assert counted == {"rules": rules, "passed": passed, "errors": errors, "warnings": warnings}
    assert f"{passed} of {rules} rules pass" in card.text


def test_a_principle_with_no_rule_run_has_no_card(purgatory: AuditResult) -> None:
    assert page_of(purgatory).all(data_principle="service") == []


# -- findings -------------------------------------------------------------------------------------


def test_findings_are_grouped_by_stage_in_order(purgatory: AuditResult) -> None:
    groups = page_of(purgatory).all("section", class_="stage-findings")
    assert [g.attrs["data-stage"] for g in groups] == ["0", "1", "2"]
    assert [li.attrs["data-rule"] for li in groups[1].all("li")] == ["BC001", "OWN001", "OWN002"]


@pytest.mark.parametrize(
    ("rule_id", "where"),
    [
        ("BC001", "repository"),
        ("OWN001", "OWNERS:3"),
        ("NB003", "notebooks/explore.ipynb cell 3:4"),
        ("DATA001", "data/churn export.csv"),
    ],
)
def test_a_finding_shows_rule_severity_location_message_remedy_and_docs_link(
    purgatory: AuditResult, rule_id: str, where: str
) -> None:
    finding = page_of(purgatory).one(id="findings").one("li", data_rule=rule_id)
    rule = purgatory.rule(rule_id)
    assert finding.attrs["data-severity"] == rule.severity.value
    assert finding.one("a").attrs["href"] == f"{DOCS_URL}rules/{rule_id}/"
    assert finding.one("code", class_="slug").text == rule.slug
    assert finding.one("span", class_="where").text == where
    assert finding.one("p", class_="remedy").text == f"Fix: {rule.remedy.replace('`', '')}"


def test_suppressed_findings_are_folded_away_with_their_reasons(purgatory: AuditResult) -> None:
    section = page_of(purgatory).one("section", id="suppressed")
    assert section.attrs["data-count"] == "3"
    assert "suppressed via inline: the <team> owns it all | for now" in section.text


HOSTILE = [
    '<script>alert("x")</script>',
    "\"><img src=x onerror=alert(1)> & 'quotes'",
    "a `<b>path</b>` in code & <!-- a comment -->",
]


@pytest.mark.parametrize("message", HOSTILE)
def test_user_text_is_escaped_everywhere(build_result: ResultBuilder, message: str) -> None:
    result = build_result(
        [Finding("OWN001", Severity.ERROR, message, f"{message}.py", 2)],
        [
            SuppressedFinding(
                Finding("OWN002", Severity.WARNING, message), Suppression("x", message)
            )
        ],
    )
    page = page_of(result)
    assert page.all("script") == [] and page.all("img") == [] and page.all("b") == []
    finding = page.one("li", data_rule="OWN001")
    assert finding.one("p", class_="message").text == message.replace("`", "")
    assert finding.one("span", class_="where").text == f"{message}.py:2"


def test_the_page_is_self_contained(any_result: AuditResult) -> None:
    """No script, stylesheet or image is fetched: only the rule docs links leave the page."""
    page = page_of(any_result)
    assert page.all("script") == [] and page.all("link") == [] and page.all("img") == []
    assert len(page.all("style")) == 1
    for element in page.iter():
        for name in ("src", "href"):
            url = element.attrs.get(name)
            if url is not None:
                assert url.startswith(DOCS_URL), f"<{element.tag} {name}={url!r}>"


def test_the_page_is_one_accessible_document(purgatory: AuditResult) -> None:
    page = page_of(purgatory)
    assert page.one("html").attrs["lang"] == "en"
    assert len(page.all("main")) == len(page.all("h1")) == 1
    ids = [e.attrs["id"] for e in page.iter() if "id" in e.attrs]
    assert len(ids) == len(set(ids))


# -- the business case ----------------------------------------------------------------------------


def test_the_seeds_case_shows_value_against_stacked_costs_and_a_negative_roi(
    tmp_path: Path,
) -> None:
    """50,000 a year of value against 500,000 of upkeep: ROI -90%."""
    result = with_case(tmp_path, "50000", "{run: 50000, maintenance: 300000, team: 150000}")
    case = page_of(result).one("section", id="business-case")
    assert case.attrs["data-roi"] == "-0.9000"
    assert case.one(data_figure="roi").text == "-90%"
    assert [bar.attrs["data-line"] for bar in case.all("rect", data_bar="cost")] == [
        "run",
        "maintenance",
        "team",
    ]
    assert len(case.all("rect", data_bar="value")) == 1
    assert case.one(data_figure="net-over-horizon").text == "-1,350,000 EUR"
    assert case.one(data_figure="payback").text.startswith("never")


def test_a_one_off_build_cost_is_drawn_as_its_share_of_a_year(tmp_path: Path) -> None:
    """As the gate counts it: 150,000 to build over a 3-year horizon is 50,000 a year."""
    case = page_of(with_case(tmp_path, "300000", "{build: 150000, run: 50000}")).one(
        "section", id="business-case"
    )
    assert case.one(data_figure="roi").text == "200%"
    bars = case.all("rect", data_bar="cost")
    assert [bar.attrs["data-line"] for bar in bars] == ["build (one-off, per year)", "run"]
    assert float(bars[0].attrs["width"]) == pytest.approx(float(bars[1].attrs["width"]))


def test_cost_bars_are_drawn_to_the_value_bars_scale(tmp_path: Path) -> None:
    case = page_of(with_case(tmp_path, "400000", "{run: 100000, team: 100000}"))
    value = case.one("rect", data_bar="value")
    costs = case.all("rect", data_bar="cost")
    widths = [float(bar.attrs["width"]) for bar in costs]
    assert sum(widths) == pytest.approx(float(value.attrs["width"]) / 2, abs=0.2)
    assert float(costs[1].attrs["x"]) == pytest.approx(float(costs[0].attrs["x"]) + widths[0])


def test_a_single_annual_cost_is_one_bar(tmp_path: Path) -> None:
    case = page_of(with_case(tmp_path, "300000", "100000"))
    assert case.one(data_figure="roi").text == "200%"
    assert len(case.all("rect", data_bar="cost")) == 1


def test_a_cost_line_name_is_escaped(tmp_path: Path) -> None:
    case = page_of(with_case(tmp_path, "300000", '{"<b>team</b>": 100000}'))
    assert case.all("b") == []
    assert case.one("rect", data_bar="cost").attrs["data-line"] == "<b>team</b>"


@pytest.mark.parametrize(
    ("value", "cost"),
    [
        ("50k", "100000"),
        ("100000", "TODO"),
        ("100000", "0"),
        ("100000", "{run: -5}"),
        ("100000", "{run: {amount: 5000, currency: USD}}"),
    ],
    ids=["text-amount", "placeholder", "zero-cost", "negative-cost", "mixed-currencies"],
)
def test_no_chart_when_the_case_has_no_usable_numbers(
    tmp_path: Path, value: str, cost: str
) -> None:
    """BC002 or the gate reports them; a chart of numbers nobody can add up would mislead."""
    assert page_of(with_case(tmp_path, value, cost)).all(id="business-case") == []


def test_no_chart_without_a_business_case(real_audit: AuditResult) -> None:
    assert page_of(real_audit).all(id="business-case") == []


# -- the gate decision ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """The part of `prodcheck gate`'s result the page shows."""

    decision: Decision
    reasons: Sequence[str]


@pytest.mark.parametrize("decision", list(Decision))
def test_the_gate_decision_is_shown_when_given(purgatory: AuditResult, decision: Decision) -> None:
    gate = page_of(purgatory, decision=Gate(decision, ["ROI `-90%` < 0 <b>"])).one(id="gate")
    assert gate.attrs["data-decision"] == decision.label
    assert (
        gate.one(
            "p", class_="decision " + {"GO": "good", "STOP": "bad"}.get(decision.label, "neutral")
        ).text
        == decision.label
    )
    assert gate.one("li").text == "ROI -90% < 0 <b>"


def test_no_gate_section_without_a_decision(purgatory: AuditResult) -> None:
    assert page_of(purgatory).all(id="gate") == []


# -- the format and the command line --------------------------------------------------------------


def test_html_is_a_registered_format(purgatory: AuditResult) -> None:
    assert render_any(purgatory, "html") == render(purgatory)


def test_audit_writes_the_page_with_format_html(tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    outcome = CliRunner().invoke(
        app, ["audit", str(tmp_path), "--format", "html", "--output", str(output)]
    )
    assert outcome.exit_code == 1, outcome.output
    page = parse_page(output.read_text(encoding="utf-8"))
    assert page.one("section", id="stage").attrs["data-reached"] == "0"


def test_report_writes_the_page_and_exits_as_the_audit(tmp_path: Path) -> None:
    output = tmp_path / "out" / "readiness.html"
    output.parent.mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    outcome = CliRunner().invoke(app, ["report", str(repo), "--output", str(output)])
    assert outcome.exit_code == 1, outcome.output
    page = parse_page(output.read_text(encoding="utf-8"))
    assert page.one("h1", id="project").text == "repo"
    assert page.all(id="gate") == []  # no business case: nothing to decide


def test_report_refuses_a_named_metrics_file_the_gate_cannot_use(tmp_path: Path) -> None:
    missing = tmp_path / "metrics.json"
    outcome = CliRunner().invoke(
        app, ["report", str(tmp_path), "--metrics", str(missing), "-o", str(tmp_path / "r.html")]
    )
    assert outcome.exit_code == 2
    assert outcome.output.startswith("prodcheck: error: ")
    assert not (tmp_path / "r.html").exists()
