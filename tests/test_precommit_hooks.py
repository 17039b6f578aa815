"""The pre-commit hooks, as a team meets them: `git commit` blocked on a secret or a data export.

The slow tests run the real `pre-commit` program, which installs prodcheck from a git
repository at a revision. The working tree is copied and committed in a scratch repository
first, so they judge the hooks as they are in this checkout, not as last committed.
"""

from __future__ import annotations

import fnmatch
import itertools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
import yaml

from prodcheck.findings import Scope
from prodcheck.registry import load_rules
from tests.helpers import build_tree

CHECKOUT = Path(__file__).resolve().parents[1]
MANIFEST = CHECKOUT / ".pre-commit-hooks.yaml"
BENCH = CHECKOUT / "bench" / "precommit_hook.py"
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
HOOKS = {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))}
FILE_HOOK = re.compile(HOOKS["prodcheck"]["files"])
"""pre-commit compiles `files` as a Python regex and searches each staged path with it."""

FILE_PATTERNS = sorted(
    {(r.id, pattern) for r in load_rules() if r.scope is Scope.FILE for pattern in r.files}
)
AWS_KEY = "AKIAZ3MSJV4WWQ7KUJPL"  # pragma: allowlist secret  (made up for this test)


def glob_instances(pattern: str) -> list[str]:
    """Names a glob matches: each `*` as nothing and as a word, each `[Dd]` as each letter."""
    choices = []
    for part in re.split(r"(\*|\[[^\]]+\])", pattern):
        if part == "*":
            choices.append(["", "churn_v2"])
        elif part.startswith("["):
            choices.append(list(part[1:-1]))
        else:
            choices.append([part])
    names = ["".join(choice) for choice in itertools.product(*choices)]
    assert all(fnmatch.fnmatchcase(name, pattern) for name in names), pattern
    return names


def test_the_manifest_is_valid_for_pre_commit() -> None:
    done = subprocess.run(
        [str(PRE_COMMIT), "validate-manifest", str(MANIFEST)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(("rule_id", "pattern"), FILE_PATTERNS)
def test_the_file_hook_passes_every_file_a_file_scoped_rule_reads(
    rule_id: str, pattern: str
) -> None:
    for name in glob_instances(pattern):
        for path in (name, f"services/churn/{name}"):
            assert FILE_HOOK.search(path), f"{rule_id} reads {path}, which the hook never passes"


@pytest.mark.parametrize("path", ["assets/logo.png", "LICENSE", "docs/diagram.svg", "app.bin"])
def test_the_file_hook_skips_files_no_file_scoped_rule_reads(path: str) -> None:
    assert not any(fnmatch.fnmatchcase(path.rpartition("/")[2], p) for _, p in FILE_PATTERNS)
    assert not FILE_HOOK.search(path)


# -- the real pre-commit program ------------------------------------------------------------


@dataclass(frozen=True)
class HookRepo:
    """This checkout's working tree committed in a scratch repository, and where hooks live."""

    path: Path
    rev: str
    env: Mapping[str, str]


def run(
    args: list[str], cwd: Path, env: Mapping[str, str], check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        pytest.fail(f"$ {' '.join(args)}\n{done.stdout}{done.stderr}")
    return done


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    """The working tree as a git commit, with its hook environment installed once per module.

    HOME, git's configuration and pre-commit's cache all point into the test's scratch space,
    so neither the machine's settings nor an earlier run change what the tests see.
    """
    if not PRE_COMMIT.exists():
        pytest.fail(f"{PRE_COMMIT} is missing: install the dev dependencies")
    scratch = tmp_path_factory.mktemp("pre-commit")
    env = {
        **os.environ,
        "HOME": str(scratch),
        "PRE_COMMIT_HOME": str(scratch / "cache"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": str(tmp_path_factory.getbasetemp()),
        **{
            f"GIT_{role}_{key}": value
            for role in ("AUTHOR", "COMMITTER")
            for key, value in (("NAME", "Test"), ("EMAIL", "test@example.com"))
        },
    }
    repo = scratch / "prodcheck"
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], CHECKOUT, env
    ).stdout
    for relative in filter(None, listed.split("\0")):
        source = CHECKOUT / relative
        if source.is_file():  # a tracked file deleted in the working tree is left out
            (repo / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / relative)
    run(["git", "init", "-q", "--template="], repo, env)
    run(["git", "add", "-A"], repo, env)
    run(["git", "commit", "-q", "-m", "the working tree under test"], repo, env)
    rev = run(["git", "rev-parse", "HEAD"], repo, env).stdout.strip()
    return HookRepo(repo, rev, env)


def pilot(hook_repo: HookRepo, root: Path, hook_id: str, *args: str) -> Path:
    """A fresh git repository with one prodcheck hook installed as its pre-commit hook."""
    config = {
        "repos": [
            {
                "repo": str(hook_repo.path),
                "rev": hook_repo.rev,
                "hooks": [{"id": hook_id, **({"args": list(args)} if args else {})}],
            }
        ]
    }
    run(["git", "init", "-q", "--template="], root, hook_repo.env)
    build_tree(root, {".pre-commit-config.yaml": yaml.safe_dump(config)})
    run(["git", "add", ".pre-commit-config.yaml"], root, hook_repo.env)
    run(["git", "commit", "-q", "--no-verify", "-m", "pre-commit config"], root, hook_repo.env)
    run([str(PRE_COMMIT), "install", "--install-hooks"], root, hook_repo.env)
    return root


def commit(hook_repo: HookRepo, root: Path, files: Mapping[str, str | bytes]) -> tuple[bool, str]:
    """Write `files`, `git commit` the work tree; whether the commit was made, and the output."""
    build_tree(root, files)
    run(["git", "add", "-A"], root, hook_repo.env)
    before = run(["git", "rev-parse", "HEAD"], root, hook_repo.env).stdout
    done = run(["git", "commit", "-m", "work"], root, hook_repo.env, check=False)
    after = run(["git", "rev-parse", "HEAD"], root, hook_repo.env).stdout
    assert (done.returncode == 0) == (before != after), done.stdout + done.stderr
    return before != after, done.stdout + done.stderr


def notebook_printing(output: str) -> str:
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("import os\nprint(os.environ['AWS_ACCESS_KEY_ID'])")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output + "\n")]
    notebook.cells = [cell]
    return nbformat.writes(notebook)


def csv_export(size: int) -> str:
    """A CSV of `size` bytes of 10-byte rows, plus its header."""
    return "customer_id,churned\n" + "".join(f"{i:07d},{i % 2}\n" for i in range(size // 10))


CLEAN_WORK = {
    "src/churn/features.py": '"""Churn features."""\n\n\ndef tenure(days: int) -> float:\n'
    "    return days / 30\n",
    "notebooks/explore.ipynb": notebook_printing("42 customers"),
    "tests/data/sample.csv": csv_export(2_000),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("files", "rule_id", "message"),
    [
        (
            {"notebooks/explore.ipynb": notebook_printing(AWS_KEY)},
            "SEC001",
            "an AWS Access Key is committed in a cell output of `notebooks/explore.ipynb`",
        ),
        (
            {"data/export.csv": csv_export(5 * 2**20)},
            "DATA001",
            "`data/export.csv` is a 5.0 MiB data export committed to the repository",
        ),
    ],
    ids=["secret in a notebook output", "5 MB CSV export"],
)
def test_the_file_hook_blocks_a_commit_with_a_bad_file(
    hook_repo: HookRepo, tmp_path: Path, files: dict[str, str], rule_id: str, message: str
) -> None:
    root = pilot(hook_repo, tmp_path, "prodcheck")

    committed, output = commit(hook_repo, root, {**CLEAN_WORK, **files})

    assert not committed
    assert rule_id in output
    assert message in output


@pytest.mark.slow
def test_the_file_hook_lets_a_clean_commit_through(hook_repo: HookRepo, tmp_path: Path) -> None:
    root = pilot(hook_repo, tmp_path, "prodcheck")

    committed, output = commit(hook_repo, root, CLEAN_WORK)

    assert committed, output
    assert "prodcheck (file rules)" in output
    assert "Passed" in output


@pytest.mark.slow
def test_a_baselined_finding_does_not_block_the_file_hook(
    hook_repo: HookRepo, tmp_path: Path
) -> None:
    root = pilot(hook_repo, tmp_path, "prodcheck", "--baseline", ".prodcheck-baseline.json")
    export = {"data/export.csv": csv_export(200 * 2**10)}
    build_tree(root, export)
    run(
        [
            sys.executable,
            "-m",
            "prodcheck",
            "audit",
            ".",
            "--write-baseline",
            ".prodcheck-baseline.json",
            "--format",
            "json",
            "--output",
            os.devnull,
        ],
        root,
        hook_repo.env,
        check=False,
    )

    committed, output = commit(hook_repo, root, {})

    assert committed, output


@pytest.mark.slow
def test_the_stage_hook_blocks_a_commit_while_the_target_stage_is_not_reached(
    hook_repo: HookRepo, tmp_path: Path
) -> None:
    root = pilot(hook_repo, tmp_path, "prodcheck-stage")

    committed, output = commit(hook_repo, root, {".prodcheck.toml": "target_stage = 1\n"})

    assert not committed
    assert "Stage 0 of 3: pilot purgatory" in output
    assert "BC001" in output


@pytest.mark.slow
def test_the_stage_hook_lets_a_commit_through_once_the_target_stage_is_reached(
    hook_repo: HookRepo, tmp_path: Path
) -> None:
    root = pilot(hook_repo, tmp_path, "prodcheck-stage")

    committed, output = commit(hook_repo, root, {".prodcheck.toml": "target_stage = 0\n"})

    assert committed, output


def test_the_hook_benchmark_runs_and_reports_against_the_target(tmp_path: Path) -> None:
    """bench/precommit_hook.py must not rot; a two-round run on 200 files says nothing of speed."""
    done = subprocess.run(
        [sys.executable, str(BENCH), "--files", "200", "--repeat", "2"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    assert re.search(r"^hook: \d+ ms median \(target < 300 ms: (ok|MISSED)\)", done.stdout, re.M)
