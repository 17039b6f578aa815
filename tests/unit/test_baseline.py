"""The baseline: a legacy repository records today's findings and fails only on new ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prodcheck.baseline import Baseline, BaselineError, write_baseline
from prodcheck.commands.audit import record_baseline
from tests.helpers import build_tree
from tests.unit.toy_rules import fails, flags_lines_with

HOME_PATH = "df = open('/home/alice/churn.csv')\n"


@pytest.fixture
def home_paths(checker):
    """XX001 flags every line of a Python file that holds a home path."""
    checker.file_rule("XX001", ["*.py"], flags_lines_with("/home/"))
    return checker


def record(checker, root: Path, destination: Path) -> Baseline:
    """Audit `root`, write its findings as a baseline, and load it back."""
    result = checker.audit(root)
    assert result.snapshot is not None
    write_baseline(destination, result.findings, result.snapshot)
    return Baseline.load(destination)


@pytest.fixture
def baseline_file(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("outside") / "prodcheck-baseline.json"


def test_a_written_baseline_loads_back_with_one_entry_per_finding(
    tmp_path, home_paths, baseline_file
):
    build_tree(tmp_path, {"a.py": HOME_PATH, "b.py": "import os\n" + HOME_PATH})
    result = home_paths.audit(tmp_path)

    written = write_baseline(baseline_file, result.findings, result.snapshot)

    assert written == 2
    assert sum(Baseline.load(baseline_file).counts.values()) == 2
    entries = json.loads(baseline_file.read_text())["findings"]
    assert [(e["rule"], e["path"]) for e in entries] == [("XX001", "a.py"), ("XX001", "b.py")]


def test_the_baseline_file_is_the_same_bytes_for_the_same_findings(
    tmp_path, home_paths, baseline_file
):
    build_tree(tmp_path, {"b.py": HOME_PATH, "a.py": HOME_PATH * 2})
    record(home_paths, tmp_path, baseline_file)
    first = baseline_file.read_bytes()

    record(home_paths, tmp_path, baseline_file)

    assert baseline_file.read_bytes() == first


def test_writing_a_baseline_creates_its_folder_and_leaves_no_temporary_file(
    tmp_path, home_paths, tmp_path_factory
):
    build_tree(tmp_path, {"a.py": HOME_PATH})
    folder = tmp_path_factory.mktemp("outside") / "ci" / "prodcheck"

    record(home_paths, tmp_path, folder / "baseline.json")

    assert [p.name for p in folder.iterdir()] == ["baseline.json"]


def test_with_its_baseline_no_finding_counts_and_the_stage_is_reached(
    tmp_path, home_paths, baseline_file
):
    build_tree(tmp_path, {"a.py": HOME_PATH, "src/b.py": HOME_PATH * 2})
    home_paths.repo_rule("XX002", fails("no business case"))
    baseline = record(home_paths, tmp_path, baseline_file)

    result = home_paths.audit(tmp_path, baseline=baseline, target=1)

    assert result.findings == []
    assert [s.suppression.via for s in result.suppressed] == ["baseline"] * 4
    assert (result.verdict.reached, result.exit_code) == (1, 0)


def test_a_finding_moved_down_its_file_still_matches_the_baseline(
    tmp_path, home_paths, baseline_file
):
    build_tree(tmp_path, {"load.py": "import os\n" + HOME_PATH})
    baseline = record(home_paths, tmp_path, baseline_file)
    build_tree(tmp_path, {"load.py": "import os\nimport sys\n\n\n" + HOME_PATH})

    result = home_paths.audit(tmp_path, baseline=baseline)

    assert result.findings == []
    assert [s.finding.line for s in result.suppressed] == [5]


LOAD = """
    def load():
        return open('/home/alice/churn.csv')
    """
TRAIN = """
    def train(frame):
        return frame.mean()
    """


@pytest.mark.parametrize(
    ("before", "after", "line"),
    [(LOAD + TRAIN, TRAIN + LOAD, 5), (TRAIN + LOAD, LOAD + TRAIN, 2)],
    ids=["function moved down", "function moved up"],
)
def test_a_function_moved_within_its_file_keeps_its_findings_baselined(
    tmp_path, home_paths, baseline_file, before, after, line
):
    build_tree(tmp_path, {"churn.py": before})
    baseline = record(home_paths, tmp_path, baseline_file)
    build_tree(tmp_path, {"churn.py": after})

    result = home_paths.audit(tmp_path, baseline=baseline)

    assert result.findings == []
    assert [s.finding.line for s in result.suppressed] == [line]


def test_a_notebook_finding_moved_to_another_cell_still_matches_the_baseline(
    tmp_path, checker, baseline_file
):
    where = {"cell": 1}
    checker.file_rule(
        "XX001", ["*.ipynb"], lambda repo, file: fails("a key in an output", cell=where["cell"])()
    )
    build_tree(tmp_path, {"explore.ipynb": "{}"})
    baseline = record(checker, tmp_path, baseline_file)
    where["cell"] = 4

    result = checker.audit(tmp_path, baseline=baseline)

    assert result.findings == []
    assert [s.finding.cell for s in result.suppressed] == [4]


def test_re_indenting_a_baselined_line_keeps_it_matched(tmp_path, home_paths, baseline_file):
    build_tree(tmp_path, {"load.py": HOME_PATH})
    baseline = record(home_paths, tmp_path, baseline_file)
    build_tree(tmp_path, {"load.py": "def load():\n    " + HOME_PATH})

    assert home_paths.audit(tmp_path, baseline=baseline).findings == []


def test_editing_a_baselined_line_makes_its_finding_new(tmp_path, home_paths, baseline_file):
    build_tree(tmp_path, {"load.py": HOME_PATH})
    baseline = record(home_paths, tmp_path, baseline_file)
    build_tree(tmp_path, {"load.py": "df = open('/home/bob/churn.csv')\n"})

    assert [f.line for f in home_paths.audit(tmp_path, baseline=baseline).findings] == [1]


def test_a_new_finding_counts_while_the_baselined_ones_do_not(tmp_path, home_paths, baseline_file):
    build_tree(tmp_path, {"a.py": HOME_PATH})
    baseline = record(home_paths, tmp_path, baseline_file)
    build_tree(tmp_path, {"new.py": HOME_PATH})

    result = home_paths.audit(tmp_path, baseline=baseline)

    assert [f.path for f in result.findings] == ["new.py"]
    assert [s.finding.path for s in result.suppressed] == ["a.py"]
    assert result.exit_code == 1


@pytest.mark.parametrize(("present", "new"), [(1, 0), (2, 0), (3, 1)])
def test_identical_findings_are_counted_so_fixing_one_frees_exactly_one(
    tmp_path, home_paths, baseline_file, present, new
):
    build_tree(tmp_path, {"load.py": HOME_PATH * 2})
    baseline = record(home_paths, tmp_path, baseline_file)
    build_tree(tmp_path, {"load.py": HOME_PATH * present})

    result = home_paths.audit(tmp_path, baseline=baseline)

    assert (len(result.findings), len(result.suppressed)) == (new, present - new)


def test_a_finding_about_the_whole_repository_matches_by_its_message(
    tmp_path, checker, baseline_file
):
    message = {"text": "no business case"}
    checker.repo_rule("XX001", lambda repo: fails(message["text"])(repo))
    baseline = record(checker, tmp_path, baseline_file)

    assert checker.audit(tmp_path, baseline=baseline).findings == []
    message["text"] = "no OWNERS file"
    assert len(checker.audit(tmp_path, baseline=baseline).findings) == 1


def test_a_baseline_names_rules_so_another_rule_on_the_same_line_is_new(
    tmp_path, home_paths, baseline_file
):
    build_tree(tmp_path, {"load.py": HOME_PATH})
    baseline = record(home_paths, tmp_path, baseline_file)
    home_paths.file_rule("YY001", ["*.py"], flags_lines_with("/home/"))

    result = home_paths.audit(tmp_path, baseline=baseline)

    assert [f.rule_id for f in result.findings] == ["YY001"]


def test_rewriting_the_baseline_after_a_fix_leaves_only_the_findings_still_present(
    tmp_path, home_paths, baseline_file
):
    build_tree(tmp_path, {"a.py": HOME_PATH, "b.py": HOME_PATH})
    baseline = record(home_paths, tmp_path, baseline_file)
    build_tree(tmp_path, {"b.py": "df = open('data/churn.csv')\n"})

    written = record_baseline(home_paths.audit(tmp_path, baseline=baseline), baseline_file)

    assert written == 1
    entries = json.loads(baseline_file.read_text())["findings"]
    assert [e["path"] for e in entries] == ["a.py"]


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        b"\xff\xfe{}",
        "[]",
        '{"findings": []}',
        '{"schema_version": 2, "findings": []}',
        '{"schema_version": 1}',
        '{"schema_version": 1, "findings": {}}',
        '{"schema_version": 1, "findings": [{"rule": "XX001"}]}',
        '{"schema_version": 1, "findings": ["abc"]}',
    ],
    ids=[
        "corrupt",
        "not UTF-8",
        "a list",
        "no version",
        "a future version",
        "no findings",
        "findings not a list",
        "an entry without fingerprint",
        "an entry not an object",
    ],
)
def test_a_file_that_is_not_a_baseline_is_refused_naming_it(baseline_file, content):
    build_tree(baseline_file.parent, {baseline_file.name: content})

    with pytest.raises(BaselineError, match=f"baseline file {baseline_file} is not "):
        Baseline.load(baseline_file)


def test_a_missing_baseline_is_refused_naming_it(baseline_file):
    with pytest.raises(BaselineError, match=f"baseline file {baseline_file} does not exist"):
        Baseline.load(baseline_file)


def test_a_directory_given_as_baseline_is_refused_naming_it(tmp_path):
    with pytest.raises(BaselineError, match=f"baseline file {tmp_path} is not readable"):
        Baseline.load(tmp_path)
