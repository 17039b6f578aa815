#!/usr/bin/env python3
"""How fast does a new pilot start? Generation time, and the generated service's cold start.

The design sets two targets: `prodcheck new --defaults` (copier rendering the bundled
template) under 3 s, and a service that is live at once and ready as soon as its model is
loaded. Each figure is timed beside a reference measured in the same interleaved rounds:

- generation beside a bare `python -c pass` (start-up no code can save);
- cold start (process start to `/healthz` 200, and to `/readyz` 200 with the model loaded
  from the registry) beside `python -c "import fastapi, mlflow, sklearn"` in the project's
  own environment: the imports the service cannot avoid.

    .venv/bin/python bench/template_speed.py                  # generation, 5 rounds
    .venv/bin/python bench/template_speed.py --project DIR    # and DIR's service cold start

DIR is a project made by `prodcheck new`, after `make setup data pipeline` (its `.venv` and a
registered champion). Exit status: 0 when the benchmark ran, 2 when it could not.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from audit_speed import find_cli

GENERATION_TARGET_S = 3.0
READY_TIMEOUT_S = 180.0


def timed(command: list[str], cwd: Path | None = None) -> float:
    """Wall time of one run of `command`, which must succeed."""
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def generation_rounds(prodcheck: list[str], repeat: int) -> tuple[list[float], list[float]]:
    """(python start-up, `prodcheck new --defaults`) seconds, one of each per round."""
    python, new = [], []
    with tempfile.TemporaryDirectory(prefix="prodcheck-bench-") as scratch:
        for round_ in range(repeat):
            python.append(timed([sys.executable, "-c", "pass"]))
            dest = Path(scratch) / f"pilot-{round_}"
            new.append(timed([*prodcheck, "new", str(dest), "--defaults"]))
    return python, new


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.HTTPError):
        return False


def cold_start(project: Path, package: str) -> tuple[float, float]:
    """Seconds from spawning uvicorn to `/healthz` 200, and to `/readyz` 200."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        str(project / ".venv/bin/uvicorn"),
        f"{package}.service.app:app",
        "--port",
        str(port),
    ]
    start = time.perf_counter()
    server = subprocess.Popen(
        command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    live = None
    try:
        while time.perf_counter() - start < READY_TIMEOUT_S and server.poll() is None:
            if live is None and answers(f"{base}/healthz"):
                live = time.perf_counter() - start
            if live is not None and answers(f"{base}/readyz"):
                return live, time.perf_counter() - start
            time.sleep(0.05)
        raise SystemExit(f"template_speed: {project}'s service never became ready")
    finally:
        server.terminate()
        server.wait(timeout=30)


def package_of(project: Path) -> str:
    """The generated package: the one directory under src/."""
    (package,) = [p.name for p in (project / "src").iterdir() if p.is_dir()]
    return package


def median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:8.0f} ms  (min {min(values) * 1000:.0f})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--project", type=Path, help="a generated, set-up and trained project")
    parser.add_argument("--prodcheck", help="the command to time (default: the console script)")
    options = parser.parse_args(argv)
    prodcheck = find_cli(options.prodcheck)
    if prodcheck is None:
        print("template_speed: prodcheck is not installed", file=sys.stderr)
        return 2

    print(f"prodcheck template speed, median of {options.repeat} interleaved rounds")
    python, new = generation_rounds(prodcheck, options.repeat)
    verdict = "ok" if statistics.median(new) < GENERATION_TARGET_S else "MISSED"
    print(f"  python -c pass                   {median_ms(python)}")
    print(f"  prodcheck new --defaults         {median_ms(new)}")
    print(f"generation: target < {GENERATION_TARGET_S:.0f} s: {verdict}")

    if options.project is None:
        return 0
    project = options.project.resolve()
    package = package_of(project)
    imports = [str(project / ".venv/bin/python"), "-c", "import fastapi, mlflow, sklearn"]
    floor, live, ready = [], [], []
    for _ in range(options.repeat):
        floor.append(timed(imports, cwd=project))
        to_live, to_ready = cold_start(project, package)
        live.append(to_live)
        ready.append(to_ready)
    print(f"  import fastapi, mlflow, sklearn  {median_ms(floor)}")
    print(f"  start -> /healthz 200            {median_ms(live)}")
    print(f"  start -> /readyz 200             {median_ms(ready)}")
    ratio = statistics.median(ready) / statistics.median(floor)
    print(f"cold start: ready after {ratio:.2f}x the imports alone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
