"""The GitHub Action: declared right, and its shell steps run as the runner runs them.

GitHub's runner cannot run here, so `run_action` plays its part for a composite action: it
takes each step in order, gives it the inputs (declared defaults, then what the workflow
passed), substitutes the `${{ }}` expressions the steps use, runs the script with the shell
options GitHub uses for `shell: bash`, collects `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY`, and
stops at the first step that fails, whose exit code is the action's. Steps that `uses:` another
action (setup-python, upload-sarif) need GitHub and are not run; what they are given is checked.
The install step runs only in a slow test, into a virtual environment of its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import validators

from tests.helpers import build_tree
from tests.report.conftest import SARIF_SCHEMA, load_json
from tests.test_cli import PROFITABLE_CASE

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
"""What `shell: bash` runs a step's script with on GitHub's runners."""


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    return loaded


def steps() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = action()["runs"]["steps"]
    return found


def step(step_id: str) -> dict[str, Any]:
    return next(s for s in steps() if s.get("id") == step_id)


def uses(prefix: str) -> dict[str, Any]:
    return next(s for s in steps() if s.get("uses", "").startswith(prefix))


@dataclass
class ActionRun:
    exit_code: int
    stdout: str = ""
    stderr: str = ""
    summary: str = ""
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    """Each step's outputs, by step id."""


def run_action(workspace: Path, **given: str) -> ActionRun:
    """Run the action's shell steps in `workspace`, with `given` inputs (dashes as underscores)."""
    declared = action()["inputs"]
    inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    inputs |= {name.replace("_", "-"): value for name, value in given.items()}
    runner_temp = workspace.parent / "runner-temp"
    runner_temp.mkdir(exist_ok=True)
    summary = runner_temp / "step-summary.md"
    summary.touch()
    run = ActionRun(exit_code=0)
    for number, entry in enumerate(steps()):
        # The install step would install into the running interpreter; the dev environment,
        # put first on PATH, stands for what it installs (the slow test below runs it).
        if "run" not in entry or entry.get("id") == "install":
            continue
        output = runner_temp / f"output-{number}"
        output.touch()
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_ACTION_PATH": str(REPO),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "RUNNER_TEMP": str(runner_temp),
        }
        env |= {key: _evaluate(value, inputs, run) for key, value in entry.get("env", {}).items()}
        done = subprocess.run(
            [*GITHUB_BASH, "-c", _evaluate(entry["run"], inputs, run)],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        run.stdout += done.stdout
        run.stderr += done.stderr
        run.outputs[entry.get("id", str(number))] = dict(
            line.split("=", 1) for line in output.read_text().splitlines()
        )
        run.summary = summary.read_text(encoding="utf-8")
        run.exit_code = done.returncode
        if done.returncode != 0:
            break
    return run


def _evaluate(text: str, inputs: dict[str, str], run: ActionRun) -> str:
    def value(match: re.Match[str]) -> str:
        expression = match[1]
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        _, step_id, _, name = expression.split(".")
        return run.outputs.get(step_id, {}).get(name, "")

    return EXPRESSION.sub(value, text)


def run_action_in(tmp_path: Path, files: dict[str, str], **given: str) -> ActionRun:
    workspace = build_tree(tmp_path / "workspace", files)
    return run_action(workspace, **given)


# -- the action's declaration ---------------------------------------------------------------


def test_the_action_is_a_composite_action() -> None:
    assert action()["runs"]["using"] == "composite"


def test_every_input_a_step_uses_is_declared() -> None:
    used = {
        name
        for expression in EXPRESSION.findall(ACTION.read_text(encoding="utf-8"))
        for name in re.findall(r"inputs\.([\w-]+)", expression)
    }
    used |= {
        name
        for entry in steps()
        for name in re.findall(r"inputs\.([\w-]+)", str(entry.get("if", "")))
    }
    assert used == set(action()["inputs"])


def test_every_input_has_a_description_and_a_default() -> None:
    for name, spec in action()["inputs"].items():
        assert spec["description"], name
        assert "default" in spec, name


def test_no_input_is_pasted_into_a_script() -> None:
    # An input inside `run:` becomes shell code: a path such as `$(curl ...)` would run.
    for entry in steps():
        assert "inputs." not in entry.get("run", ""), entry.get("id")


def test_every_shell_step_names_its_shell() -> None:
    # Composite actions have no default shell: a step without one is rejected.
    assert all(entry["shell"] == "bash" for entry in steps() if "run" in entry)


def test_the_sarif_upload_takes_the_audits_report_and_can_be_turned_off() -> None:
    upload = uses("github/codeql-action/upload-sarif@")
    assert upload["if"] == "inputs.upload-sarif == 'true'"
    assert upload["with"]["sarif_file"] == "${{ steps.audit.outputs.sarif-file }}"


def test_python_is_set_up_unless_the_runners_own_is_asked_for() -> None:
    setup = uses("actions/setup-python@")
    assert setup["if"] == "inputs.python-version != ''"
    assert setup["with"]["python-version"] == "${{ inputs.python-version }}"


# -- the action's behaviour -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "stage", "exit_code"),
    [(PROFITABLE_CASE, "1", 0), ({"README.md": "# Churn pilot\n"}, "1", 1)],
    ids=["stage-reached", "stage-not-reached"],
)
def test_the_job_fails_exactly_when_the_audit_does(
    tmp_path: Path, files: dict[str, str], stage: str, exit_code: int
) -> None:
    run = run_action_in(tmp_path, files, stage=stage)
    assert run.exit_code == exit_code, run.stderr
    assert run.outputs["audit"]["exit-code"] == str(exit_code)


@pytest.mark.parametrize(
    ("files", "headline"),
    [
        (PROFITABLE_CASE, "**Stage 1 of 3: business case validated**"),
        ({"README.md": "# Churn pilot\n"}, "**Stage 0 of 3: pilot purgatory**"),
    ],
    ids=["stage-reached", "stage-not-reached"],
)
def test_the_markdown_report_goes_to_the_job_summary(
    tmp_path: Path, files: dict[str, str], headline: str
) -> None:
    run = run_action_in(tmp_path, files, stage="1")
    assert run.summary.startswith(headline)


@pytest.mark.parametrize(
    "files", [PROFITABLE_CASE, {"README.md": "# Churn pilot\n"}], ids=["passes", "fails"]
)
def test_the_sarif_report_is_valid_for_code_scanning(tmp_path: Path, files: dict[str, str]) -> None:
    run = run_action_in(tmp_path, files, stage="1")
    schema = load_json(SARIF_SCHEMA)
    validator_class = validators.validator_for(schema)
    validator_class(schema, format_checker=validator_class.FORMAT_CHECKER).validate(
        load_json(Path(run.outputs["audit"]["sarif-file"]))
    )


def test_each_finding_is_annotated_in_the_log(tmp_path: Path) -> None:
    run = run_action_in(tmp_path, {"README.md": "# Churn pilot\n"}, stage="1")
    assert "::error title=BC001 business-case-missing::" in run.stdout
    assert run.stdout.rstrip().splitlines()[-1].startswith("::notice title=prodcheck::Stage 0")


def test_fail_on_never_reports_without_failing(tmp_path: Path) -> None:
    run = run_action_in(tmp_path, {"README.md": "# Churn pilot\n"}, stage="1", fail_on="never")
    assert run.exit_code == 0
    assert run.outputs["audit"]["exit-code"] == "1"
    assert "pilot purgatory" in run.summary


def test_the_stage_defaults_to_the_repositorys_configuration(tmp_path: Path) -> None:
    configured = PROFITABLE_CASE | {"pyproject.toml": "[tool.prodcheck]\ntarget_stage = 1\n"}
    assert run_action_in(tmp_path, configured).exit_code == 0


def test_a_baseline_lets_a_legacy_repository_pass_until_something_new_appears(
    tmp_path: Path,
) -> None:
    legacy = {"README.md": "# Churn pilot\n"}
    workspace = build_tree(tmp_path / "workspace", legacy)
    baseline = workspace / ".prodcheck-baseline.json"
    record = [sys.executable, "-m", "prodcheck", "audit", str(workspace), "--write-baseline"]
    subprocess.run([*record, str(baseline)], capture_output=True, check=False)
    assert baseline.is_file()
    assert run_action(workspace, stage="1", baseline=".prodcheck-baseline.json").exit_code == 0
    build_tree(workspace, {"OWNERS": "model_owner: TODO\n"})
    assert run_action(workspace, stage="1", baseline=".prodcheck-baseline.json").exit_code == 1


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"path": "missing"}, "missing does not exist"),
        ({"baseline": "nowhere.json"}, "baseline file nowhere.json does not exist"),
        ({"stage": "7"}, "--stage must be 0-3"),
    ],
    ids=["path", "baseline", "stage"],
)
def test_a_usage_error_fails_at_once_with_its_message_and_no_report(
    tmp_path: Path, given: dict[str, str], message: str
) -> None:
    run = run_action_in(tmp_path, {"README.md": "# Churn pilot\n"}, **given)
    assert run.exit_code == 2
    assert message in run.stderr
    assert run.summary == ""
    assert "gate" not in run.outputs


def test_an_unknown_fail_on_is_an_error(tmp_path: Path) -> None:
    run = run_action_in(tmp_path, PROFITABLE_CASE, stage="1", fail_on="sometimes")
    assert run.exit_code == 2
    assert "fail-on must be 'stage' or 'never'" in run.stdout


@pytest.mark.slow
def test_the_install_step_installs_the_actions_own_checkout(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    install = step("install")
    env = {**os.environ, "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env |= {"GITHUB_ACTION_PATH": str(REPO), "PRODCHECK_SPEC": ""}
    subprocess.run([*GITHUB_BASH, "-c", install["run"]], env=env, check=True, timeout=600)
    version = subprocess.run(
        [venv / "bin" / "prodcheck", "--version"], capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("prodcheck ")
    assert json.loads(
        subprocess.run(
            [venv / "bin" / "prodcheck", "rules", "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
