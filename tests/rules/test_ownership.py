"""OWN001-OWN003: named owners for every role, more than one of them, and for every code path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prodcheck.findings import Finding, Severity
from tests.helpers import audit_tree, run_rule
from tests.rules.conftest import Builder, Files

LineAt = Callable[[Files, Finding], str]

NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'
MODULE = "def train():\n    ...\n"


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, [f.message for f in findings]
    return findings[0]


# -- OWN001: every role is named -------------------------------------------------------------


def test_a_complete_owners_file_passes(tmp_path: Path, owners: Builder) -> None:
    assert run_rule("OWN001", tmp_path, owners()) == []


@pytest.mark.parametrize("name", ["OWNERS.yaml", "OWNERS.yml"])
def test_the_owners_file_may_carry_a_yaml_extension(
    tmp_path: Path, owners: Builder, name: str
) -> None:
    assert run_rule("OWN001", tmp_path, {name: owners()["OWNERS"]}) == []


def test_without_an_owners_file_nobody_owns_the_model(tmp_path: Path) -> None:
    finding = only(run_rule("OWN001", tmp_path, {"src/churn/train.py": MODULE}))
    assert finding.message.startswith("no `OWNERS` file at the repository root")
    assert "nobody owns the model" in finding.message


def test_an_owners_file_in_a_subdirectory_does_not_count(tmp_path: Path, owners: Builder) -> None:
    assert len(run_rule("OWN001", tmp_path, {"docs/OWNERS": owners()["OWNERS"]})) == 1


def test_a_kubernetes_owners_file_says_which_roles_are_missing(tmp_path: Path) -> None:
    files = {"OWNERS": "approvers:\n  - maria-lopez\nreviewers:\n  - ken-okafor\n"}
    finding = only(run_rule("OWN001", tmp_path, files))
    assert (
        "does not name `model_owner`, `data_owner`, `engineering_owner` and `on_call`"
        in finding.message
    )
    assert "Kubernetes" in finding.message


def test_only_the_missing_roles_are_named(tmp_path: Path, owners: Builder) -> None:
    finding = only(run_rule("OWN001", tmp_path, owners(omit=["on_call"])))
    assert "`OWNERS` does not name `on_call`:" in finding.message
    assert finding.line == 1


def test_broken_yaml_is_a_finding_with_its_line(tmp_path: Path) -> None:
    files = {"OWNERS": "model_owner: maria\ndata_owner: [ken\non_call: ops\n"}
    finding = only(run_rule("OWN001", tmp_path, files))
    assert "`OWNERS` is not valid YAML" in finding.message
    assert finding.line is not None


def test_an_alias_loop_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    findings = run_rule("OWN001", tmp_path, {"OWNERS": "model_owner: &me [*me]\n"})
    assert any("`model_owner`" in f.message for f in findings), findings


def test_an_unquoted_handle_gets_a_quoting_hint(tmp_path: Path) -> None:
    finding = only(run_rule("OWN001", tmp_path, {"OWNERS": "model_owner: @maria-lopez\n"}))
    assert 'quote handles, as in `model_owner: "@jane"`' in finding.message
    assert finding.line == 1


@pytest.mark.parametrize(
    ("text", "says"),
    [("- '@maria'\n- '@ken'\n", "is a list, not a mapping"), ("", "is empty, not a mapping")],
)
def test_an_owners_file_that_is_not_a_mapping_fails(tmp_path: Path, text: str, says: str) -> None:
    assert says in only(run_rule("OWN001", tmp_path, {"OWNERS": text})).message


@pytest.mark.parametrize(
    "owner",
    [
        "@maria-lopez",
        "@acme/ml-team",
        "maria@acme.example",
        "Maria Lopez <maria@acme.example>",
        ["@maria-lopez", "ken@acme.example"],
    ],
)
def test_a_role_holds_handles_or_emails(tmp_path: Path, owners: Builder, owner: object) -> None:
    assert run_rule("OWN001", tmp_path, owners(model_owner=owner)) == []


@pytest.mark.parametrize(
    ("owner", "says"),
    [
        ("Maria Lopez", "is 'Maria Lopez', which is not a handle (@name or @org/team) or an email"),
        ("maria", "is 'maria', which is not a handle"),
        ("@", "is '@', which is not a handle"),
        ("TBD", "is still 'TBD', a placeholder"),
        ("<model owner>", "is still '<model owner>', a placeholder"),
        ("@todo", "is still '@todo', a placeholder"),
        ("", "is still empty"),
        (None, "is still empty"),
        ([], "is still empty"),
        (42, "is 42, which is not a handle"),
        ({"name": "Maria", "github": "@maria"}, "is a mapping, which is not a handle"),
        (["@maria-lopez", "Ken"], "lists 'Ken', which is not a handle"),
    ],
)
def test_an_unusable_owner_is_pointed_at(
    tmp_path: Path, owners: Builder, line_at: LineAt, owner: object, says: str
) -> None:
    files = owners(model_owner=owner)
    finding = only(run_rule("OWN001", tmp_path, files))
    assert f"`model_owner` in `OWNERS` {says}" in finding.message
    assert line_at(files, finding).startswith("model_owner:")


def test_missing_and_unusable_roles_are_separate_findings(tmp_path: Path, owners: Builder) -> None:
    findings = run_rule("OWN001", tmp_path, owners(omit=["data_owner"], on_call="ops team"))
    assert len(findings) == 2


# -- OWN002: not every role held by one person -----------------------------------------------


def test_distinct_owners_pass(tmp_path: Path, owners: Builder) -> None:
    assert run_rule("OWN002", tmp_path, owners()) == []


@pytest.mark.parametrize(
    "roles",
    [
        pytest.param(
            {
                "model_owner": "@maria",
                "data_owner": "@Maria",
                "engineering_owner": "@MARIA",
                "on_call": "@maria",
            },
            id="case-variants",
        ),
        pytest.param(
            {
                "model_owner": ["@maria"],
                "data_owner": "@maria",
                "engineering_owner": ["@maria", "@Maria"],
                "on_call": "@maria",
            },
            id="lists",
        ),
    ],
)
def test_one_person_holding_every_role_is_a_warning(
    tmp_path: Path, owners: Builder, roles: dict[str, object]
) -> None:
    finding = only(run_rule("OWN002", tmp_path, owners(**roles)))
    assert finding.message.startswith("`@maria` holds every role in `OWNERS`")
    assert finding.severity is Severity.WARNING


def test_one_team_holding_every_role_is_not_one_person(tmp_path: Path, owners: Builder) -> None:
    team = "@acme/churn-squad"
    files = owners(model_owner=team, data_owner=team, engineering_owner=team, on_call=team)
    assert run_rule("OWN002", tmp_path, files) == []


def test_a_shared_role_is_not_one_person_holding_all(tmp_path: Path, owners: Builder) -> None:
    files = owners(
        model_owner="@maria",
        data_owner="@maria",
        engineering_owner="@maria",
        on_call=["@maria", "@ken"],
    )
    assert run_rule("OWN002", tmp_path, files) == []


def test_one_person_is_not_judged_while_roles_are_unusable(tmp_path: Path, owners: Builder) -> None:
    files = owners(
        model_owner="@maria", data_owner="@maria", engineering_owner="@maria", on_call="maria"
    )
    result = audit_tree(tmp_path, files, select=["OWN001", "OWN002"])
    assert [f.rule_id for f in result.findings] == ["OWN001"]


# -- OWN003: CODEOWNERS covers the code ------------------------------------------------------


def test_a_catch_all_codeowners_passes(tmp_path: Path) -> None:
    files = {
        ".github/CODEOWNERS": "# everyone\n*  @acme/ml-team  # the whole team\n",
        "src/churn/train.py": MODULE,
        "notebooks/explore.ipynb": NOTEBOOK,
        "setup.py": "",
    }
    assert run_rule("OWN003", tmp_path, files) == []


def test_without_codeowners_there_is_one_warning(tmp_path: Path) -> None:
    files = {"src/churn/train.py": MODULE, "src/churn/serve.py": MODULE, "pipeline.py": MODULE}
    finding = only(run_rule("OWN003", tmp_path, files))
    assert finding.message.startswith("no CODEOWNERS file")
    assert finding.severity is Severity.WARNING


def test_a_repo_without_code_needs_no_codeowners(tmp_path: Path, owners: Builder) -> None:
    assert run_rule("OWN003", tmp_path, {**owners(), "README.md": "# Churn\n"}) == []


def test_code_outside_the_owned_paths_is_reported_by_top_level_directory(tmp_path: Path) -> None:
    files = {
        ".github/CODEOWNERS": "/src/ @acme/ml-team\n",
        "src/churn/train.py": MODULE,
        "notebooks/explore.ipynb": NOTEBOOK,
        "notebooks/features.ipynb": NOTEBOOK,
    }
    finding = only(run_rule("OWN003", tmp_path, files))
    assert finding.message.startswith(
        "2 Python or notebook files under `notebooks/` "
        "(`notebooks/explore.ipynb`, `notebooks/features.ipynb`) "
        "have no code owner in `.github/CODEOWNERS`"
    )
    assert finding.path == ".github/CODEOWNERS"


def test_a_big_unowned_directory_is_one_warning_with_a_few_examples(tmp_path: Path) -> None:
    files = {
        "CODEOWNERS": "/src/ @acme/ml-team\n",
        **{f"scripts/job_{n:02}.py": MODULE for n in range(40)},
    }
    finding = only(run_rule("OWN003", tmp_path, files))
    assert "40 Python or notebook files under `scripts/`" in finding.message
    assert "and 37 more" in finding.message


def test_an_unowned_root_module_is_named(tmp_path: Path) -> None:
    files = {
        "CODEOWNERS": "/src/ @acme/ml-team\n",
        "src/churn/train.py": MODULE,
        "pipeline.py": MODULE,
    }
    assert only(run_rule("OWN003", tmp_path, files)).message.startswith(
        "`pipeline.py` has no code owner in `CODEOWNERS`"
    )


def test_a_later_pattern_without_owners_un_owns(tmp_path: Path, line_at: LineAt) -> None:
    files = {
        ".github/CODEOWNERS": "*  @acme/ml-team\n/notebooks/\n",
        "src/churn/train.py": MODULE,
        "notebooks/explore.ipynb": NOTEBOOK,
    }
    finding = only(run_rule("OWN003", tmp_path, files))
    assert "line 2 of `.github/CODEOWNERS` (`/notebooks/`) names no owners" in finding.message
    assert line_at(files, finding) == "/notebooks/"


def test_the_last_matching_pattern_wins(tmp_path: Path) -> None:
    files = {"CODEOWNERS": "/src/\n*.py @acme/ml-team\n", "src/churn/train.py": MODULE}
    assert run_rule("OWN003", tmp_path, files) == []


def test_a_star_pattern_does_not_reach_into_subdirectories(tmp_path: Path) -> None:
    files = {
        "CODEOWNERS": "src/* @acme/ml-team\n",
        "src/app.py": MODULE,
        "src/churn/train.py": MODULE,
    }
    finding = only(run_rule("OWN003", tmp_path, files))
    assert finding.message.startswith("`src/churn/train.py` has no code owner")


def test_the_github_directory_comes_first_in_the_lookup(tmp_path: Path) -> None:
    files = {
        ".github/CODEOWNERS": "/src/ @acme/ml-team\n",
        "CODEOWNERS": "* @acme/ml-team\n",
        "src/churn/train.py": MODULE,
        "notebooks/explore.ipynb": NOTEBOOK,
    }
    assert only(run_rule("OWN003", tmp_path, files)).path == ".github/CODEOWNERS"


def test_codeowners_under_docs_is_found(tmp_path: Path) -> None:
    files = {"docs/CODEOWNERS": "* @acme/ml-team\n", "src/churn/train.py": MODULE}
    assert run_rule("OWN003", tmp_path, files) == []


def test_tests_and_docs_need_no_code_owner(tmp_path: Path) -> None:
    files = {
        "CODEOWNERS": "/src/ @acme/ml-team\n",
        "src/churn/train.py": MODULE,
        "tests/test_train.py": MODULE,
        "src/churn/tests/helpers.py": MODULE,
        "docs/conf.py": "",
        "conftest.py": "",
        "test_smoke.py": MODULE,
        "scripts/train_test.py": MODULE,
    }
    assert run_rule("OWN003", tmp_path, files) == []


def test_a_negation_line_is_skipped_as_github_does(tmp_path: Path) -> None:
    files = {"CODEOWNERS": "* @acme/ml-team\n!/src/\n", "src/churn/train.py": MODULE}
    assert run_rule("OWN003", tmp_path, files) == []
