"""`prodcheck new` as a user meets it: a project on success, one clear line on refusal."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from prodcheck.cli import app

runner = CliRunner()


def test_new_with_defaults_makes_a_project(tmp_path: Path) -> None:
    dest = tmp_path / "pilot"
    result = runner.invoke(app, ["new", str(dest), "--defaults", "-d", "package_name=pilot"])

    assert result.exit_code == 0, result.output
    assert (dest / "src/pilot/model_spec.py").is_file()
    assert "package_name: pilot" in (dest / ".copier-answers.yml").read_text(encoding="utf-8")


def test_new_never_writes_into_a_non_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    result = runner.invoke(app, ["new", str(tmp_path), "--defaults"])

    assert result.exit_code == 2
    assert "already exists and is not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_new_refuses_a_wrong_answer_in_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults", "-d", "cost_team=-1"])

    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "prodcheck: error: Validation error for question 'cost_team': A cost cannot be negative"
    ]


def test_new_refuses_data_that_is_not_key_value(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "p"), "--defaults", "-d", "annual_value"])

    assert result.exit_code == 2
    assert "--data takes KEY=VALUE" in result.output


def test_new_without_a_terminal_asks_for_defaults(tmp_path: Path) -> None:
    result = runner.invoke(app, ["new", str(tmp_path / "p")], input="")

    assert result.exit_code == 2
    assert "pass --defaults" in result.output
    assert not (tmp_path / "p").exists()
