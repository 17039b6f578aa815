"""The snapshot: which files an audit sees, how they are read, and what it says when it cannot."""

from __future__ import annotations

import builtins
import subprocess
from pathlib import Path

import pytest

from prodcheck.config import Config
from prodcheck.snapshot import Problem, Snapshot, parse_front_matter
from tests.helpers import build_tree


def scan(root: Path, **settings: object) -> Snapshot:
    return Snapshot.scan(root, Config(**settings))  # type: ignore[arg-type]


def problems(snapshot: Snapshot) -> set[tuple[str, str]]:
    return {(d.problem.value, d.path) for d in snapshot.diagnostics}


@pytest.fixture(params=["git work tree", "plain directory"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A tree to list, inside git or not: listing rules that hold for both are tested on both."""
    if request.param == "git work tree":
        request.getfixturevalue("git")
    return tmp_path


# -- listing in a git work tree -------------------------------------------------------------


def test_git_lists_tracked_and_untracked_files_but_not_ignored_ones(tmp_path, git):
    build_tree(tmp_path, {".gitignore": "*.csv\n", "train.py": "", "export.csv": ""})
    git("add", "-A")
    git("commit", "-qm", "start")
    build_tree(tmp_path, {"new_module.py": "", "new_export.csv": ""})

    assert set(scan(tmp_path).files) == {".gitignore", "train.py", "new_module.py"}


def test_git_lists_a_tracked_file_even_when_gitignore_now_matches_it(tmp_path, git):
    build_tree(tmp_path, {"data/train.csv": "a,b\n"})
    git("add", "-A")
    git("commit", "-qm", "start")
    build_tree(tmp_path, {".gitignore": "data/\n"})

    assert "data/train.csv" in scan(tmp_path).files


def test_a_tracked_file_deleted_from_the_work_tree_is_skipped(tmp_path, git):
    build_tree(tmp_path, {"keep.py": "", "gone.py": ""})
    git("add", "-A")
    git("commit", "-qm", "start")
    (tmp_path / "gone.py").unlink()

    snapshot = scan(tmp_path)

    assert set(snapshot.files) == {"keep.py"}
    assert snapshot.diagnostics == []


def test_a_subdirectory_of_a_git_repository_is_listed_relative_to_itself(tmp_path, git):
    build_tree(tmp_path, {"README.md": "", "pilot/src/train.py": "", "pilot/OWNERS": ""})
    git("add", "-A")

    assert set(scan(tmp_path / "pilot").files) == {"src/train.py", "OWNERS"}


def test_git_paths_with_spaces_and_non_ascii_letters_are_listed_verbatim(tmp_path, git):
    build_tree(tmp_path, {"notebooks/Prévision des ventes.ipynb": "{}"})
    git("add", "-A")

    assert set(scan(tmp_path).files) == {"notebooks/Prévision des ventes.ipynb"}


def test_a_directory_the_enclosing_repository_ignores_is_still_listed_when_audited(tmp_path, git):
    build_tree(tmp_path, {".gitignore": "generated/\n", "generated/pilot/train.py": ""})

    assert set(scan(tmp_path / "generated" / "pilot").files) == {"train.py"}


@pytest.mark.parametrize(
    "tool_dir", [".venv", "venv", "node_modules", "__pycache__", ".ipynb_checkpoints"]
)
def test_git_does_not_list_an_untracked_tool_directory_that_gitignore_forgot(
    tmp_path, git, tool_dir
):
    build_tree(
        tmp_path, {"train.py": "", f"{tool_dir}/lib/site.py": "", f"src/{tool_dir}/x.py": ""}
    )

    assert set(scan(tmp_path).files) == {"train.py"}


def test_git_lists_a_tool_directory_that_was_committed(tmp_path, git):
    build_tree(tmp_path, {"venv/lib/site.py": ""})
    git("add", "-A")

    assert set(scan(tmp_path).files) == {"venv/lib/site.py"}


# -- listing without git ------------------------------------------------------------------

GITIGNORE_CASES = {
    "root and nested files": {
        ".gitignore": "*.csv\n",
        "a.csv": "",
        "sub/.gitignore": "*.log\n",
        "sub/b.log": "",
        "c.log": "",
        "sub/d.py": "",
    },
    "anchored in the root": {".gitignore": "/build/\n", "build/x.py": "", "src/build/y.py": ""},
    "anchored in a nested file": {"sub/.gitignore": "/out\n", "sub/out/x.py": "", "out/y.py": ""},
    "a directory anywhere": {".gitignore": "data/\n", "data/x.csv": "", "src/data/y.csv": ""},
    "a path with a slash in a nested file": {
        "sub/.gitignore": "a/b.txt\n",
        "sub/a/b.txt": "",
        "a/b.txt": "",
    },
    "negation in one file": {".gitignore": "*.log\n!keep.log\n", "keep.log": "", "drop.log": ""},
    "negation in a nested file": {
        ".gitignore": "*.log\n",
        "sub/.gitignore": "!keep.log\n",
        "sub/keep.log": "",
        "sub/drop.log": "",
        "keep.log": "",
    },
    "a nested file ignoring what the root keeps": {
        ".gitignore": "!*.py\n",
        "sub/.gitignore": "*.py\n",
        "sub/x.py": "",
        "y.py": "",
    },
}


@pytest.mark.parametrize("tree", GITIGNORE_CASES.values(), ids=GITIGNORE_CASES.keys())
def test_without_git_gitignore_files_are_honoured_as_git_honours_them(tmp_path, tree):
    plain = build_tree(tmp_path / "plain", tree)
    in_git = build_tree(tmp_path / "in_git", tree)
    subprocess.run(["git", "init", "-q", "--template=", str(in_git)], check=True)

    assert set(scan(plain).files) == set(scan(in_git).files)


@pytest.mark.parametrize(
    "pruned", [".git", ".venv", "venv", "node_modules", "__pycache__", ".ipynb_checkpoints"]
)
def test_without_git_tool_directories_are_pruned_even_without_a_gitignore(tmp_path, pruned):
    build_tree(tmp_path, {"train.py": "", f"{pruned}/lib/module.py": "", f"src/{pruned}/x.py": ""})

    assert set(scan(tmp_path).files) == {"train.py"}


# -- symlinks -----------------------------------------------------------------------------


def test_a_symlink_loop_is_reported_and_not_followed(root):
    (root / "a.py").symlink_to("b.py")
    (root / "b.py").symlink_to("a.py")

    snapshot = scan(root)

    assert problems(snapshot) == {("PC004", "a.py"), ("PC004", "b.py")}
    assert snapshot.files == {}


def test_a_dangling_symlink_is_reported(root):
    (root / "data.csv").symlink_to("/Users/alice/Downloads/data.csv")

    assert problems(scan(root)) == {("PC004", "data.csv")}


def test_a_symlink_to_a_file_outside_the_root_is_reported_and_never_read(root, tmp_path_factory):
    outside = tmp_path_factory.mktemp("outside") / "credentials.py"
    outside.write_text("TOKEN = 'secret'\n")
    (root / "settings.py").symlink_to(outside)

    snapshot = scan(root)

    assert problems(snapshot) == {("PC004", "settings.py")}
    assert snapshot.text("settings.py") is None


def test_a_symlink_to_a_directory_outside_the_root_is_reported_and_never_walked(
    root, tmp_path_factory
):
    outside = tmp_path_factory.mktemp("home")
    build_tree(outside, {"notes.py": "", "data/big.csv": ""})
    (root / "shared").symlink_to(outside, target_is_directory=True)

    snapshot = scan(root)

    assert problems(snapshot) == {("PC004", "shared")}
    assert not any(path.startswith("shared/") for path in snapshot.files)


def test_a_symlink_inside_the_tree_is_neither_followed_nor_reported(root):
    build_tree(root, {"src/train.py": "", "sub/x.py": ""})
    (root / "train.py").symlink_to("src/train.py")
    (root / "sub" / "back").symlink_to("..", target_is_directory=True)

    snapshot = scan(root)

    assert set(snapshot.files) == {"src/train.py", "sub/x.py"}
    assert snapshot.diagnostics == []


# -- reading ------------------------------------------------------------------------------


def test_a_file_over_the_read_limit_is_listed_with_its_size_and_not_read(tmp_path):
    build_tree(tmp_path, {"export.csv": "x" * 3000})

    snapshot = scan(tmp_path, max_file_kb=2)

    assert snapshot.files["export.csv"].size == 3000
    assert snapshot.read_bytes("export.csv") is None
    [diagnostic] = snapshot.diagnostics
    assert (diagnostic.problem, diagnostic.path) == (Problem.TOO_LARGE, "export.csv")
    assert "max_file_kb" in diagnostic.message


def test_a_binary_file_named_py_is_reported_and_not_parsed(tmp_path):
    build_tree(tmp_path, {"model.py": b"\x80\x04\x95\x00\x00\x00sklearn"})
    snapshot = scan(tmp_path)

    assert snapshot.python("model.py") is None
    assert problems(snapshot) == {("PC001", "model.py")}


def test_a_file_that_vanishes_after_listing_is_reported_unreadable(tmp_path):
    build_tree(tmp_path, {"train.py": "print(1)\n"})
    snapshot = scan(tmp_path)
    (tmp_path / "train.py").unlink()

    assert snapshot.text("train.py") is None
    assert problems(snapshot) == {("PC001", "train.py")}


def test_a_permission_denied_file_is_reported_unreadable(tmp_path, monkeypatch):
    # Tests run as root in CI, where chmod 000 does not stop a read: make the OS refuse instead.
    build_tree(tmp_path, {"secret.py": "x = 1\n"})
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if str(file).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    snapshot = scan(tmp_path)

    assert snapshot.text("secret.py") is None
    assert problems(snapshot) == {("PC001", "secret.py")}
    assert "Permission denied" in snapshot.diagnostics[0].message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("\ufeffimport os\n".encode(), "import os\n"),
        ("nom = 'café'\n".encode("latin-1"), "nom = 'caf\ufffd'\n"),
    ],
    ids=["a byte order mark is dropped", "invalid UTF-8 is replaced, not refused"],
)
def test_text_is_decoded_leniently(tmp_path, content, expected):
    build_tree(tmp_path, {"module.py": content})

    assert scan(tmp_path).text("module.py") == expected


def test_a_path_not_in_the_snapshot_reads_as_nothing_without_a_diagnostic(tmp_path):
    snapshot = scan(tmp_path)

    assert snapshot.text("docs/business-case.md") is None
    assert snapshot.front_matter("docs/business-case.md") is None
    assert snapshot.diagnostics == []


@pytest.mark.parametrize(
    ("path", "content", "parser", "line"),
    [
        ("train.py", "def train(:\n    pass\n", "python", 1),
        ("pipeline.py", "x = 1\nprint 'hello'\n", "python", 2),
        ("analysis.ipynb", "this is not JSON", "notebook", None),
        ("analysis.ipynb", '{"metadata": {}}', "notebook", None),
        ("analysis.ipynb", "[1, 2, 3]", "notebook", None),
        ("ci.yaml", "jobs:\n  test:\n    runs-on: [ubuntu\n  other: 1\n", "yaml", 4),
        ("config.toml", "[tool\nname = 1\n", "toml", None),
    ],
    ids=[
        "python",
        "python 2",
        "notebook not JSON",
        "JSON but not a notebook",
        "notebook not an object",
        "yaml",
        "toml",
    ],
)
def test_a_file_that_does_not_parse_is_reported_with_its_path_and_line(
    tmp_path, path, content, parser, line
):
    build_tree(tmp_path, {path: content})
    snapshot = scan(tmp_path)

    assert getattr(snapshot, parser)(path) is None
    [diagnostic] = snapshot.diagnostics
    assert (diagnostic.problem, diagnostic.path) == (Problem.UNPARSABLE, path)
    assert diagnostic.line == line
    assert f"`{path}`" in diagnostic.message


def test_a_file_that_cannot_be_read_is_reported_once_however_often_it_is_asked_for(tmp_path):
    build_tree(tmp_path, {"model.py": b"\0\0\0"})
    snapshot = scan(tmp_path)

    for _ in range(3):
        snapshot.text("model.py")
        snapshot.python("model.py")

    assert len(snapshot.diagnostics) == 1


# -- caching ------------------------------------------------------------------------------

PARSED = {
    "python": ("train.py", "x = 1\n"),
    "notebook": (
        "analysis.ipynb",
        '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
    ),
    "yaml": ("ci.yaml", "a: [1, 2]\n"),
    "toml": ("pyproject.toml", "[project]\nname = 'x'\n"),
    "front_matter": ("docs/business-case.md", "---\nproblem: churn\n---\n"),
}


@pytest.mark.parametrize(("parser", "file"), PARSED.items(), ids=PARSED.keys())
def test_each_parser_runs_once_per_file_and_every_rule_shares_its_result(tmp_path, parser, file):
    path, content = file
    build_tree(tmp_path, {path: content})
    snapshot = scan(tmp_path)

    first = getattr(snapshot, parser)(path)

    assert first is not None
    assert getattr(snapshot, parser)(path) is first


def test_a_file_is_read_once_so_every_parser_sees_the_content_first_read(tmp_path):
    build_tree(tmp_path, {"train.py": "x = 1\n"})
    snapshot = scan(tmp_path)
    assert snapshot.text("train.py") == "x = 1\n"

    (tmp_path / "train.py").write_text("x = (\n")

    assert snapshot.lines("train.py") == ["x = 1"]
    assert snapshot.python("train.py") is not None
    assert snapshot.diagnostics == []


def test_a_shared_fixture_is_computed_once_per_audit(tmp_path):
    snapshot = scan(tmp_path)
    calls = []

    def business_case(repo: Snapshot) -> str:
        calls.append(repo)
        return "parsed"

    assert [snapshot.memo(business_case) for _ in range(3)] == ["parsed"] * 3
    assert len(calls) == 1


def test_directories_are_every_ancestor_of_a_listed_file_with_the_root_as_empty(tmp_path):
    build_tree(tmp_path, {"src/pilot/service/app.py": "", "README.md": ""})

    assert scan(tmp_path).directories() == {"", "src", "src/pilot", "src/pilot/service"}


# -- front matter -------------------------------------------------------------------------

BUSINESS_CASE = """\
---
problem: churn
annual_value: 100000
success_metrics:
  - name: retention
    target: 0.9
  - name: revenue
    target: 1000
---
# Churn
"""


@pytest.mark.parametrize(
    ("keys", "line"),
    [
        (("problem",), 2),
        (("success_metrics",), 4),
        (("success_metrics", 0), 5),
        (("success_metrics", 0, "target"), 6),
        (("success_metrics", 1, "target"), 8),
    ],
)
def test_front_matter_knows_the_file_line_of_every_key_and_list_item(keys, line):
    front_matter = parse_front_matter(BUSINESS_CASE)

    assert front_matter is not None
    assert front_matter.line_of(*keys) == line


@pytest.mark.parametrize(
    ("keys", "line"),
    [
        (("success_metrics", 1, "direction"), 7),
        (("success_metrics", 5), 4),
        (("decision_date",), 2),
    ],
    ids=["missing key of an item", "missing item", "missing top-level key"],
)
def test_a_missing_key_points_at_the_nearest_enclosing_one(keys, line):
    front_matter = parse_front_matter(BUSINESS_CASE)

    assert front_matter is not None
    assert front_matter.line_of(*keys) == line


def test_front_matter_is_read_from_the_markdown_file(tmp_path):
    build_tree(tmp_path, {"docs/business-case.md": BUSINESS_CASE})

    front_matter = scan(tmp_path).front_matter("docs/business-case.md")

    assert front_matter is not None
    assert front_matter.data["success_metrics"][1] == {"name": "revenue", "target": 1000}


@pytest.mark.parametrize("text", ["# Churn\n\nNo front matter here.\n", "", "\n---\na: 1\n---\n"])
def test_markdown_that_does_not_start_with_a_front_matter_block_has_none(text):
    assert parse_front_matter(text) is None


def test_an_unclosed_front_matter_block_is_an_error_at_its_first_line():
    front_matter = parse_front_matter("---\nproblem: churn\n\n# Churn\n")

    assert front_matter is not None
    assert front_matter.error is not None
    assert "never closed" in front_matter.error
    assert front_matter.error_line == 1


def test_broken_yaml_in_front_matter_is_an_error_at_its_file_line():
    front_matter = parse_front_matter("---\nproblem: churn\nannual_value: 1: 2\n---\n")

    assert front_matter is not None
    assert front_matter.error is not None
    assert front_matter.error_line == 3


def test_front_matter_that_is_not_a_mapping_is_kept_as_parsed_for_rules_to_judge():
    front_matter = parse_front_matter("---\n- churn\n- 100000\n---\n")

    assert front_matter is not None
    assert front_matter.error is None
    assert front_matter.data == ["churn", 100000]
    assert front_matter.line_of(1) == 3
