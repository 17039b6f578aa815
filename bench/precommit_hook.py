#!/usr/bin/env python3
"""How long does the `prodcheck` pre-commit hook make a commit wait?

The hook runs `prodcheck audit . F1..F5` as a fresh process on every commit, so what counts
is whole-process wall time, interpreter start-up and imports included; the design's target
is under 300 ms for a handful of files. Start-up is most of it, so the hook is timed beside
two references on the same machine in the same rounds: a bare `python -c pass` (what no
code can save) and `prodcheck --version` (the CLI's own imports, no audit). The repository
is audit_speed.py's generated legacy pilot; the five files are the ones a typical commit
changes there (app code, a loader, a module, a notebook, a Dockerfile).

    .venv/bin/python bench/precommit_hook.py                 # 2,000 files, 20 rounds
    .venv/bin/python bench/precommit_hook.py --repeat 50 --check

Exit status: 0 when the benchmark ran, 1 with --check when the hook missed its target,
2 when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from audit_speed import (
    FILES_MODE_TARGET_S,
    MIN_FILES,
    Skip,
    find_cli,
    generate_repo,
    make_git_repo,
    positive,
    precommit_files,
    run_cli,
)


@dataclass
class Command:
    """One whole process, timed once per round; its label says what it stands for."""

    label: str
    argv: list[str]
    runs_s: list[float] = field(default_factory=list)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_s) * 1000

    @property
    def min_ms(self) -> float:
        return min(self.runs_s) * 1000


def time_rounds(commands: list[Command], cwd: Path, repeat: int) -> None:
    """One untimed warm-up each, then `repeat` rounds that time every command once.

    Interleaved, so load drift on a shared machine reaches the hook and its references alike.
    The warm-up goes through run_cli, which refuses a run that is not a verdict (exit 0 or 1).
    """
    for command in commands:
        run_cli(command.argv, cwd)
    for _ in range(repeat):
        for command in commands:
            start = time.perf_counter()
            subprocess.run(command.argv, cwd=cwd, capture_output=True, check=False)
            command.runs_s.append(time.perf_counter() - start)


def table(commands: list[Command], files: list[str], args: argparse.Namespace) -> str:
    python, version, hook = commands
    target_ms = FILES_MODE_TARGET_S * 1000
    verdict = "ok" if hook.median_ms < target_ms else "MISSED"
    lines = [
        "prodcheck pre-commit hook speed (bench/precommit_hook.py)",
        f"repository: {args.files:,} generated files (audit_speed.py, seed {args.seed}), git",
        f"changed files: {' '.join(files)}",
        f"python {platform.python_version()} on {platform.system()}, {os.cpu_count()} CPUs; "
        f"median of {args.repeat} interleaved rounds after 1 warm-up",
        "",
        f"  {'command':<40}{'median':>10}{'min':>10}{'x python':>10}",
    ]
    for command in commands:
        lines.append(
            f"  {command.label:<40}{command.median_ms:>7.0f} ms{command.min_ms:>7.0f} ms"
            f"{command.median_ms / python.median_ms:>9.2f}x"
        )
    lines += [
        "",
        f"hook: {hook.median_ms:.0f} ms median (target < {target_ms:.0f} ms: {verdict}); "
        f"{hook.median_ms / python.median_ms:.1f}x python start-up, "
        f"{hook.median_ms / version.median_ms:.2f}x `prodcheck --version`; "
        f"the audit itself adds {hook.median_ms - version.median_ms:.0f} ms",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time the pre-commit hook's command on five changed files of a generated "
        "repository, beside python and prodcheck start-up."
    )
    parser.add_argument(
        "--files",
        type=positive(MIN_FILES),
        default=2_000,
        help="files in the generated repository (default 2000; FILES mode reads only five)",
    )
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    parser.add_argument(
        "--repeat", type=positive(1), default=20, help="timed rounds (default 20); median counts"
    )
    parser.add_argument(
        "--prodcheck", metavar="CMD", help="the command to time (default: the console script)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    cli = find_cli(args.prodcheck)
    if cli is None:
        print("precommit_hook: error: no prodcheck command found", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="prodcheck-hook-bench-") as scratch:
        root = Path(scratch) / "repo"
        manifest = generate_repo(root, args.files, args.seed)
        problem = make_git_repo(root)
        if problem:
            print(f"precommit_hook: error: {problem}", file=sys.stderr)
            return 2
        files = precommit_files(manifest)
        commands = [
            Command("python -c pass", [sys.executable, "-c", "pass"]),
            Command("prodcheck --version", [*cli, "--version"]),
            Command(
                f"prodcheck audit . F1..F{len(files)} (the hook)", [*cli, "audit", ".", *files]
            ),
        ]
        try:
            time_rounds(commands, root, args.repeat)
        except (Skip, OSError) as why:  # a command that fails or vanishes mid-run
            print(f"precommit_hook: error: {shlex.join(cli)} failed: {why}", file=sys.stderr)
            return 2
    print(table(commands, files, args))
    missed = commands[-1].median_ms >= FILES_MODE_TARGET_S * 1000
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
