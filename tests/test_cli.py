"""The command line as a user meets it: verdicts, exit codes, and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prodcheck import __version__
from prodcheck.cli import app
from tests.helpers import build_tree

runner = CliRunner()

PROFITABLE_CASE = {
    "docs/business-case.md": """
        ---
        problem: Customers cancel without warning.
        annual_value: 420000
        annual_cost: {run: 36000, maintenance: 60000, team: 90000}
        currency: EUR
        horizon_years: 3
        decision_date: 2027-03-01
        success_metrics:
          - {name: retained_revenue, kind: business, target: 350000, direction: higher}
        ---
        # Churn prediction
        """,
    "OWNERS": """
        model_owner: "@maria"
        data_owner: "@crm-data"
        engineering_owner: "@ml-platform"
        on_call: oncall@example.com
        executive_sponsor: "@vp-sales"
        backup_sponsor: "@head-of-cx"
        """,
}


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert (code, out.strip()) == (0, f"prodcheck {__version__}")


def test_repo_without_business_case_is_in_purgatory(tmp_path: Path) -> None:
    code, out, _ = invoke("audit", tmp_path)
    assert code == 1
    assert "Stage 0 of 3: pilot purgatory" in out
    assert "BC001" in out


def test_repo_with_profitable_case_and_owners_reaches_stage_1(tmp_path: Path) -> None:
    build_tree(tmp_path, PROFITABLE_CASE)
    code, out, _ = invoke("audit", tmp_path, "--stage", "1")
    assert code == 0, out
    assert "target stage 1 reached" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit", "{tmp}/missing"], "does not exist"),
        (["audit", "{tmp}/file.txt"], "is not a directory"),
        (["audit", "{tmp}", "--format", "xml"], "unknown format 'xml'"),
        (["audit", "{tmp}", "--select", "BC001,NOPE42"], "unknown rule id or family 'NOPE42'"),
        (["audit", "{tmp}", "--ignore", "ZZ"], "unknown rule id or family 'ZZ'"),
        (["audit", "{tmp}", "--stage", "9"], "--stage must be 0-3"),
        (["audit", "{tmp}", "--baseline", "{tmp}/missing.json"], "does not exist"),
        (["explain", "XX999"], "unknown rule id 'XX999'"),
        (["rules", "--format", "yaml"], "unknown format 'yaml'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "file.txt").write_text("not a repository")
    code, out, err = invoke(*(a.format(tmp=tmp_path) for a in args))
    assert code == 2
    assert err.startswith("prodcheck: error: ")
    assert message in err
    assert err.count("\n") == 1
    assert "Traceback" not in out + err


def test_bad_dedicated_config_is_a_usage_error_naming_the_key(tmp_path: Path) -> None:
    build_tree(tmp_path, {".prodcheck.toml": "target_stge = 2\n"})
    code, _, err = invoke("audit", tmp_path)
    assert code == 2
    assert "unknown setting 'target_stge'" in err


def test_config_sets_the_target_stage(tmp_path: Path) -> None:
    build_tree(tmp_path, {**PROFITABLE_CASE, ".prodcheck.toml": "target_stage = 1\n"})
    code, out, _ = invoke("audit", tmp_path)
    assert code == 0, out


def test_output_file_gets_the_report_and_stdout_stays_empty(tmp_path: Path) -> None:
    report = tmp_path.parent / f"{tmp_path.name}-report.json"
    code, out, _ = invoke("audit", tmp_path, "--format", "json", "--output", report)
    assert code == 1
    assert out == ""
    assert json.loads(report.read_text())["stage"]["reached"] == 0


def test_baseline_lets_a_legacy_repo_fail_only_on_new_findings(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    baseline = tmp_path / "baseline.json"
    assert invoke("audit", repo, "--write-baseline", baseline)[0] == 1
    code, out, _ = invoke("audit", repo, "--baseline", baseline, "--stage", "1")
    assert code == 0, out
    assert "suppressed" in out


def test_corrupt_baseline_names_the_file(tmp_path: Path) -> None:
    baseline = tmp_path.parent / f"{tmp_path.name}-baseline.json"
    baseline.write_text("{not json")
    code, _, err = invoke("audit", tmp_path, "--baseline", baseline)
    assert code == 2
    assert str(baseline) in err


def test_files_mode_judges_only_the_given_files(tmp_path: Path) -> None:
    build_tree(tmp_path, {"src/model.py": "import pandas\n"})
    code, out, _ = invoke("audit", tmp_path, tmp_path / "src/model.py")
    assert code == 0, out
    assert "Checked 1 file; no errors" in out


def test_files_outside_the_repository_are_refused(tmp_path: Path) -> None:
    repo = build_tree(tmp_path / "repo", {"a.py": ""})
    outside = build_tree(tmp_path / "other", {"b.py": ""})
    code, _, err = invoke("audit", repo, outside / "b.py")
    assert code == 2
    assert "outside the audited repository" in err


def test_rules_json_lists_every_rule_with_full_metadata() -> None:
    code, out, _ = invoke("rules", "--format", "json")
    assert code == 0
    rules = json.loads(out)
    keys = {
        "id",
        "slug",
        "stage",
        "principle",
        "severity",
        "scope",
        "summary",
        "rationale",
        "remedy",
    }
    assert all(set(r) == keys and all(r[k] != "" for k in keys) for r in rules)
    ids = {r["id"] for r in rules}
    assert {
        "BC001",
        "BC002",
        "BC003",
        "BC004",
        "BC005",
        "BC006",
        "OWN001",
        "OWN002",
        "OWN003",
    } <= ids


def test_rules_text_lists_ids_and_names() -> None:
    code, out, _ = invoke("rules")
    assert code == 0
    assert "BC003" in out


def test_explain_prints_why_and_how() -> None:
    code, out, _ = invoke("explain", "bc003")
    assert code == 0
    assert out.startswith("# BC003: ")
    assert "## Why it matters" in out
    assert "## How to fix it" in out


def test_real_process_prints_json_and_no_traceback(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "prodcheck", "audit", str(tmp_path), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 1
    assert completed.stderr == ""
    report = json.loads(completed.stdout)
    assert report["stage"]["reached"] == 0
    assert "BC001" in report["stage"]["next_blockers"]


def test_real_process_reports_a_missing_path_in_one_line(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "prodcheck", "audit", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"prodcheck: error: {tmp_path / 'nope'} does not exist"
