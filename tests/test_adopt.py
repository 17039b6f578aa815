"""`prodcheck adopt`: the template's missing pieces added to a legacy repo, nothing of its own lost.

The legacy example is adopted once per module (a dry run, the adoption, then a second run) in
a git copy, and the read-only tests share that record; each render costs a few seconds.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from prodcheck.cli import app
from prodcheck.commands.adopt import write_new
from tests.helpers import audit_tree, build_tree, commit_all, git

LEGACY = Path(__file__).resolve().parents[1] / "examples" / "legacy-pilot"
runner = CliRunner()


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["adopt", *(str(a) for a in args)])
    return result.exit_code, result.stdout, result.stderr


def committed_repo(root: Path, files: dict[str, str]) -> Path:
    """`root` with `files` (added to what is there), as one commit of a fresh git repository."""
    build_tree(root, files)
    git(root, "init", "--quiet")
    commit_all(root, "the pilot as handed over")
    return root


def hashes(root: Path) -> dict[str, str]:
    """Every file under `root` (`.git` included) by its SHA-256."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@dataclass(frozen=True)
class Adopted:
    root: Path
    before: dict[str, str]
    after_dry_run: dict[str, str]
    dry_run: tuple[int, str, str]
    first: tuple[int, str, str]
    second: tuple[int, str, str]


@pytest.fixture(scope="module")
def adopted(tmp_path_factory: pytest.TempPathFactory) -> Adopted:
    """The legacy example with a Dockerfile of its own, dry-run, adopted, then adopted again."""
    root = tmp_path_factory.mktemp("adopt") / "legacy-pilot"
    shutil.copytree(LEGACY, root)
    committed_repo(root, {"Dockerfile": "FROM python:3.11-slim\nCOPY . /app\n"})
    before = hashes(root)
    dry_run = invoke(root, "--defaults", "--dry-run")
    after_dry_run = hashes(root)
    first = invoke(root, "--defaults")
    second = invoke(root, "--defaults", "--allow-dirty")
    return Adopted(root, before, after_dry_run, dry_run, first, second)


def test_every_existing_file_is_byte_identical_after_adopt(adopted: Adopted) -> None:
    after = hashes(adopted.root)
    assert adopted.first[0] == 0, adopted.first[2]
    assert {path: after[path] for path in adopted.before} == adopted.before


@pytest.mark.parametrize(
    "piece",
    [
        "docs/business-case.md",
        "OWNERS",
        "CODEOWNERS",
        ".dockerignore",
        "monitoring/alerts.yml",
        ".github/workflows/ci.yml",
        ".pre-commit-config.yaml",
        "src/legacy_pilot/service/app.py",
        "src/legacy_pilot/settings.py",
        ".copier-answers.yml",
    ],
)
def test_missing_pieces_are_added(adopted: Adopted, piece: str) -> None:
    assert piece not in adopted.before
    assert (adopted.root / piece).is_file()
    assert f"add          {piece}" in adopted.first[1]


@pytest.mark.parametrize(
    "left_out",
    [
        "requirements.lock",  # the repo pins its own requirements.txt
        "pyproject.toml",
        "src/legacy_pilot/pipeline.py",  # written for the template's sample data
        "tests/test_service.py",
    ],
)
def test_pieces_that_would_contradict_the_repo_are_left_out(
    adopted: Adopted, left_out: str
) -> None:
    assert not (adopted.root / left_out).exists()


def test_an_existing_file_is_skipped_and_reported(adopted: Adopted) -> None:
    assert "exists-skip  Dockerfile  (yours is kept as it is)" in adopted.first[1]
    assert (adopted.root / "Dockerfile").read_text(encoding="utf-8").startswith("FROM python")


def test_answers_are_recorded_for_copier_update(adopted: Adopted) -> None:
    answers = (adopted.root / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "_src_path:" in answers
    assert "package_name: legacy_pilot" in answers
    assert "project_name: legacy-pilot" in answers


def test_adopt_raises_the_stage_and_leaves_what_only_a_person_can_fix(adopted: Adopted) -> None:
    result = audit_tree(adopted.root, stage=2)
    errors = {f.rule_id for f in result.errors}
    assert result.verdict.reached is not None and result.verdict.reached >= 1
    assert {"SEC001", "DATA001", "SVC004"} <= errors
    assert not errors & {"BC001", "BC005", "OWN001", "CONT001", "MON001", "MON003"}
    assert "audit before: stage 0" in adopted.first[1]
    assert "audit after:  stage 1" in adopted.first[1]


def test_dry_run_writes_nothing_and_shows_the_plan_and_diff(adopted: Adopted) -> None:
    code, out, _ = adopted.dry_run
    assert code == 0
    assert adopted.after_dry_run == adopted.before
    assert "add          OWNERS" in out
    assert "--- /dev/null\n+++ b/OWNERS" in out
    assert "--- a/Dockerfile\n+++ b/Dockerfile" in out
    assert "dry run: nothing was written" in out


def test_adopting_again_adds_nothing(adopted: Adopted) -> None:
    code, out, _ = adopted.second
    assert code == 0
    assert "added 0 files" in out
    assert "\nadd " not in out


def test_dirty_work_tree_is_refused_without_allow_dirty(tmp_path: Path) -> None:
    root = committed_repo(tmp_path / "repo", {"train.py": "print('train')\n"})
    (root / "train.py").write_text("print('changed')\n", encoding="utf-8")
    before = hashes(root)
    code, _, err = invoke(root, "--defaults")
    assert code == 2
    assert "uncommitted changes" in err and "--allow-dirty" in err
    assert hashes(root) == before


def test_non_git_directory_is_refused_without_allow_dirty(tmp_path: Path) -> None:
    build_tree(tmp_path, {"train.py": "print('train')\n"})
    code, _, err = invoke(tmp_path, "--defaults")
    assert code == 2
    assert "not a git work tree" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing"], "does not exist"),
        (["train.py"], "is not a directory"),
        (["--defaults", "--data", "colour=blue"], "unknown question 'colour'"),
        (["--defaults", "--data", "horizon_years=three"], "horizon_years must be a whole number"),
        (["--stage", "7"], "--stage must be 0-3"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    root = committed_repo(tmp_path / "repo", {"train.py": "print('train')\n"})
    if args and args[0] in ("missing", "train.py"):
        args = [str(root / args[0]), *args[1:]]
    else:
        args = [str(root), *args]
    code, _, err = invoke(*args)
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_directory_where_a_file_goes_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    root = committed_repo(tmp_path / "repo", {"OWNERS/README": "our owners live elsewhere\n"})
    before = hashes(root)
    code, _, err = invoke(root, "--defaults")
    assert code == 2
    assert "`OWNERS` is a directory" in err
    assert hashes(root) == before


@pytest.mark.slow
def test_existing_src_package_names_the_skeleton_and_keeps_its_service(tmp_path: Path) -> None:
    root = committed_repo(
        tmp_path / "repo",
        {"src/churn/__init__.py": "", "src/churn/service.py": "app = None\n"},
    )
    code, out, _ = invoke(root, "--defaults", "--dry-run")
    assert code == 0
    assert "+package_name: churn" in out
    assert "add          src/churn/" not in out  # the package already holds a service


def test_interrupted_write_leaves_no_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "link", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_new(tmp_path / "docs" / "runbook.md", b"# Runbook\n", 0o644)
    assert list((tmp_path / "docs").iterdir()) == []


def test_write_never_replaces_a_file_that_appeared(tmp_path: Path) -> None:
    target = build_tree(tmp_path, {"OWNERS": "mine\n"}) / "OWNERS"
    with pytest.raises(ValueError, match="appeared while adopt ran"):
        write_new(target, b"template\n", 0o644)
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["OWNERS"]
