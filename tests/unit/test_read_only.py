"""The checker reads; it never changes the audited tree, not even git's own files."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from prodcheck.commands.audit import audit_path
from tests.helpers import build_tree
from tests.unit.toy_rules import reads_everything

PILOT = {
    ".gitignore": "*.csv\n.env\n",
    "README.md": "# Churn pilot\n",
    "pyproject.toml": "[project]\nname = 'churn'\n\n[tool.prodcheck]\ntarget_stage = 1\n",
    "docs/business-case.md": "---\nproblem: churn\nannual_value: 100000\n---\n# Churn\n",
    "OWNERS": "model_owner: '@alice'\n",
    "src/churn/__init__.py": "",
    "src/churn/train.py": "import pandas as pd\ndf = pd.read_csv('/home/alice/churn.csv')\n",
    "notebooks/eda.ipynb": '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    "notebooks/broken.ipynb": "{not json",
    ".github/workflows/ci.yaml": "on: [push]\njobs: {test: {runs-on: ubuntu-latest}}\n",
    "deploy/broken.yaml": "a: [1\n",
    "Dockerfile": "FROM python:3.11\nUSER app\n",
    "model.py": b"\x80\x04\x95\x00\x00binary",
    "data/churn.csv": "id,churned\n1,0\n",
    ".env": "TOKEN=secret\n",
}


def state_of(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under `root`, .git included: its kind, mode, size, mtime and content digest."""
    entries: dict[str, tuple[object, ...]] = {}
    for current, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(current, name)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                content: str | None = str(path.readlink())
            elif stat.S_ISREG(info.st_mode):
                content = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                content = None
            entries[path.relative_to(root).as_posix()] = (
                stat.S_IFMT(info.st_mode),
                stat.S_IMODE(info.st_mode),
                info.st_size,
                info.st_mtime_ns,
                content,
            )
    entries["."] = (root.stat().st_mtime_ns,)
    return entries


@pytest.fixture(params=["git work tree", "plain directory"])
def pilot(request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory) -> Path:
    """A legacy pilot with some of everything, broken files and symlinks included."""
    build_tree(tmp_path, PILOT)
    outside = tmp_path_factory.mktemp("outside")
    build_tree(outside, {"secrets.py": "TOKEN = 'x'\n"})
    (tmp_path / "settings.py").symlink_to(outside / "secrets.py")
    (tmp_path / "shared").symlink_to(outside, target_is_directory=True)
    (tmp_path / "loop.py").symlink_to("loop.py")
    if request.param == "git work tree":
        git = request.getfixturevalue("git")
        git("add", "-A")
        git("commit", "-qm", "pilot")
        build_tree(tmp_path, {"src/churn/untracked.py": "x = 1\n"})
    _age(tmp_path)
    return tmp_path


def _age(root: Path) -> None:
    """Date every entry in 2020, so any write now shows in its mtime whatever the clock's grain."""
    past = 1_600_000_000_000_000_000
    for current, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            os.utime(Path(current, name), ns=(past, past), follow_symlinks=False)
    os.utime(root, ns=(past, past))


MUTATIONS = {
    "a file rewritten with the same bytes": lambda root: (root / "README.md").write_bytes(
        (root / "README.md").read_bytes()
    ),
    "a scratch file made and removed": lambda root: (
        (root / "src" / ".scratch").touch() or (root / "src" / ".scratch").unlink()
    ),
    "a mode changed": lambda root: (root / "OWNERS").chmod(0o600),
}


@pytest.mark.parametrize("pilot", ["plain directory"], indirect=True)
@pytest.mark.parametrize("mutate", MUTATIONS.values(), ids=MUTATIONS.keys())
def test_the_tree_state_would_show_a_change_an_audit_might_make(pilot, mutate):
    before = state_of(pilot)

    mutate(pilot)

    assert state_of(pilot) != before


def test_auditing_with_the_real_rules_changes_nothing_in_the_tree(pilot):
    before = state_of(pilot)

    audit_path(pilot)

    assert state_of(pilot) == before


def test_every_parser_on_every_file_changes_nothing_in_the_tree(pilot, checker):
    checker.file_rule("XX001", ["*"], reads_everything)
    before = state_of(pilot)

    result = checker.audit(pilot)

    assert state_of(pilot) == before
    assert {f.rule_id for f in result.findings} == {"PC001", "PC002", "PC004"}, (
        "the audit did read the broken files"
    )


def test_auditing_only_some_files_changes_nothing_in_the_tree(pilot):
    before = state_of(pilot)

    audit_path(pilot, files=[pilot / "src/churn/train.py", pilot / "Dockerfile"])

    assert state_of(pilot) == before
