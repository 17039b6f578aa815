"""Every kind of project the template makes starts at stage 2 of the 30-60-90 path.

"A working system that can accept a model", with nothing to fix: no error at all, and no
warning of stages 1 and 2 either, on every render of the answer matrix.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

from prodcheck.commands.audit import audit_path
from prodcheck.commands.new import questions, template_source
from tests.template.conftest import Render
from tests.template.matrix import VARIANTS

pytestmark = pytest.mark.parametrize("answers", VARIANTS.values(), ids=VARIANTS.keys())

QUESTIONS = sorted(questions(template_source()), key=len, reverse=True)
LEFTOVER_JINJA = re.compile(r"\{%|\{\{\s*(" + "|".join(QUESTIONS) + r")\b")


def rendered_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.parts)


def test_reaches_stage_2_with_no_finding_of_stages_1_and_2(
    render: Render, answers: dict[str, str]
) -> None:
    result = audit_path(render(**answers), stage=2)

    early = [f for f in result.findings if result.rule(f.rule_id).stage <= 2]
    assert [f"{f.rule_id} {f.path}: {f.message}" for f in early] == []
    assert result.verdict.reached == 2
    assert result.exit_code == 0


def test_is_not_in_production_until_the_deployed_model_is_measured(
    render: Render, answers: dict[str, str]
) -> None:
    """A fresh project has run nothing in production: the model card's Metrics section is a
    TODO for the deployed champion's measured values, and that alone blocks stage 3."""
    result = audit_path(render(**answers))

    assert result.verdict.next_blockers == ("LIFE004",)
    assert {f.rule_id for f in result.warnings} == {"LIFE006"}  # the go/stop decision, at day 90


def test_leaves_no_template_syntax_behind(render: Render, answers: dict[str, str]) -> None:
    root = render(**answers)
    leftovers = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in rendered_files(root)
        for match in LEFTOVER_JINJA.finditer(path.read_text(encoding="utf-8"))
    ]
    assert leftovers == []
    assert not [p for p in rendered_files(root) if p.suffix == ".jinja"]


def test_every_file_parses(render: Render, answers: dict[str, str]) -> None:
    root = render(**answers)
    for path in rendered_files(root):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix in (".yml", ".yaml"):
            list(yaml.safe_load_all(text))
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix == ".toml":
            tomllib.loads(text)


def test_python_is_lint_clean_and_formatted(render: Render, answers: dict[str, str]) -> None:
    root = render(**answers)
    ruff = [sys.executable, "-m", "ruff"]
    check = subprocess.run([*ruff, "check", "."], cwd=root, capture_output=True, text=True)
    fmt = subprocess.run(
        [*ruff, "format", "--check", "."], cwd=root, capture_output=True, text=True
    )

    assert check.returncode == 0, check.stdout + check.stderr
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_business_case_carries_the_answers(render: Render, answers: dict[str, str]) -> None:
    root = render(**answers)
    text = (root / "docs/business-case.md").read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---")[1])

    assert front["currency"] == answers.get("currency", "EUR")
    assert front["annual_value"] == 420000
    assert front["annual_cost"] == {"run": 36000, "maintenance": 60000, "team": 90000}
    kinds = {metric["kind"] for metric in front["success_metrics"]}
    assert kinds == {"business", "model"}
