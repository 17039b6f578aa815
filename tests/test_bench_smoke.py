"""bench/audit_speed.py must keep working as the checker changes, or the targets go unmeasured.

Tiny runs (200 files, one timed repeat) check that it completes and reports; they say
nothing about speed, which only the full benchmark measures.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat

SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "audit_speed.py"
RATIO_LINE = re.compile(r"^ratio: audit/floor = \d+\.\d\dx in-process, .*\(target <= 3x\)", re.M)


def run_bench(workdir: Path, *options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--files",
            "200",
            "--repeat",
            "1",
            "--workdir",
            str(workdir),
            *options,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_full_run_prints_a_ratio_line_and_cleans_up(tmp_path: Path) -> None:
    done = run_bench(tmp_path)

    assert done.returncode == 0, done.stderr
    assert RATIO_LINE.search(done.stdout), done.stdout
    assert "(a) floor: read every file, os.walk" in done.stdout
    assert "(b) prodcheck audit, in-process" in done.stdout
    assert "memory:" in done.stdout
    assert list(tmp_path.iterdir()) == [], "without --keep the generated repository is removed"


def test_json_results_describe_the_generated_repository(tmp_path: Path) -> None:
    done = run_bench(tmp_path, "--json", "--keep", "--no-git", "--no-cli", "--no-memory")

    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    rows = {row["key"]: row for row in results["measurements"]}
    assert rows["a_walk"]["median_s"] > 0
    assert rows["b_in_process"]["ratio_to_floor"] > 0
    assert rows["c_process"]["skipped"] == "--no-cli given"
    assert "a_git" not in rows
    repo = Path(results["repository"]["root"])
    files = [p for p in repo.rglob("*") if p.is_file()]
    assert len(files) == results["repository"]["files"] == 200
    assert not (repo / ".git").exists()
    for notebook in [p for p in files if p.suffix == ".ipynb"][:5]:
        nbformat.validate(nbformat.read(notebook, as_version=nbformat.NO_CONVERT))


def test_template_speed_times_the_generation() -> None:
    script = SCRIPT.with_name("template_speed.py")
    done = subprocess.run(
        [sys.executable, str(script), "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert re.search(r"^  prodcheck new --defaults +\d+ ms", done.stdout, re.M), done.stdout
    assert "generation: target < 3 s:" in done.stdout
