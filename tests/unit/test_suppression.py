"""Suppressions: inline `# prodcheck: ignore[ID] reason` comments and config per-path ignores."""

from __future__ import annotations

import json

import pytest

from prodcheck.config import Config
from prodcheck.findings import Severity
from prodcheck.registry import UnknownRuleError
from tests.helpers import build_tree
from tests.unit.toy_rules import fails, flags_lines_with

HOME_PATH = "open('/home/alice/churn.csv')"


@pytest.fixture
def home_paths(checker):
    """XX001 flags every line of a Python file that holds a home path."""
    checker.file_rule("XX001", ["*.py"], flags_lines_with("/home/"))
    return checker


def counted_and_suppressed(result) -> tuple[list[str], list[str]]:
    return (
        [f"{f.rule_id} {f.path}:{f.line}" for f in result.findings],
        [f"{s.finding.rule_id} {s.finding.path}:{s.finding.line}" for s in result.suppressed],
    )


# -- inline comments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "directive",
    [
        "# prodcheck: ignore[XX001] sample data for the demo",
        "# prodcheck: ignore[XX] sample data for the demo",
        "# prodcheck: ignore[YY001, XX001] sample data for the demo",
        "# prodcheck: ignore[YY001,XX] sample data for the demo",
        "# prodcheck: ignore[xx001] sample data for the demo",
        "#prodcheck:ignore[XX001]   sample data for the demo",
    ],
    ids=[
        "its id",
        "its family",
        "among several ids",
        "a family among ids",
        "lower case",
        "without spaces",
    ],
)
def test_an_inline_comment_on_the_line_suppresses_the_finding(tmp_path, home_paths, directive):
    build_tree(tmp_path, {"load.py": f"import pandas\ndf = {HOME_PATH}  {directive}\n"})

    result = home_paths.audit(tmp_path)

    assert counted_and_suppressed(result) == ([], ["XX001 load.py:2"])
    [suppressed] = result.suppressed
    assert (suppressed.suppression.via, suppressed.suppression.reason) == (
        "inline",
        "sample data for the demo",
    )


@pytest.mark.parametrize(
    "directive",
    [
        "# prodcheck: ignore[YY001] sample data",
        "# prodcheck: ignore[XX002] sample data",
        "# prodcheck: ignore[X] sample data",
        "# prodcheck: ignore[XX0] sample data",
        "# prodcheck: ignore sample data",
    ],
    ids=["another rule", "a sibling rule", "a prefix of the family", "a prefix of the id", "no id"],
)
def test_an_inline_comment_naming_another_rule_suppresses_nothing(tmp_path, home_paths, directive):
    build_tree(tmp_path, {"load.py": f"df = {HOME_PATH}  {directive}\n"})

    assert counted_and_suppressed(home_paths.audit(tmp_path)) == (["XX001 load.py:1"], [])


def test_a_comment_line_just_above_suppresses_the_finding(tmp_path, home_paths):
    # Dockerfiles allow nothing after an instruction, so the directive may stand above it.
    build_tree(tmp_path, {"load.py": f"# prodcheck: ignore[XX001] sample data\ndf = {HOME_PATH}\n"})

    assert counted_and_suppressed(home_paths.audit(tmp_path)) == ([], ["XX001 load.py:2"])


@pytest.mark.parametrize(
    "text",
    [
        f"# prodcheck: ignore[XX001] sample data\n\ndf = {HOME_PATH}\n",
        f"x = 1  # prodcheck: ignore[XX001] sample data\ndf = {HOME_PATH}\n",
        f"df = {HOME_PATH}\n# prodcheck: ignore[XX001] sample data\n",
    ],
    ids=["two lines above", "after code on the line above", "on the line below"],
)
def test_an_inline_comment_on_another_line_suppresses_nothing(tmp_path, home_paths, text):
    build_tree(tmp_path, {"load.py": text})

    [finding] = home_paths.audit(tmp_path).findings
    assert finding.rule_id == "XX001"


def test_an_inline_comment_suppresses_only_the_line_it_is_on(tmp_path, home_paths):
    build_tree(
        tmp_path,
        {
            "load.py": f"""
        a = {HOME_PATH}  # prodcheck: ignore[XX001] sample data
        b = {HOME_PATH}
    """
        },
    )

    assert counted_and_suppressed(home_paths.audit(tmp_path)) == (
        ["XX001 load.py:2"],
        ["XX001 load.py:1"],
    )


def test_an_inline_suppression_without_a_reason_says_so(tmp_path, home_paths):
    build_tree(tmp_path, {"load.py": f"df = {HOME_PATH}  # prodcheck: ignore[XX001]\n"})

    [suppressed] = home_paths.audit(tmp_path).suppressed

    assert suppressed.suppression.reason == "no reason given"


@pytest.mark.parametrize(
    "line",
    [
        "<!-- prodcheck: ignore[XX001] the sponsor is named next sprint -->",
        "/* prodcheck: ignore[XX001] the sponsor is named next sprint */",
    ],
    ids=["html comment", "c comment"],
)
def test_a_closing_comment_marker_is_not_part_of_the_reason(tmp_path, checker, line):
    build_tree(tmp_path, {"docs/notes.md": f"{line}\n"})
    checker.repo_rule("XX001", fails("no sponsor", "docs/notes.md", 1))

    [suppressed] = checker.audit(tmp_path).suppressed

    assert suppressed.suppression.reason == "the sponsor is named next sprint"


def test_an_inline_comment_in_yaml_front_matter_suppresses_a_repo_rule_finding(tmp_path, checker):
    build_tree(
        tmp_path,
        {
            "docs/business-case.md": """
        ---
        problem: churn
        annual_value: 0  # prodcheck: ignore[XX001] value is being estimated this sprint
        ---
    """
        },
    )
    checker.repo_rule("XX001", fails("annual_value is 0", "docs/business-case.md", 3))

    result = checker.audit(tmp_path)

    assert counted_and_suppressed(result) == ([], ["XX001 docs/business-case.md:3"])


def test_a_finding_whose_line_is_past_the_end_of_its_file_is_not_suppressed(tmp_path, checker):
    build_tree(tmp_path, {"load.py": "x = 1  # prodcheck: ignore[XX001] reason\n"})
    checker.file_rule("XX001", ["*.py"], fails("stale line number", line=40))

    assert counted_and_suppressed(checker.audit(tmp_path)) == (["XX001 load.py:40"], [])


# -- notebooks ------------------------------------------------------------------------------


def notebook(*cells: list[str]) -> str:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "execution_count": None,
                    "id": f"c{i}",
                    "metadata": {},
                    "outputs": [],
                    "source": source,
                }
                for i, source in enumerate(cells)
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )


@pytest.mark.parametrize(("cell", "suppressed"), [(1, True), (0, False), (2, False)])
def test_an_inline_comment_anywhere_in_a_notebook_cell_suppresses_findings_in_that_cell(
    tmp_path, checker, cell, suppressed
):
    build_tree(
        tmp_path,
        {
            "analysis.ipynb": notebook(
                ["import pandas as pd\n"],
                [
                    f"df = {HOME_PATH}\n",
                    "df = df.dropna()\n",
                    "# prodcheck: ignore[XX001] exploratory notebook, never deployed\n",
                ],
                ["df.head()\n"],
            )
        },
    )
    checker.file_rule("XX001", ["*.ipynb"], fails("home path", line=1, cell=cell))

    result = checker.audit(tmp_path)

    assert len(result.suppressed) == int(suppressed)
    assert len(result.findings) == int(not suppressed)


# -- per-path ignores in the configuration --------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "ids", "path", "suppressed"),
    [
        ("legacy/**", ("XX001",), "legacy/old/load.py", True),
        ("legacy/", ("XX",), "legacy/load.py", True),
        ("*.ipynb", ("XX001",), "notebooks/eda.ipynb", True),
        ("tests/", ("xx001",), "tests/test_load.py", True),
        ("legacy/", ("XX001",), "src/legacy_loader.py", False),
        ("legacy/", ("PC001", "PC002"), "legacy/load.py", False),
    ],
    ids=[
        "a glob",
        "a directory and a family",
        "a suffix anywhere",
        "a lower-case id",
        "another path",
        "other rules",
    ],
)
def test_per_path_ignores_suppress_the_named_rules_under_the_pattern(
    tmp_path, checker, pattern, ids, path, suppressed
):
    checker.repo_rule("XX001", fails("home path", path, 1))
    config = Config(per_path_ignores={pattern: ids})

    result = checker.audit(tmp_path, config)

    assert [s.suppression.via for s in result.suppressed] == (["config"] if suppressed else [])
    assert len(result.findings) == int(not suppressed)


def test_a_per_path_ignore_naming_an_unknown_rule_is_a_usage_error(tmp_path, checker):
    checker.repo_rule("XX001", fails("home path", "legacy/load.py"))

    with pytest.raises(UnknownRuleError, match="'XX009'"):
        checker.audit(tmp_path, Config(per_path_ignores={"legacy/": ("XX009",)}))


def test_a_per_path_suppression_names_its_pattern(tmp_path, checker):
    checker.repo_rule("XX001", fails("home path", "legacy/load.py"))

    config = Config(per_path_ignores={"legacy/": ("XX001",)})

    [suppressed] = checker.audit(tmp_path, config).suppressed

    assert suppressed.suppression.reason == "per_path_ignores 'legacy/'"


def test_per_path_ignores_do_not_touch_a_finding_about_the_whole_repository(tmp_path, checker):
    checker.repo_rule("XX001", fails("no business case"))

    result = checker.audit(tmp_path, Config(per_path_ignores={"*": ("XX001",)}))

    assert [f.rule_id for f in result.findings] == ["XX001"]


# -- what a suppression means for the verdict -----------------------------------------------


@pytest.mark.parametrize("how", ["inline", "config"])
def test_a_suppressed_error_does_not_block_the_stage(tmp_path, home_paths, how):
    comment = "  # prodcheck: ignore[XX001] demo data" if how == "inline" else ""
    build_tree(tmp_path, {"load.py": f"df = {HOME_PATH}{comment}\n"})
    config = Config(per_path_ignores={"load.py": ("XX001",)} if how == "config" else {})

    result = home_paths.audit(tmp_path, config, target=1)

    assert (result.errors, len(result.suppressed)) == ([], 1)
    assert result.verdict.reached == 1
    assert result.exit_code == 0


def test_a_suppressed_warning_is_not_counted(tmp_path, checker):
    build_tree(tmp_path, {"load.py": "x = 1  # prodcheck: ignore[XX001] known\n"})
    checker.file_rule("XX001", ["*.py"], fails("advice", line=1), severity=Severity.WARNING)

    result = checker.audit(tmp_path)

    assert (result.warnings, len(result.suppressed)) == ([], 1)
