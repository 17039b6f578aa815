"""Unreadable input is a warning with its path, never a crash, and the audit goes on."""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path

import pytest

from prodcheck.commands.audit import UsageError, audit_path
from prodcheck.config import Config, ConfigError
from prodcheck.findings import Severity
from prodcheck.snapshot import Snapshot
from tests.helpers import audit_tree, build_tree
from tests.unit.toy_rules import fails, reads_everything, records

TWO_GB = 2 * 1024**3

BAD_FILES = {
    "a notebook that is not JSON": ("notebooks/eda.ipynb", "{'cells': [}", "PC002", None),
    "a notebook that is JSON but no notebook": (
        "eda.ipynb",
        json.dumps({"cells": "x"}),
        "PC002",
        None,
    ),
    "YAML that does not parse": (
        ".github/workflows/ci.yml",
        "on: push\njobs:\n  test:\n    steps: [a\n  lint: 1\n",
        "PC002",
        5,
    ),
    "TOML that does not parse": ("config/settings.toml", "[db]\nurl = \n", "PC002", None),
    "Python 2": ("src/train.py", "import os\nprint 'training'\n", "PC002", 2),
    "a binary file named .py": ("model.py", pickle.dumps({"weights": [0.5] * 4}), "PC001", None),
}


@pytest.mark.parametrize(
    ("path", "content", "rule_id", "line"), BAD_FILES.values(), ids=BAD_FILES.keys()
)
def test_a_file_that_cannot_be_read_is_a_warning_with_its_path_and_the_audit_goes_on(
    tmp_path, checker, path, content, rule_id, line
):
    build_tree(tmp_path, {path: content})
    checker.file_rule("XX001", ["*"], reads_everything)
    checker.repo_rule("XX002", fails("still judged"))

    result = checker.audit(tmp_path)

    assert [(f.rule_id, f.severity, f.path, f.line) for f in result.findings] == [
        ("XX002", Severity.ERROR, None, None),
        (rule_id, Severity.WARNING, path, line),
    ]
    assert result.verdict.reached == 0


def test_a_file_gone_between_listing_and_reading_is_a_warning(tmp_path, checker):
    build_tree(tmp_path, {"src/train.py": "x = 1\n"})
    checker.file_rule("XX001", ["*"], reads_everything)
    snapshot = Snapshot.scan(tmp_path, Config())
    (tmp_path / "src/train.py").unlink()

    [finding] = checker.audit_snapshot(snapshot).findings

    assert (finding.rule_id, finding.path) == ("PC001", "src/train.py")
    assert "could not be read" in finding.message


def test_symlinks_out_of_the_tree_or_in_a_loop_are_warnings_and_never_followed(
    tmp_path, checker, tmp_path_factory
):
    outside = tmp_path_factory.mktemp("home")
    build_tree(outside, {"alice/secrets.py": "TOKEN = 'x'\n"})
    (tmp_path / "secrets.py").symlink_to(outside / "alice/secrets.py")
    (tmp_path / "home").symlink_to(outside, target_is_directory=True)
    (tmp_path / "a.py").symlink_to("b.py")
    (tmp_path / "b.py").symlink_to("a.py")
    build_tree(tmp_path, {"train.py": ""})
    read = []
    checker.file_rule("XX001", ["*"], records(read))

    result = checker.audit(tmp_path)

    assert [(f.rule_id, f.path) for f in result.findings] == [
        ("PC004", "a.py"),
        ("PC004", "b.py"),
        ("PC004", "home"),
        ("PC004", "secrets.py"),
    ]
    assert read == ["train.py"]


def _bytes_read_by_this_process() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


@pytest.fixture
def huge_file(tmp_path) -> str:
    """A sparse 2 GB export: it takes no disk space, but reading it would take seconds."""
    build_tree(tmp_path, {"train.py": ""})
    (tmp_path / "data").mkdir()
    with (tmp_path / "data/events.parquet").open("wb") as handle:
        handle.truncate(TWO_GB)
    return "data/events.parquet"


def test_a_2_gb_file_is_listed_with_its_size_and_not_read_until_a_rule_asks(
    tmp_path, checker, huge_file
):
    result = checker.audit(tmp_path)

    assert result.snapshot is not None
    assert result.snapshot.files[huge_file].size == TWO_GB
    assert result.findings == []


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux's /proc/self/io")
def test_a_2_gb_file_a_rule_asks_for_is_a_warning_and_is_never_read(tmp_path, checker, huge_file):
    checker.file_rule("XX001", ["*"], reads_everything)
    bytes_before, started = _bytes_read_by_this_process(), time.perf_counter()

    result = checker.audit(tmp_path)

    assert _bytes_read_by_this_process() - bytes_before < 1024**2
    assert time.perf_counter() - started < 2
    [finding] = result.findings
    assert (finding.rule_id, finding.severity, finding.path) == (
        "PC003",
        Severity.WARNING,
        huge_file,
    )
    assert "is 2.0 GiB, over the 10.0 MiB read limit" in finding.message


# -- through the command, with the real rules -----------------------------------------------


def test_a_pyproject_that_is_not_toml_is_a_warning_and_the_defaults_apply(tmp_path):
    result = audit_tree(tmp_path, {"pyproject.toml": "[tool.prodcheck\ntarget_stage = 1\n"})

    [warning] = [f for f in result.findings if f.path == "pyproject.toml"]
    assert (warning.rule_id, warning.severity) == ("PC002", Severity.WARNING)
    assert "defaults apply" in warning.message
    assert result.verdict.target == 3


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("target_stage = ", r"\.prodcheck\.toml is not valid TOML"),
        ("target_stage = 1\nmin-roe = 0.2\n", r"\.prodcheck\.toml: unknown setting 'min-roe'"),
        ("target_stage = 'two'\n", r"\.prodcheck\.toml: target_stage must be a whole number"),
    ],
    ids=["not TOML", "an unknown key", "a wrong type"],
)
def test_a_broken_prodcheck_toml_stops_the_audit_with_a_message_naming_the_mistake(
    tmp_path, content, named
):
    build_tree(tmp_path, {".prodcheck.toml": content})

    with pytest.raises(ConfigError, match=named):
        audit_path(tmp_path)


@pytest.mark.parametrize("given", ["a file", "a missing path"])
def test_a_path_that_is_not_a_directory_is_a_usage_error(tmp_path, given):
    build_tree(tmp_path, {"train.py": ""})
    path = tmp_path / ("train.py" if given == "a file" else "nowhere")

    with pytest.raises(UsageError, match=f"{path} (is not a directory|does not exist)"):
        audit_path(path)


def test_the_real_rules_judge_a_tree_of_bad_input_without_crashing(tmp_path, huge_file):
    build_tree(tmp_path, {path: content for path, content, _, _ in BAD_FILES.values()})
    build_tree(
        tmp_path,
        {
            "pyproject.toml": "[project\n",
            "docs/business-case.md": "---\nproblem: churn\nannual_value: [1\n---\n",
            "OWNERS": "model_owner: @alice: @bob\n",
            "CODEOWNERS": b"\0\0\0",
            "Dockerfile": b"\xff\xfe\0F\0R\0O\0M\0",
        },
    )
    (tmp_path / "loop").symlink_to("loop")
    started = time.perf_counter()

    result = audit_tree(tmp_path)

    assert time.perf_counter() - started < 5
    assert [f.message for f in result.findings if f.rule_id == "PC005"] == []
    assert result.verdict.reached is not None
