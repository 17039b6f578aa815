"""BC001-BC006: the business case is written, complete, profitable, measurable and sponsored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from prodcheck.findings import Finding, Severity
from prodcheck.registry import load_rules
from tests.helpers import audit_tree, run_rule
from tests.rules.conftest import CASE, Builder, Files

LineAt = Callable[[Files, Finding], str]

STAGE_1 = [rule for rule in load_rules() if rule.stage == 1]


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


# -- BC001: the business case exists and has readable front matter ---------------------------


def test_a_complete_business_case_passes(tmp_path: Path, case: Builder) -> None:
    assert run_rule("BC001", tmp_path, case()) == []


def test_a_missing_business_case_names_the_expected_path(tmp_path: Path) -> None:
    finding = only(run_rule("BC001", tmp_path, {"README.md": "# Churn model\n"}))
    assert "no business case at `docs/business-case.md`" in finding.message
    assert finding.path is None


def test_a_business_case_under_another_spelling_is_pointed_at(
    tmp_path: Path, case: Builder
) -> None:
    finding = only(run_rule("BC001", tmp_path, case(path="docs/Business_Case.md")))
    assert "`docs/Business_Case.md`" in finding.message
    assert "`business_case`" in finding.message


def test_the_business_case_path_comes_from_the_configuration(tmp_path: Path, case: Builder) -> None:
    files = {".prodcheck.toml": 'business_case = "docs/case.md"\n', **case(path="docs/case.md")}
    assert run_rule("BC001", tmp_path, files) == []


def test_a_business_case_at_the_default_path_is_not_the_configured_one(
    tmp_path: Path, case: Builder
) -> None:
    files = {".prodcheck.toml": 'business_case = "docs/case.md"\n', **case()}
    assert "no business case at `docs/case.md`" in only(run_rule("BC001", tmp_path, files)).message


def test_prose_without_front_matter_fails_at_line_1(tmp_path: Path) -> None:
    files = {CASE: "# Business case\n\nThe model will save a lot of time.\n"}
    finding = only(run_rule("BC001", tmp_path, files))
    assert "has no YAML front matter" in finding.message
    assert (finding.path, finding.line) == (CASE, 1)


@pytest.mark.parametrize(
    ("text", "says", "line"),
    [
        pytest.param(
            "---\nannual_value: 50000\n# no closing fence\n", "never closed", 1, id="unclosed"
        ),
        pytest.param(
            "---\nproblem: [routing tickets\nannual_value: 50000\n---\n",
            "cannot be read",
            None,
            id="not-yaml",
        ),
        pytest.param(
            "---\n- annual_value\n- annual_cost\n---\n", "is a list, not a mapping", 2, id="a-list"
        ),
        pytest.param("---\n---\n# Business case\n", "is empty, not a mapping", 1, id="empty"),
        pytest.param(
            "---\ndecision_date: 2025-02-30\n---\n",
            "day is out of range",
            None,
            id="impossible-date",
        ),
    ],
)
def test_unreadable_front_matter_is_a_finding_not_a_crash(
    tmp_path: Path, text: str, says: str, line: int | None
) -> None:
    finding = only(run_rule("BC001", tmp_path, {CASE: text}))
    assert says in finding.message
    assert finding.path == CASE
    if line is not None:
        assert finding.line == line


def test_a_cost_that_refers_to_itself_is_judged_not_a_crash(tmp_path: Path) -> None:
    findings = run_rule("BC002", tmp_path, {CASE: "---\nannual_cost: &cost [*cost]\n---\n"})
    assert any("annual_cost" in f.message for f in findings)


def test_a_binary_business_case_cannot_be_read(tmp_path: Path) -> None:
    finding = only(run_rule("BC001", tmp_path, {CASE: b"---\n\x00\x01\x02"}))
    assert "could not be read as text" in finding.message


# -- BC002: every key is filled in and typed -------------------------------------------------


def test_every_filled_in_key_passes(tmp_path: Path, case: Builder) -> None:
    assert run_rule("BC002", tmp_path, case()) == []


@pytest.mark.parametrize(
    "key",
    [
        "problem",
        "annual_value",
        "annual_cost",
        "currency",
        "horizon_years",
        "success_metrics",
        "decision_date",
    ],
)
def test_a_missing_key_is_reported_at_the_opening_fence(
    tmp_path: Path, case: Builder, key: str
) -> None:
    finding = only(run_rule("BC002", tmp_path, case(omit=[key])))
    assert f"does not give `{key}`" in finding.message
    assert finding.line == 1


@pytest.mark.parametrize(
    "placeholder",
    ["TODO", "tbd", "TBC: ask finance", "<fill me>", "?", "...", "n/a", "FIXME", "", None, 0],
)
def test_a_placeholder_counts_as_missing(
    tmp_path: Path, case: Builder, line_at: LineAt, placeholder: object
) -> None:
    files = case(annual_value=placeholder)
    finding = only(run_rule("BC002", tmp_path, files))
    assert "a placeholder for the value the model brings each year" in finding.message
    assert line_at(files, finding).startswith("annual_value:")


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("50k", "50000"),
        ("$50,000", "50000"),
        ("50,000", "50000"),
        ("EUR 1.5M", "1500000"),
        ("50.000 €", "50000"),
        ("5e4", "50000"),
        ("50000", "50000"),
    ],
)
def test_an_amount_written_as_text_is_rejected_with_the_plain_number(
    tmp_path: Path, case: Builder, line_at: LineAt, text: str, plain: str
) -> None:
    files = case(annual_value=text)
    finding = only(run_rule("BC002", tmp_path, files))
    assert f"write the plain number {plain} and put the currency in `currency`" in finding.message
    assert line_at(files, finding).startswith("annual_value:")


@pytest.mark.parametrize("value", ["a lot", True, -50_000, [50_000], float("inf")])
def test_annual_value_must_be_a_positive_number(
    tmp_path: Path, case: Builder, value: object
) -> None:
    finding = only(run_rule("BC002", tmp_path, case(annual_value=value)))
    assert "`annual_value`" in finding.message
    assert "not a number" in finding.message or "is negative" in finding.message


@pytest.mark.parametrize(
    "cost",
    [
        pytest.param(120_000, id="a-number"),
        pytest.param({"build": 0, "run": 24_000, "maintenance": 36_000}, id="a-line-of-0"),
        pytest.param(
            {"build": 50_000, "team": {"data_scientist": 40_000, "ml_engineer": 30_000}},
            id="nested-lines",
        ),
    ],
)
def test_annual_cost_is_a_number_or_a_map_of_cost_lines(
    tmp_path: Path, case: Builder, cost: object
) -> None:
    assert run_rule("BC002", tmp_path, case(annual_cost=cost)) == []


@pytest.mark.parametrize(
    ("cost", "key", "says"),
    [
        ({"build": 60_000, "run": "2k/month"}, "annual_cost.run", "is '2k/month', not a number"),
        ({"build": 60_000, "run": "24,000"}, "annual_cost.run", "write the plain number 24000"),
        ({"run": 24_000, "team": {"mle": "TBD"}}, "annual_cost.team.mle", "placeholder"),
        (
            {"run": 24_000, "savings": -10_000},
            "annual_cost.savings",
            "put savings in `annual_value`",
        ),
        ({"build": 0, "run": 0}, "annual_cost", "adds up to 0"),
    ],
)
def test_a_bad_cost_line_is_named_and_pointed_at(
    tmp_path: Path, case: Builder, line_at: LineAt, cost: object, key: str, says: str
) -> None:
    files = case(annual_cost=cost)
    finding = only(run_rule("BC002", tmp_path, files))
    assert f"`{key}` in `{CASE}`" in finding.message
    assert says in finding.message
    assert line_at(files, finding).strip().startswith(key.rsplit(".", 1)[-1] + ":")


@pytest.mark.parametrize("currency", ["EUR", "usd", "Chf"])
def test_a_three_letter_currency_code_passes(tmp_path: Path, case: Builder, currency: str) -> None:
    assert run_rule("BC002", tmp_path, case(currency=currency)) == []


@pytest.mark.parametrize(
    ("currency", "says"),
    [
        ("$", "write its 3-letter ISO 4217 code, such as USD"),
        ("€", "such as EUR"),
        ("dollars", "not a 3-letter ISO 4217 code"),
        ("XXX", "placeholder"),
    ],
)
def test_a_currency_symbol_or_word_is_rejected(
    tmp_path: Path, case: Builder, currency: str, says: str
) -> None:
    assert says in only(run_rule("BC002", tmp_path, case(currency=currency))).message


@pytest.mark.parametrize(
    "decision_date", [date(2025, 9, 30), "2025-09-30"], ids=["yaml-date", "iso-string"]
)
def test_the_decision_date_is_a_date_or_an_iso_string(
    tmp_path: Path, case: Builder, decision_date: object
) -> None:
    assert run_rule("BC002", tmp_path, case(decision_date=decision_date)) == []


@pytest.mark.parametrize(
    ("decision_date", "says"),
    [
        ("Q3 2025", "not a date written as YYYY-MM-DD"),
        ("2025-02-30", "not a real date"),
        ("TBD", "placeholder"),
    ],
)
def test_a_vague_decision_date_is_rejected(
    tmp_path: Path, case: Builder, decision_date: str, says: str
) -> None:
    assert says in only(run_rule("BC002", tmp_path, case(decision_date=decision_date))).message


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"horizon_years": "3 years"}, "`horizon_years` in `docs/business-case.md` is '3 years'"),
        ({"horizon_years": -1}, "`horizon_years` in `docs/business-case.md` is negative"),
        ({"success_metrics": "accuracy"}, "not a list of metrics"),
        ({"success_metrics": []}, "`success_metrics` in `docs/business-case.md` is still empty"),
        ({"problem": 42}, "`problem` in `docs/business-case.md` is 42, not a sentence"),
    ],
)
def test_other_keys_are_typed(
    tmp_path: Path, case: Builder, fields: dict[str, Any], says: str
) -> None:
    assert says in only(run_rule("BC002", tmp_path, case(**fields))).message


def test_each_bad_key_is_its_own_finding(tmp_path: Path, case: Builder, line_at: LineAt) -> None:
    files = case(annual_value="50k", currency="$")
    findings = run_rule("BC002", tmp_path, files)
    assert sorted(line_at(files, f).split(":")[0] for f in findings) == ["annual_value", "currency"]


# -- BC003: the prize outweighs the cost -----------------------------------------------------


def test_a_profitable_case_passes(tmp_path: Path, case: Builder) -> None:
    assert run_rule("BC003", tmp_path, case()) == []


def test_the_seed_example_shows_its_arithmetic(
    tmp_path: Path, case: Builder, line_at: LineAt
) -> None:
    files = case(annual_value=50_000, annual_cost=500_000)
    finding = only(run_rule("BC003", tmp_path, files))
    assert finding.message == (
        "50,000 EUR of annual value against 500,000 EUR of annual cost is an ROI of -90%, below "
        "the minimum of 0%: the pilot is not worth shipping as planned"
    )
    assert line_at(files, finding).startswith("annual_value:")


def test_cost_lines_are_summed_into_the_arithmetic(tmp_path: Path, case: Builder) -> None:
    cost = {"run": 50_000, "maintenance": 100_000, "team": {"data_scientist": 50_000}}
    finding = only(run_rule("BC003", tmp_path, case(annual_value=100_000, annual_cost=cost)))
    assert "against 200,000 EUR of annual cost is an ROI of -50%" in finding.message


def test_a_one_off_build_cost_is_spread_over_the_horizon(tmp_path: Path, case: Builder) -> None:
    """As `prodcheck gate` counts it: 150,000 to build over 3 years weighs 50,000 a year."""
    cost = {"build": 150_000, "run": 50_000, "team": {"data_scientist": 50_000}}
    files = case(annual_value=100_000, annual_cost=cost, horizon_years=3)
    finding = only(run_rule("BC003", tmp_path, files))
    assert (
        "against 150,000 EUR of annual cost (the one-off build spread over 3 years) "
        "is an ROI of -33%"
    ) in finding.message


def test_break_even_meets_the_default_minimum(tmp_path: Path, case: Builder) -> None:
    assert run_rule("BC003", tmp_path, case(annual_value=120_000)) == []


@pytest.mark.parametrize(("value", "passes"), [(120_000, False), (125_000, True)])
def test_the_minimum_roi_comes_from_the_configuration(
    tmp_path: Path, case: Builder, value: int, passes: bool
) -> None:
    files = {".prodcheck.toml": "min_roi = 0.25\n", **case(annual_value=value, annual_cost=100_000)}
    findings = run_rule("BC003", tmp_path, files)
    if passes:
        assert findings == []
    else:
        assert "an ROI of 20%, below the minimum of 25% (`min_roi`)" in only(findings).message


@pytest.mark.parametrize(
    ("value", "cost", "roi"),
    [(1, 3, "-67%"), (99_999, 100_000, "-0.001%"), (1_000, 1_001.5, "-0.1%")],
)
def test_percentages_are_rounded_but_never_to_the_minimum(
    tmp_path: Path, case: Builder, value: float, cost: float, roi: str
) -> None:
    finding = only(run_rule("BC003", tmp_path, case(annual_value=value, annual_cost=cost)))
    assert f"is an ROI of {roi}, below the minimum of 0%" in finding.message


def test_unusable_amounts_are_left_to_bc002(tmp_path: Path, case: Builder) -> None:
    assert run_rule("BC003", tmp_path, case(annual_value="50k", annual_cost=500_000)) == []


# -- BC004: success metrics are measurable, and one measures the business --------------------


def test_measurable_metrics_with_a_business_one_pass(tmp_path: Path, case: Builder) -> None:
    assert run_rule("BC004", tmp_path, case()) == []


BUSINESS_METRIC = {"name": "hours_saved", "kind": "business", "target": 500, "direction": "higher"}


@pytest.mark.parametrize(
    ("change", "says", "points_at"),
    [
        ({"target": None}, "`target` is missing", "- name:"),
        ({"target": "high"}, "`target` is 'high', not a number", "target:"),
        ({"target": "95%"}, "`target` is '95%', not a number", "target:"),
        (
            {"target": "1,000"},
            "`target` is the text '1,000'; write the plain number 1000",
            "target:",
        ),
        ({"target": True}, "`target` is true, not a number", "target:"),
        ({"direction": "up"}, "`direction` is 'up', not higher or lower", "direction:"),
        ({"name": "TODO"}, "`name` is still 'TODO'", "- name:"),
    ],
)
def test_a_metric_without_name_numeric_target_or_direction_is_pointed_at(
    tmp_path: Path,
    case: Builder,
    line_at: LineAt,
    change: dict[str, Any],
    says: str,
    points_at: str,
) -> None:
    metric = {k: v for k, v in {**BUSINESS_METRIC, **change}.items() if v is not None}
    files = case(success_metrics=[metric])
    finding = only(run_rule("BC004", tmp_path, files))
    assert "cannot tell success from failure" in finding.message
    assert says in finding.message
    assert line_at(files, finding).strip().startswith(points_at)


def test_a_metric_is_named_in_its_finding(tmp_path: Path, case: Builder) -> None:
    metric = {**BUSINESS_METRIC, "direction": "maximize"}
    finding = only(run_rule("BC004", tmp_path, case(success_metrics=[metric])))
    assert finding.message.startswith("success metric `hours_saved` in `docs/business-case.md`")


def test_each_broken_metric_is_its_own_finding(tmp_path: Path, case: Builder) -> None:
    metrics = [BUSINESS_METRIC, {"name": "f1", "target": 0.9}, {"name": "auc", "direction": "up"}]
    findings = run_rule("BC004", tmp_path, case(success_metrics=metrics))
    assert [f.message.split(" in ")[0] for f in findings] == [
        "success metric `f1`",
        "success metric `auc`",
    ]


def test_a_metric_that_is_not_a_mapping_is_reported(tmp_path: Path, case: Builder) -> None:
    findings = run_rule("BC004", tmp_path, case(success_metrics=[BUSINESS_METRIC, "accuracy"]))
    assert (
        "success metric 2 in `docs/business-case.md` is 'accuracy', not a mapping"
        in only(findings).message
    )


def test_model_metrics_alone_are_not_enough(tmp_path: Path, case: Builder, line_at: LineAt) -> None:
    files = case(
        success_metrics=[{"name": "f1", "kind": "model", "target": 0.9, "direction": "higher"}]
    )
    finding = only(run_rule("BC004", tmp_path, files))
    assert "has `kind: business`" in finding.message
    assert line_at(files, finding).startswith("success_metrics:")


def test_direction_and_kind_are_case_insensitive(tmp_path: Path, case: Builder) -> None:
    metric = {**BUSINESS_METRIC, "kind": "Business", "direction": "Higher"}
    assert run_rule("BC004", tmp_path, case(success_metrics=[metric])) == []


@pytest.mark.parametrize("metrics", [None, "accuracy", []])
def test_missing_metrics_are_left_to_bc002(tmp_path: Path, case: Builder, metrics: object) -> None:
    files = case(success_metrics=metrics) if metrics is not None else case(omit=["success_metrics"])
    assert run_rule("BC004", tmp_path, files) == []


# -- BC005 and BC006: sponsors ---------------------------------------------------------------


def test_named_sponsors_pass(tmp_path: Path, owners: Builder) -> None:
    assert run_rule("BC005", tmp_path, owners()) == []
    assert run_rule("BC006", tmp_path / "backup", owners()) == []


def test_without_owners_no_executive_sponsor_is_named(tmp_path: Path, case: Builder) -> None:
    finding = only(run_rule("BC005", tmp_path, case()))
    assert finding.message.startswith(
        "no `OWNERS` file at the repository root names the `executive_sponsor`"
    )
    assert finding.severity is Severity.ERROR


def test_an_owners_file_without_a_sponsor_fails(tmp_path: Path, owners: Builder) -> None:
    finding = only(run_rule("BC005", tmp_path, owners(omit=["executive_sponsor"])))
    assert "`OWNERS` does not name the `executive_sponsor`" in finding.message


@pytest.mark.parametrize(
    ("sponsor", "says"),
    [
        (
            "Dana Whitfield",
            "is 'Dana Whitfield', which is not a handle (@name or @org/team) or an email",
        ),
        ("<executive sponsor>", "placeholder"),
        ("TBD", "placeholder"),
        ([], "empty"),
    ],
)
def test_an_unusable_sponsor_is_pointed_at(
    tmp_path: Path, owners: Builder, line_at: LineAt, sponsor: object, says: str
) -> None:
    files = owners(executive_sponsor=sponsor)
    finding = only(run_rule("BC005", tmp_path, files))
    assert says in finding.message
    assert line_at(files, finding).startswith("executive_sponsor:")


@pytest.mark.parametrize(
    "sponsor",
    [
        "@dana-whitfield",
        "@acme/leadership",
        "dana@acme.example",
        "Dana Whitfield <dana@acme.example>",
        ["@dana-whitfield", "cfo@acme.example"],
    ],
)
def test_a_sponsor_is_a_handle_an_email_or_a_list(
    tmp_path: Path, owners: Builder, sponsor: object
) -> None:
    assert run_rule("BC005", tmp_path, owners(executive_sponsor=sponsor)) == []


def test_the_sponsor_is_judged_even_when_other_roles_are_missing(
    tmp_path: Path, owners: Builder
) -> None:
    result = audit_tree(tmp_path, owners(omit=["data_owner"]), select=["OWN001", "BC005"])
    assert [f.rule_id for f in result.findings] == ["OWN001"]


def test_a_broken_owners_file_names_no_sponsor(tmp_path: Path) -> None:
    finding = only(run_rule("BC005", tmp_path, {"OWNERS": "executive_sponsor: [@dana\n"}))
    assert "cannot be read as a mapping of roles (see OWN001)" in finding.message


def test_a_missing_backup_sponsor_is_a_warning(tmp_path: Path, owners: Builder) -> None:
    finding = only(run_rule("BC006", tmp_path, owners(omit=["backup_sponsor"])))
    assert "does not name the `backup_sponsor`" in finding.message
    assert finding.severity is Severity.WARNING


@pytest.mark.parametrize("backup", ["@dana-whitfield", "@Dana-Whitfield", ["@DANA-WHITFIELD"]])
def test_the_backup_sponsor_must_be_someone_else(
    tmp_path: Path, owners: Builder, line_at: LineAt, backup: object
) -> None:
    files = owners(backup_sponsor=backup)
    finding = only(run_rule("BC006", tmp_path, files))
    assert "is the executive sponsor" in finding.message
    assert line_at(files, finding).startswith("backup_sponsor:")


def test_a_backup_list_with_someone_else_passes(tmp_path: Path, owners: Builder) -> None:
    files = owners(backup_sponsor=["@dana-whitfield", "coo@acme.example"])
    assert run_rule("BC006", tmp_path, files) == []


# -- stage 1 as a whole ----------------------------------------------------------------------


def test_a_repo_without_a_business_case_is_in_pilot_purgatory(
    tmp_path: Path, owners: Builder
) -> None:
    result = audit_tree(tmp_path, {**owners(), "notebooks/churn.ipynb": "{}"})
    assert result.verdict.reached == 0
    assert "BC001" in result.verdict.next_blockers


def test_a_complete_profitable_owned_repo_reaches_stage_1(
    tmp_path: Path, case: Builder, owners: Builder
) -> None:
    files = {
        **case(),
        **owners(),
        ".github/CODEOWNERS": "* @acme/ml-team\n",
        "src/routing/train.py": "def train():\n    ...\n",
    }
    result = audit_tree(tmp_path, files, stage=3)
    assert result.verdict.reached is not None and result.verdict.reached >= 1
    assert [f for f in result.errors if result.rule(f.rule_id).stage == 1] == []


def test_the_seed_example_is_blocked_by_its_roi(
    tmp_path: Path, case: Builder, owners: Builder
) -> None:
    result = audit_tree(tmp_path, {**case(annual_value=50_000, annual_cost=500_000), **owners()})
    assert result.verdict.reached == 0
    assert result.verdict.next_blockers == ("BC003",)
    assert "an ROI of -90%" in only([f for f in result.findings if f.rule_id == "BC003"]).message
