"""One self-contained HTML page a lead opens: where the pilot stands, why, and what it is worth.

No scripts and no external assets (CSS and SVG inline, only the rule docs links leave the
page), so it can be mailed, attached to a CI run or printed and still look the same. Every
piece of text that comes from the audited repository (messages, paths, business case
amounts, suppression reasons) is escaped: a message can hold anything a file can.

Elements a test or a script looks for carry stable ids and `data-` attributes:
`#stage[data-reached]`, `[data-count=errors]`, `.principle[data-principle]`,
`.finding[data-rule]`, `#business-case[data-roi]`, `#gate[data-decision]`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from itertools import groupby
from typing import Protocol

from prodcheck import __version__
from prodcheck.business import Economics, format_amount, percents
from prodcheck.engine import AuditResult
from prodcheck.findings import FINAL_STAGE, STAGE_NAMES, Finding, Principle, Severity
from prodcheck.report._common import (
    DOCS_URL,
    location,
    plural,
    rule_docs_url,
    section_title,
    summary,
    verdict,
)
from prodcheck.snapshot import Snapshot

CODE_SPAN = re.compile(r"`([^`]+)`")
STAGE_DAYS = {0: "day 0", 1: "day 30", 2: "day 60", 3: "day 90"}
"""When the 30-60-90 path expects each stage to be reached."""
COST_COLOURS = ("#b3261e", "#d9822b", "#8c6d1f", "#6b4c9a", "#3f6e8c", "#5f6b73")
"""Cost lines, stacked: distinguishable, and dark enough to read as print on white."""
VALUE_COLOUR = "#1b7a3d"


class _Labelled(Protocol):
    @property
    def label(self) -> str: ...


class GateDecision(Protocol):
    """What the page shows of a day-90 decision (GO, STOP or NOT READY) and why.

    The shape of `prodcheck gate`'s result (`commands.gate.GateResult`), stated structurally
    so the reporter depends on what it shows, not on how the gate decides.
    """

    @property
    def decision(self) -> _Labelled: ...

    @property
    def reasons(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class CaseFigures:
    """The business case's money, as the gate reads it, for the value-versus-cost chart.

    `cost_lines` are per year and add up to the economics' annual cost: a one-off line
    (`build`) is drawn as its share of one year of the horizon, as the ROI counts it.
    """

    path: str
    currency: str
    economics: Economics
    cost_lines: tuple[tuple[str, float], ...]


def render(result: AuditResult, *, decision: GateDecision | None = None) -> str:
    """The page; the gate section is shown only when `decision` is given."""
    root_name = result.root.name or str(result.root)
    headline, details = verdict(result)
    figures = None if result.snapshot is None else case_figures(result.snapshot)
    body = [
        _header(result, root_name, headline, details),
        _timeline(result),
        _principles(result),
        _business_case(figures) if figures is not None else "",
        _gate(decision) if decision is not None else "",
        _findings(result),
        _suppressed(result),
        f'<footer><p>prodcheck {escape(__version__)} · <a href="{DOCS_URL}rules/">'
        "rule reference</a></p></footer>",
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>prodcheck: {escape(root_name)} · {escape(headline)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(part for part in body if part)
        + "\n</main>\n</body>\n</html>\n"
    )


# -- the business case -------------------------------------------------------------------------


def case_figures(repo: Snapshot) -> CaseFigures | None:
    """The business case's value and cost lines, or None when it has no usable numbers.

    The one place the report reads the business case: the BC rules' parsing (memoized per
    audit, so it is read once) and the gate's arithmetic (one-off costs spread over the
    horizon, mixed currencies refused), so the page and `prodcheck gate` never disagree.
    A case they reject gets no chart: BC002 or the gate says why.
    """
    from prodcheck.business import ONE_OFF_COSTS
    from prodcheck.commands.gate import GateError, case_numbers
    from prodcheck.rules.business_case import business_case, money

    case = repo.memo(business_case)
    if case.problem is not None:
        return None
    try:
        numbers = case_numbers(case.fields, case.path)
    except GateError:
        return None
    economics = numbers.economics
    lines: list[tuple[str, float]] = []
    raw_cost = case.fields.get("annual_cost")
    if isinstance(raw_cost, Mapping):
        for name, line in raw_cost.items():
            amount, _ = money(line, "annual_cost")
            if amount is None:  # 0 (no bar to draw), or a line the gate reads differently
                continue
            if name in ONE_OFF_COSTS:
                lines.append((f"{name} (one-off, per year)", amount / economics.horizon_years))
            else:
                lines.append((str(name), amount))
    if not lines or abs(sum(a for _, a in lines) - economics.annual_cost) > 0.5:
        lines = [("recurring", economics.recurring_cost)]
        if economics.one_off_cost:
            lines.append(("one-off, per year", economics.annual_one_off))
    return CaseFigures(case.path, numbers.currency, economics, tuple(lines))


def _business_case(figures: CaseFigures) -> str:
    money = figures.economics
    tone = "good" if money.roi >= 0 else "bad"
    unit = f" {figures.currency}"
    years = f"{money.horizon_years:g}"
    return (
        f'<section id="business-case" data-roi="{money.roi:.4f}" '
        'aria-labelledby="business-case-title">'
        '<h2 id="business-case-title">Value versus cost</h2>'
        f"<p>Per year, in {escape(figures.currency)}, from <code>{escape(figures.path)}</code>."
        "</p>"
        '<div class="case">'
        f"{_chart(figures)}"
        f'<div class="roi {tone}"><span class="label">ROI</span>'
        f'<span class="big" data-figure="roi">{percents(money.roi)[0]}</span>'
        f"<span>{escape(money.roi_arithmetic())}</span></div></div>"
        '<dl class="facts">'
        f"<dt>Annual cost</dt><dd>{escape(money.cost_arithmetic(unit))}</dd>"
        f"<dt>Net over the {years}-year horizon</dt>"
        f'<dd data-figure="net-over-horizon">'
        f"{format_amount(money.annual_net * money.horizon_years)}{escape(unit)}</dd>"
        f'<dt>Payback</dt><dd data-figure="payback">{escape(money.payback_text())}</dd>'
        "</dl></section>"
    )


def _chart(figures: CaseFigures) -> str:
    """Two horizontal bars on one scale: the annual value, and the cost lines stacked."""
    money = figures.economics
    width, left, bar, gap = 560, 110, 36, 22
    scale = (width - left - 10) / max(money.annual_value, money.annual_cost)
    value_width = money.annual_value * scale
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {2 * bar + 3 * gap}" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">Annual value {format_amount(money.annual_value)} against annual '
        f"cost {format_amount(money.annual_cost)}</title>",
        f'<text x="0" y="{gap + bar / 2 + 5}" class="axis">Annual value</text>',
        f'<rect x="{left}" y="{gap}" width="{value_width:.1f}" height="{bar}" '
        f'fill="{VALUE_COLOUR}" data-bar="value"><title>value: '
        f"{format_amount(money.annual_value)}</title></rect>",
        f'<text x="0" y="{2 * gap + 1.5 * bar + 5}" class="axis">Annual cost</text>',
    ]
    x = float(left)
    legend = []
    for index, (name, amount) in enumerate(figures.cost_lines):
        colour = COST_COLOURS[index % len(COST_COLOURS)]
        segment = amount * scale
        parts.append(
            f'<rect x="{x:.1f}" y="{2 * gap + bar}" width="{segment:.1f}" height="{bar}" '
            f'fill="{colour}" stroke="#fff" data-bar="cost" data-line="{escape(name)}">'
            f"<title>{escape(name)}: {format_amount(amount)}</title></rect>"
        )
        x += segment
        legend.append(
            f'<li><span class="swatch" style="background:{colour}"></span>'
            f"{escape(name)}: {format_amount(amount)}</li>"
        )
    parts.append("</svg>")
    value_item = (
        f'<li><span class="swatch" style="background:{VALUE_COLOUR}"></span>'
        f"value: {format_amount(money.annual_value)}</li>"
    )
    return (
        '<figure class="chart-box">'
        + "".join(parts)
        + f'<figcaption><ul class="legend">{value_item}{"".join(legend)}</ul></figcaption>'
        "</figure>"
    )


# -- the gate ------------------------------------------------------------------------------------


def _gate(decision: GateDecision) -> str:
    """The day-90 decision, shown only when one was made (`prodcheck gate` decides it)."""
    word = decision.decision.label.upper()
    tone = {"GO": "good", "STOP": "bad"}.get(word, "neutral")
    reasons = "".join(f"<li>{_inline(reason)}</li>" for reason in decision.reasons)
    return (
        f'<section id="gate" data-decision="{escape(word)}" aria-labelledby="gate-title">'
        '<h2 id="gate-title">Day-90 decision</h2>'
        f'<p class="decision {tone}">{escape(word)}</p>'
        f"<ul>{reasons}</ul></section>"
    )


# -- header, timeline, principles ------------------------------------------------------------------


def _header(result: AuditResult, root_name: str, headline: str, details: str) -> str:
    counts = [
        ("errors", len(result.errors)),
        ("warnings", len(result.warnings)),
        ("suppressed", len(result.suppressed)),
    ]
    badges = "".join(
        f'<li class="count {name}"><span data-count="{name}">{count}</span> '
        f"{name if count != 1 or name == 'suppressed' else name[:-1]}</li>"
        for name, count in counts
    )
    tone = "good" if result.exit_code == 0 else "bad"
    return (
        "<header>"
        '<p class="eyebrow">prodcheck readiness report</p>'
        f'<h1 id="project">{escape(root_name)}</h1>'
        f'<p class="verdict {tone}" id="verdict"><strong>{escape(headline)}</strong>'
        f"<span>{_inline(details)}</span></p>"
        f'<ul class="counts" aria-label="{escape(summary(result))}">{badges}</ul>'
        "</header>"
    )


def _timeline(result: AuditResult) -> str:
    judged = result.verdict
    if result.files_mode or judged.reached is None:
        return (
            '<section id="stage" data-reached="" aria-labelledby="stage-title">'
            '<h2 id="stage-title">The 30-60-90 path</h2>'
            "<p>Only the given files were checked, so no stage is judged.</p></section>"
        )
    reached = judged.reached
    steps = []
    for stage in range(FINAL_STAGE + 1):
        state = "reached" if stage <= reached else ("next" if stage == reached + 1 else "ahead")
        current = ' aria-current="step"' if stage == reached else ""
        target = " target" if stage == judged.target else ""
        steps.append(
            f'<li class="step {state}{target}" data-stage="{stage}" data-state="{state}"'
            f"{current}>"
            f'<span class="dot" aria-hidden="true">{stage}</span>'
            f'<span class="when">{STAGE_DAYS[stage]}</span>'
            f'<span class="name">{escape(STAGE_NAMES[stage])}</span>'
            + ('<span class="tag">target</span>' if target else "")
            + "</li>"
        )
    blockers = ""
    if reached < FINAL_STAGE and judged.next_blockers:
        items = "".join(
            f'<li data-blocker="{escape(rule_id)}">{_rule_link(rule_id)} '
            f"<code>{escape(result.rule(rule_id).slug)}</code>: "
            f"{_inline(result.rule(rule_id).remedy)}</li>"
            for rule_id in judged.next_blockers
        )
        blockers = (
            f'<div class="blockers"><h3>What blocks stage {reached + 1}</h3>'
            f'<ul id="next-blockers">{items}</ul></div>'
        )
    return (
        f'<section id="stage" data-reached="{reached}" data-target="{judged.target}" '
        f'aria-labelledby="stage-title"><h2 id="stage-title">The 30-60-90 path</h2>'
        f'<ol class="timeline" style="--progress:{reached / FINAL_STAGE:.3f}">'
        f"{''.join(steps)}</ol>{blockers}</section>"
    )


def _principles(result: AuditResult) -> str:
    cards = []
    for principle in Principle:
        ran = [rule for rule in result.rules if rule.principle is principle]
        found = [f for f in result.findings if result.rule(f.rule_id).principle is principle]
        if not ran and not found:
            continue
        failing = {f.rule_id for f in found}
        errors = sum(1 for f in found if f.severity is Severity.ERROR)
        warnings = len(found) - errors
        passed = sum(1 for rule in ran if rule.id not in failing)
        tone = "bad" if errors else ("warn" if warnings else "good")
        cards.append(
            f'<article class="principle {tone}" data-principle="{principle.value}" '
            f'data-rules="{len(ran)}" data-passed="{passed}" data-errors="{errors}" '
            f'data-warnings="{warnings}">'
            f"<h3>{escape(principle.value.replace('-', ' ').capitalize())}</h3>"
            f'<p class="ratio"><strong>{passed}</strong> of {len(ran)} rules pass</p>'
            f'<meter min="0" max="{max(len(ran), 1)}" value="{passed}" '
            f'aria-label="{passed} of {len(ran)} rules pass"></meter>'
            f'<p class="tally"><span class="{"err" if errors else "none"}">'
            f"{plural(errors, 'error')}</span> · "
            f'<span class="{"wrn" if warnings else "none"}">'
            f"{plural(warnings, 'warning')}</span></p>"
            "</article>"
        )
    if not cards:
        return ""
    return (
        '<section id="principles" aria-labelledby="principles-title">'
        '<h2 id="principles-title">By principle</h2>'
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


# -- findings --------------------------------------------------------------------------------------


def _findings(result: AuditResult) -> str:
    if not result.findings:
        return (
            '<section id="findings" data-count="0"><h2>Findings</h2>'
            "<p>Nothing to fix: every rule that ran passes.</p></section>"
        )
    ordered = sorted(
        result.findings,
        key=lambda f: (result.rule(f.rule_id).stage, f.severity is not Severity.ERROR, f.sort_key),
    )
    groups = []
    for stage, of_stage in groupby(ordered, key=lambda f: result.rule(f.rule_id).stage):
        items = "".join(_finding(result, finding) for finding in of_stage)
        groups.append(
            f'<section class="stage-findings" data-stage="{stage}">'
            f"<h3>{escape(section_title(stage))}</h3><ul>{items}</ul></section>"
        )
    return (
        f'<section id="findings" data-count="{len(result.findings)}" '
        'aria-labelledby="findings-title"><h2 id="findings-title">Findings</h2>'
        f"{''.join(groups)}</section>"
    )


def _finding(result: AuditResult, finding: Finding) -> str:
    rule = result.rule(finding.rule_id)
    where = location(finding)
    severity = finding.severity.value
    return (
        f'<li class="finding {severity}" data-rule="{escape(rule.id)}" '
        f'data-severity="{severity}">'
        f'<div class="head"><span class="sev {severity}">{severity}</span> '
        f'{_rule_link(rule.id)} <code class="slug">{escape(rule.slug)}</code>'
        f'<span class="where">{escape(where) if where else "repository"}</span></div>'
        f'<p class="message">{_inline(finding.message)}</p>'
        f'<p class="remedy"><span class="label">Fix:</span> {_inline(rule.remedy)}</p>'
        "</li>"
    )


def _suppressed(result: AuditResult) -> str:
    if not result.suppressed:
        return ""
    items = "".join(
        f'<li data-rule="{escape(s.finding.rule_id)}">{_rule_link(s.finding.rule_id)} '
        f'<span class="where">{escape(location(s.finding) or "repository")}</span>: '
        f"{_inline(s.finding.message)} <em>suppressed via {escape(s.suppression.via)}: "
        f"{escape(s.suppression.reason)}</em></li>"
        for s in result.suppressed
    )
    count = len(result.suppressed)
    return (
        f'<section id="suppressed" data-count="{count}"><details>'
        f"<summary>{count} suppressed finding{'' if count == 1 else 's'}</summary>"
        f"<ul>{items}</ul></details></section>"
    )


def _rule_link(rule_id: str) -> str:
    return f'<a class="rule" href="{escape(rule_docs_url(rule_id))}">{escape(rule_id)}</a>'


def _inline(text: str) -> str:
    """Escaped text, with the backtick spans messages use for paths shown as code."""
    return "".join(
        f"<code>{escape(part)}</code>" if index % 2 else escape(part)
        for index, part in enumerate(CODE_SPAN.split(text))
    )


STYLE = """
:root{--ink:#1d232a;--muted:#4f5b66;--line:#d5dbe1;--paper:#fff;--soft:#f4f6f8;
--good:#1b7a3d;--bad:#b3261e;--warn:#8a5300;--accent:#1f5fa8}
*{box-sizing:border-box}
body{margin:0;background:var(--soft);color:var(--ink);
font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
main{max-width:1080px;margin:0 auto;padding:24px}
section,header{background:var(--paper);border:1px solid var(--line);border-radius:10px;
padding:20px 24px;margin:0 0 18px}
h1{margin:0 0 8px;font-size:28px}h2{margin:0 0 14px;font-size:19px}
h3{margin:0 0 8px;font-size:16px}
code{font:13px/1.4 ui-monospace,"DejaVu Sans Mono",monospace;background:var(--soft);
padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
a{color:var(--accent)}
.eyebrow{margin:0;text-transform:uppercase;letter-spacing:.08em;font-size:12px;color:var(--muted)}
.verdict{margin:0 0 12px;padding:10px 14px;border-left:5px solid;border-radius:4px;
background:var(--soft)}
.verdict strong{display:block;font-size:18px}
.verdict.good{border-color:var(--good)}.verdict.bad{border-color:var(--bad)}
.counts{display:flex;gap:10px;list-style:none;margin:0;padding:0}
.count{border:1px solid var(--line);border-radius:20px;padding:2px 12px;font-size:14px}
.count span{font-weight:700}
.count.errors span{color:var(--bad)}.count.warnings span{color:var(--warn)}
.timeline{display:grid;grid-template-columns:repeat(4,1fr);list-style:none;margin:8px 0 0;
padding:0;position:relative}
.timeline::before{content:"";position:absolute;top:19px;left:12.5%;right:12.5%;height:4px;
background:var(--line)}
.timeline::after{content:"";position:absolute;top:19px;left:12.5%;height:4px;
width:calc(75% * var(--progress));background:var(--good)}
.step{display:flex;flex-direction:column;align-items:center;text-align:center;position:relative;
z-index:1}
.dot{width:42px;height:42px;border-radius:50%;display:flex;align-items:center;
justify-content:center;font-weight:700;border:3px solid var(--line);background:var(--paper);
color:var(--muted)}
.step.reached .dot{background:var(--good);border-color:var(--good);color:#fff}
.step[aria-current] .dot{box-shadow:0 0 0 5px #bfe3cb}
.step.next .dot{border-color:var(--bad);color:var(--bad)}
.when{font-size:12px;color:var(--muted);margin-top:6px}
.name{font-weight:600}
.step[aria-current] .name::after{content:" (reached)";color:var(--good)}
.tag{font-size:11px;border:1px solid var(--muted);border-radius:10px;padding:0 6px;
margin-top:4px;color:var(--muted)}
.blockers{margin-top:18px;border-top:1px solid var(--line);padding-top:12px}
.blockers ul{margin:0;padding-left:20px}.blockers li{margin:4px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}
.principle{border:1px solid var(--line);border-top:5px solid var(--good);border-radius:8px;
padding:12px 14px}
.principle.bad{border-top-color:var(--bad)}.principle.warn{border-top-color:#d9a21b}
.principle .ratio{margin:0}.principle meter{width:100%}
.tally{margin:4px 0 0;font-size:13px}.err{color:var(--bad)}.wrn{color:var(--warn)}
.none{color:var(--muted)}
.case{display:flex;gap:24px;align-items:center;flex-wrap:wrap}
.chart-box{margin:0;flex:1 1 480px}.chart{width:100%;height:auto}
.axis{font-size:13px;fill:var(--ink)}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 16px;padding:0;margin:6px 0 0;
font-size:13px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;
vertical-align:-1px;print-color-adjust:exact;-webkit-print-color-adjust:exact}
.roi{display:flex;flex-direction:column;align-items:center;min-width:180px;padding:12px;
border:2px solid;border-radius:10px}
.roi.good{border-color:var(--good);color:var(--good)}.roi.bad{border-color:var(--bad);
color:var(--bad)}
.roi .big{font-size:36px;font-weight:800}.roi .label{font-size:12px;letter-spacing:.1em}
.roi span:last-child{font-size:12px;color:var(--muted)}
.decision{font-size:28px;font-weight:800;margin:0}
.decision.good{color:var(--good)}.decision.bad{color:var(--bad)}
.decision.neutral{color:var(--warn)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:12px 0 0}
.facts dt{color:var(--muted)}.facts dd{margin:0}
.stage-findings{border:0;padding:0;margin:0 0 16px}
.stage-findings>ul{list-style:none;margin:0;padding:0}
.finding{border:1px solid var(--line);border-left:5px solid var(--warn);border-radius:6px;
padding:10px 14px;margin:0 0 10px;break-inside:avoid}
.finding.error{border-left-color:var(--bad)}
.head{display:flex;flex-wrap:wrap;gap:8px;align-items:baseline}
.sev{font-size:11px;font-weight:700;text-transform:uppercase;padding:1px 8px;border-radius:10px;
color:#fff;background:var(--warn);print-color-adjust:exact;-webkit-print-color-adjust:exact}
.sev.error{background:var(--bad)}
.rule{font-weight:700}.slug{color:var(--muted)}
.where{margin-left:auto;font:13px ui-monospace,"DejaVu Sans Mono",monospace;color:var(--muted);
overflow-wrap:anywhere}
.message{margin:6px 0}.remedy{margin:0;color:var(--muted);font-size:14px}
.remedy .label{font-weight:700;color:var(--ink)}
#suppressed ul{padding-left:20px}
footer{color:var(--muted);font-size:13px;text-align:center}
@media print{body{background:#fff;font-size:11pt}main{padding:0;max-width:none}
section,header{border:0;padding:0;margin:0 0 14pt}a{color:var(--ink)}
details{display:block}details>summary{list-style:none}
.principle,.finding,#business-case,#stage{break-inside:avoid}}
"""
