"""The engine: running rules, choosing them, and turning findings into a stage verdict."""

from __future__ import annotations

import pytest

from prodcheck.config import Config
from prodcheck.engine import select_rules
from prodcheck.findings import Severity, Violation
from prodcheck.registry import UnknownRuleError
from tests.helpers import build_tree
from tests.unit.toy_rules import crashes, fails, passes, reads_everything, records

WARNING = Severity.WARNING


def ids(findings) -> list[str]:
    return [f.rule_id for f in findings]


# -- running rules --------------------------------------------------------------------------


def test_a_repo_rule_violation_becomes_a_finding_with_the_rule_id_and_severity(tmp_path, checker):
    checker.repo_rule("XX001", fails("no OWNERS file", "OWNERS"), severity=WARNING)

    [finding] = checker.audit(tmp_path).findings

    assert (finding.rule_id, finding.severity, finding.message, finding.path) == (
        "XX001",
        WARNING,
        "no OWNERS file",
        "OWNERS",
    )


def test_a_file_rule_runs_on_each_file_its_patterns_match_and_no_other(tmp_path, checker):
    build_tree(tmp_path, {"train.py": "", "src/pilot/serve.py": "", "notes.md": "", "a.ipynb": ""})
    seen = []
    checker.file_rule("XX001", ["*.py", "*.ipynb"], records(seen))

    checker.audit(tmp_path)

    assert sorted(seen) == ["a.ipynb", "src/pilot/serve.py", "train.py"]


def test_a_file_rule_finding_is_located_in_its_file_unless_it_names_another(tmp_path, checker):
    build_tree(tmp_path, {"train.py": "", "Dockerfile": ""})
    checker.file_rule("XX001", ["*.py"], fails("hard-coded path", line=3))
    checker.file_rule("XX002", ["Dockerfile"], fails("no ignore file", ".dockerignore"))

    findings = checker.audit(tmp_path).findings

    assert {(f.rule_id, f.path, f.line) for f in findings} == {
        ("XX001", "train.py", 3),
        ("XX002", ".dockerignore", None),
    }


def test_findings_are_ordered_by_path_then_cell_then_line(tmp_path, checker):
    checker.repo_rule(
        "XX001",
        lambda repo: [
            Violation("b", "b.py", 1),
            Violation("c", "a.ipynb", 9, cell=2),
            Violation("d", "a.ipynb", 1, cell=3),
            Violation("a", "a.ipynb", 5, cell=2),
            Violation("repo-wide"),
        ],
    )

    findings = checker.audit(tmp_path).findings

    assert [f.message for f in findings] == ["repo-wide", "a", "c", "d", "b"]


# -- a rule that crashes --------------------------------------------------------------------


def test_a_rule_that_raises_on_a_file_becomes_a_warning_naming_the_rule_and_file(tmp_path, checker):
    build_tree(tmp_path, {"good.py": "", "bad.py": ""})

    def flaky(repo, file):
        if file.name == "bad.py":
            raise KeyError("success_metrics")
        return [Violation("found it")]

    checker.file_rule("XX001", ["*.py"], flaky)

    findings = checker.audit(tmp_path).findings

    [crash] = [f for f in findings if f.rule_id == "PC005"]
    assert (crash.severity, crash.path) == (WARNING, "bad.py")
    assert "rule XX001 crashed on `bad.py`" in crash.message
    assert "KeyError" in crash.message
    assert [(f.rule_id, f.path) for f in findings if f.rule_id == "XX001"] == [("XX001", "good.py")]


@pytest.mark.parametrize(
    "check",
    [crashes, lambda repo: None, lambda repo: 42],
    ids=["raises", "returns None", "returns a number"],
)
def test_a_broken_repo_rule_is_a_warning_and_the_other_rules_still_run(tmp_path, checker, check):
    checker.repo_rule("XX001", check)
    checker.repo_rule("XX002", fails("still judged"))

    findings = checker.audit(tmp_path).findings

    assert [(f.rule_id, f.severity, f.path) for f in findings] == [
        ("PC005", WARNING, None),
        ("XX002", Severity.ERROR, None),
    ]
    assert "rule XX001 crashed" in findings[0].message


def test_crash_reports_are_silenced_by_ignoring_pc005(tmp_path, checker):
    checker.repo_rule("XX001", crashes)

    result = checker.audit(tmp_path, ignore=["PC005"])

    assert result.findings == []


# -- rules that require others --------------------------------------------------------------


def test_a_rule_whose_required_rule_fails_does_not_run(tmp_path, checker):
    ran = []
    checker.repo_rule("XX001", fails("no business case"))
    checker.repo_rule("XX002", records(ran), requires=["XX001"])

    findings = checker.audit(tmp_path).findings

    assert ids(findings) == ["XX001"]
    assert ran == []


def test_a_rule_whose_required_rule_passes_runs(tmp_path, checker):
    checker.repo_rule("XX001", passes)
    checker.repo_rule("XX002", fails("incomplete front matter"), requires=["XX001"])

    assert ids(checker.audit(tmp_path).findings) == ["XX002"]


@pytest.mark.parametrize(
    ("required", "dependent"),
    [
        (("ZZ001", 1), ("AA001", 1)),
        (("XX001", 2), ("XX002", 1)),
    ],
    ids=["an earlier id requires a later one", "an earlier stage requires a later one"],
)
def test_a_required_rule_runs_first_whatever_the_order_of_ids_and_stages(
    tmp_path, checker, required, dependent
):
    (required_id, required_stage), (dependent_id, dependent_stage) = required, dependent
    checker.repo_rule(required_id, fails("missing"), stage=required_stage)
    checker.repo_rule(
        dependent_id, fails("would repeat it"), stage=dependent_stage, requires=[required_id]
    )

    assert ids(checker.audit(tmp_path).findings) == [required_id]


def test_a_file_rule_whose_required_rule_failed_on_some_file_does_not_run(tmp_path, checker):
    build_tree(tmp_path, {"Dockerfile": "FROM python\n", "other/Dockerfile": "FROM python:3.11\n"})
    checker.file_rule(
        "XX001",
        ["Dockerfile"],
        lambda repo, file: (
            [Violation("unpinned")] if repo.text(file.path) == "FROM python\n" else []
        ),
    )
    checker.file_rule("XX002", ["Dockerfile"], fails("root user"), requires=["XX001"])

    assert ids(checker.audit(tmp_path).findings) == ["XX001"]


# -- choosing rules -------------------------------------------------------------------------


@pytest.fixture
def five_rules(checker):
    checker.repo_rule("BC001", passes)
    checker.repo_rule("BC002", passes)
    checker.repo_rule("OWN001", passes)
    checker.repo_rule("DATA001", passes, stage=2)
    checker.repo_rule("DATA002", passes, stage=2, severity=WARNING)
    return checker


@pytest.mark.parametrize(
    ("config", "select", "ignore", "expected"),
    [
        (Config(), [], [], ["BC001", "BC002", "OWN001", "DATA001", "DATA002"]),
        (Config(select=("BC",)), [], [], ["BC001", "BC002"]),
        (Config(select=("BC",)), ["OWN", "DATA001"], [], ["OWN001", "DATA001"]),
        (Config(ignore=("DATA",)), [], ["BC002"], ["BC001", "OWN001"]),
        (Config(ignore=("BC001",)), ["BC"], [], ["BC002"]),
    ],
    ids=[
        "everything by default",
        "the configured selection",
        "the command line's selection",
        "configured and command-line ignores add up",
        "the command line cannot lift a ban",
    ],
)
def test_rule_selection(five_rules, config, select, ignore, expected):
    chosen = select_rules(five_rules.registry, config, select=select, ignore=ignore)

    assert [r.id for r in chosen if r.family != "PC"] == expected


@pytest.mark.parametrize("where", ["select", "ignore"])
def test_an_unknown_rule_in_a_selection_is_an_error(five_rules, where):
    with pytest.raises(UnknownRuleError, match="'BC404'"):
        select_rules(five_rules.registry, Config(), **{where: ["BC404"]})


def test_a_deselected_rule_does_not_run(tmp_path, checker):
    ran = []
    checker.repo_rule("XX001", records(ran))

    checker.audit(tmp_path, ignore=["XX001"])

    assert ran == []


@pytest.mark.parametrize(
    ("ignore", "partial"),
    [
        ([], False),
        (["DATA001"], True),
        (["DATA002"], False),
        (["PC"], False),
    ],
    ids=["all rules", "an error rule left out", "a warning rule left out", "PC rules left out"],
)
def test_the_verdict_is_partial_when_an_error_rule_is_left_out(
    tmp_path, five_rules, ignore, partial
):
    assert five_rules.audit(tmp_path, ignore=ignore).verdict.partial is partial


# -- FILES mode (pre-commit) ----------------------------------------------------------------


def test_files_mode_runs_only_file_rules_and_only_on_the_given_files(tmp_path, checker):
    build_tree(tmp_path, {"changed.py": "", "untouched.py": "", "notes.md": ""})
    seen = []
    checker.repo_rule("XX001", records(seen))
    checker.file_rule("XX002", ["*.py"], records(seen))

    result = checker.audit(tmp_path, files=["changed.py", "notes.md"])

    assert seen == ["changed.py"], "neither the repo rule nor unchanged files are judged"
    assert [r.id for r in result.rules if r.family != "PC"] == ["XX001", "XX002"]


def test_files_mode_skips_a_given_file_that_no_longer_exists(tmp_path, checker):
    build_tree(tmp_path, {"kept.py": ""})
    checker.file_rule("XX001", ["*.py"], fails())

    result = checker.audit(tmp_path, files=["kept.py", "deleted.py"])

    assert [f.path for f in result.findings] == ["kept.py"]


@pytest.mark.parametrize(
    ("severity", "suppressed", "exit_code"),
    [
        (Severity.ERROR, False, 1),
        (WARNING, False, 0),
        (Severity.ERROR, True, 0),
    ],
    ids=["an error", "only a warning", "a suppressed error"],
)
def test_files_mode_fails_only_on_a_counted_error(
    tmp_path, checker, severity, suppressed, exit_code
):
    comment = "  # prodcheck: ignore[XX001] fixture data" if suppressed else ""
    build_tree(tmp_path, {"load.py": f"open('/home/alice/data.csv'){comment}\n"})
    checker.file_rule("XX001", ["*.py"], fails("absolute home path", line=1), severity=severity)

    result = checker.audit(tmp_path, files=["load.py"])

    assert result.exit_code == exit_code
    assert result.verdict.reached is None, "no stage is judged on a few files"


def test_files_mode_passes_with_no_finding_even_when_stages_would_fail(tmp_path, checker):
    build_tree(tmp_path, {"train.py": ""})
    checker.repo_rule("XX001", fails("no business case"))
    checker.file_rule("XX002", ["*.py"], passes)

    assert checker.audit(tmp_path, files=["train.py"]).exit_code == 0


# -- the stage verdict ----------------------------------------------------------------------


@pytest.fixture
def one_rule_per_stage(checker):
    """`failing` names the stages whose error rule fails."""

    def declare(*failing: int):
        for stage in (1, 2, 3):
            checker.repo_rule(f"XX00{stage}", fails() if stage in failing else passes, stage=stage)
        return checker

    return declare


@pytest.mark.parametrize(
    ("failing", "reached", "name"),
    [
        ((), 3, "in production"),
        ((3,), 2, "production foundation"),
        ((2,), 1, "business case validated"),
        ((1,), 0, "pilot purgatory"),
        ((2, 3), 1, "business case validated"),
        ((1, 3), 0, "pilot purgatory"),
    ],
    ids=[
        "nothing fails",
        "stage 3 fails",
        "stage 2 fails",
        "stage 1 fails",
        "stages 2 and 3",
        "stages 1 and 3",
    ],
)
def test_the_stage_reached_is_the_last_of_an_unbroken_run_of_passing_stages(
    tmp_path, one_rule_per_stage, failing, reached, name
):
    verdict = one_rule_per_stage(*failing).audit(tmp_path).verdict

    assert (verdict.reached, verdict.name) == (reached, name)


def test_warnings_never_block_a_stage(tmp_path, checker):
    for stage in (1, 2, 3):
        checker.repo_rule(f"XX00{stage}", fails("advice"), stage=stage, severity=WARNING)
        checker.repo_rule(f"YY00{stage}", passes, stage=stage)

    result = checker.audit(tmp_path)

    assert len(result.warnings) == 3
    assert result.verdict.reached == 3


@pytest.mark.parametrize(
    ("failing", "next_blockers"),
    [
        ((1,), ("XX001",)),
        ((2, 3), ("XX002",)),
        ((3,), ("XX003",)),
        ((), ()),
    ],
)
def test_next_blockers_are_the_failing_error_rules_of_the_next_stage_only(
    tmp_path, one_rule_per_stage, failing, next_blockers
):
    checker = one_rule_per_stage(*failing)
    checker.repo_rule("XX101", fails("advice"), stage=1, severity=WARNING)
    checker.repo_rule("XX102", fails("advice"), stage=2, severity=WARNING)

    assert checker.audit(tmp_path).verdict.next_blockers == next_blockers


def test_next_blockers_name_each_failing_rule_once(tmp_path, checker):
    checker.repo_rule("XX001", lambda repo: [Violation("a"), Violation("b")])
    checker.repo_rule("XX002", fails())

    assert checker.audit(tmp_path).verdict.next_blockers == ("XX001", "XX002")


@pytest.mark.parametrize(("target", "exit_code"), [(0, 0), (1, 0), (2, 1), (3, 1)])
def test_the_exit_code_says_whether_the_target_stage_is_reached(
    tmp_path, one_rule_per_stage, target, exit_code
):
    result = one_rule_per_stage(2).audit(tmp_path, target=target)

    assert (result.verdict.reached, result.verdict.target) == (1, target)
    assert result.exit_code == exit_code


def test_the_target_stage_comes_from_the_configuration_unless_given(tmp_path, one_rule_per_stage):
    checker = one_rule_per_stage(2)

    assert checker.audit(tmp_path, Config(target_stage=1)).exit_code == 0
    assert checker.audit(tmp_path, Config(target_stage=1), target=2).exit_code == 1
    assert checker.audit(tmp_path).verdict.target == 3


# -- what the snapshot could not read -------------------------------------------------------


def test_a_file_the_snapshot_could_not_read_is_a_warning_under_its_pc_rule(tmp_path, checker):
    build_tree(tmp_path, {"train.py": "def train(:\n"})
    checker.file_rule("XX001", ["*.py"], reads_everything)

    [finding] = checker.audit(tmp_path).findings

    assert (finding.rule_id, finding.severity, finding.path, finding.line) == (
        "PC002",
        WARNING,
        "train.py",
        1,
    )


def test_a_pc_rule_left_out_of_the_selection_reports_nothing(tmp_path, checker):
    build_tree(tmp_path, {"train.py": "def train(:\n"})
    checker.file_rule("XX001", ["*.py"], reads_everything)

    assert checker.audit(tmp_path, ignore=["PC002"]).findings == []
