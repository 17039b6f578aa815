#!/usr/bin/env python3
"""Is the generated service worth having? Its throughput beside `mlflow models serve`.

The design sets two targets for the service that `prodcheck new` generates: at least 2x the
throughput of `mlflow models serve` for the same model on the same machine under the same
load, and metrics instrumentation that costs under 10%. Three servers answer the same bounded
load, single-row JSON requests from wrk in a separate process on loopback:

- (a) the generated service, one uvicorn worker started as the project's Dockerfile CMD starts
  it (on 127.0.0.1), POST /v1/predict with the project's tests/sample_request.json;
- (b) the same with METRICS_ENABLED=false (no HTTP or model metrics, no drift);
- (c) `mlflow models serve -m models:/<name>@champion --env-manager local --workers 1`,
  POST /invocations with the same row as `{"dataframe_records": [...]}`.

Rounds interleave (a, b, c, a, b, c, ...), so drift in the machine's load hits all three
alike; each round starts the server, checks that it answers 200 with a prediction, runs an
uncounted warm-up, then the timed run, and stops the server. The median over rounds counts.

    .venv/bin/python bench/service_throughput.py                      # 3 rounds of 5 s
    .venv/bin/python bench/service_throughput.py --rounds 5 --duration 10 --json out.json
    .venv/bin/python bench/service_throughput.py --python ENV/bin/python   # reuse an env

The script renders the defaults project in a temporary directory, trains and registers its
model there (SQLite tracking store), and runs everything with the project's locked
dependencies: `--python` names a Python whose environment has them, otherwise a venv is made
once under build/bench-venv/ (keyed by requirements.lock). Exit status: 0 when the benchmark
ran (targets met or not: the verdict is printed), 1 when a run had errors (non-2xx responses,
socket errors) or a server did not answer, 2 when it could not run at all.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from template_speed import free_port

REPO = Path(__file__).resolve().parents[1]
THROUGHPUT_TARGET = 2.0  # (a) / (c), at least
OVERHEAD_TARGET = 0.10  # 1 - (a) / (b), under
READY_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 30.0
SETTLE_S = 0.5
# The generated service answers 429 above MAX_CONCURRENCY (default 8): stay within it.
MAX_CONNECTIONS = 8
# Settings the benchmark sets itself; inherited values would change what is measured.
SERVICE_SETTINGS = (
    "DATABASE_URL",
    "SOURCE_TABLE",
    "MLFLOW_TRACKING_URI",
    "MODEL_NAME",
    "MODEL_ALIAS",
    "MODEL_URI",
    "METRICS_PATH",
    "MAX_REQUEST_BYTES",
    "MAX_BATCH_ROWS",
    "MAX_CONCURRENCY",
    "REQUEST_TIMEOUT_S",
    "DRIFT_WINDOW_ROWS",
    "METRICS_ENABLED",
    "MODEL_LOAD_RETRY_S",
    "SHUTDOWN_DRAIN_S",
    "PROMETHEUS_MULTIPROC_DIR",
    "PYTHONPATH",
)


class BenchError(Exception):
    """The benchmark cannot run at all (no wrk, no environment, training failed): exit 2."""


class RunError(Exception):
    """A server did not answer as it must, or a timed run had errors: exit 1."""


@dataclass
class Variant:
    key: str
    label: str
    path: str
    body: str
    rounds: list[dict[str, Any]] = field(default_factory=list)

    def median(self, name: str) -> float:
        return float(statistics.median(r[name] for r in self.rounds))

    def has_cpu(self) -> bool:
        return all(r["cpu_ms_per_request"] is not None for r in self.rounds)


@dataclass
class Project:
    root: Path
    model_name: str
    python: str
    env: dict[str, str]
    uvicorn_args: list[str]


# -- the project and its environment ----------------------------------------------------------


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the results."""
    print(f"service_throughput: {message}", file=sys.stderr, flush=True)


def run(command: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a set-up step, which must succeed; its output is shown only when it fails."""
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(
            f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def render(dest: Path) -> Path:
    """`prodcheck new DEST --defaults`, through the Python API (run this with the repo's
    .venv/bin/python, where prodcheck is installed)."""
    try:
        from prodcheck.commands.new import new_project
    except ImportError as exc:
        raise BenchError(f"prodcheck is not importable here ({exc}): use .venv/bin/python") from exc
    return Path(new_project(dest, defaults=True, quiet=True))


def bench_python(requested: str | None, lock: Path, cache: Path) -> str:
    """A Python whose environment has the project's locked dependencies."""
    if requested:
        if not Path(requested).exists():
            raise BenchError(f"--python {requested} does not exist")
        return requested
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:12]
    venv = cache / digest
    python = venv / "bin" / "python"
    if (venv / ".installed").exists():
        return str(python)
    log(f"creating {venv} from requirements.lock (once; later runs reuse it)")
    shutil.rmtree(venv, ignore_errors=True)
    uv = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv:
        run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)])
        run([uv, "pip", "install", "--quiet", "--python", str(python), "-r", str(lock)])
    else:
        run([sys.executable, "-m", "venv", str(venv)])
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        run([*pip, "-r", str(lock)])
    (venv / ".installed").write_text(f"{lock}\n", encoding="utf-8")
    return str(python)


def base_env(root: Path, python: str) -> dict[str, str]:
    """The environment of every step: the project importable from src/ (not installed, so
    one cached venv serves every rendered project), its env's bin/ first on PATH (mlflow
    serve runs `uvicorn` from PATH), and the project's SQLite stores by absolute path."""
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_SETTINGS}
    env["PATH"] = f"{Path(python).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(root / "src")
    env["DATABASE_URL"] = f"sqlite:///{root / 'data' / 'sample.db'}"
    env["MLFLOW_TRACKING_URI"] = f"sqlite:///{root / 'mlflow.db'}"
    # Only how fast a stopped server exits between rounds; requests are unaffected.
    env["SHUTDOWN_DRAIN_S"] = "0"
    return env


def dockerfile_uvicorn_args(root: Path) -> list[str]:
    """The uvicorn arguments of the Dockerfile's CMD (the app and its options), without
    --host and --port."""
    cmd_lines = [
        line
        for line in (root / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("CMD [")
    ]
    if not cmd_lines:
        raise BenchError("the generated Dockerfile has no exec-form CMD")
    cmd: list[str] = json.loads(cmd_lines[-1].removeprefix("CMD"))
    if not cmd or cmd[0] != "uvicorn":
        raise BenchError(f"the generated Dockerfile's CMD does not run uvicorn: {cmd}")
    args, skip = [], False
    for arg in cmd[1:]:
        if skip:
            skip = False
        elif arg in ("--host", "--port"):
            skip = True
        else:
            args.append(arg)
    return args


def model_name_of(root: Path, package: str) -> str:
    spec = (root / "src" / package / "model_spec.py").read_text(encoding="utf-8")
    found = re.search(r'^MODEL_NAME: Final = "([^"]+)"', spec, re.M)
    if not found:
        raise BenchError("no MODEL_NAME in the generated model_spec.py")
    return found.group(1)


def prepare(dest: Path, requested_python: str | None, cache: Path) -> Project:
    """Render the defaults project into `dest`, train and register its champion."""
    started = time.perf_counter()
    root = render(dest).resolve()
    (package,) = [p.name for p in (root / "src").iterdir() if p.is_dir()]
    python = bench_python(requested_python, root / "requirements.lock", cache)
    env = base_env(root, python)
    log(f"rendered {root}; training with {python}")
    run([python, "-m", f"{package}.data.sample"], cwd=root, env=env)
    trained = run([python, "-m", f"{package}.pipeline"], cwd=root, env=env)
    if "@champion" not in trained:
        raise BenchError(f"the pipeline did not promote a champion:\n{trained}")
    log(f"trained and registered in {time.perf_counter() - started:.0f} s")
    return Project(
        root=root,
        model_name=model_name_of(root, package),
        python=python,
        env=env,
        uvicorn_args=dockerfile_uvicorn_args(root),
    )


# -- servers ----------------------------------------------------------------------------------


def request(url: str, body: str | None = None) -> tuple[int, str]:
    data = body.encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return int(response.status), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError:
        return 0, ""


def server_command(project: Project, key: str, port: int) -> tuple[list[str], dict[str, str]]:
    env = dict(project.env)
    if key == "c":
        model = f"models:/{project.model_name}@champion"
        command = [project.python, "-m", "mlflow", "models", "serve", "-m", model]
        command += ["--env-manager", "local", "--workers", "1"]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        return command, env
    env["METRICS_ENABLED"] = "true" if key == "a" else "false"
    command = [project.python, "-m", "uvicorn", *project.uvicorn_args]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    return command, env


class Server:
    """One server for one round, in its own process group (mlflow serve runs uvicorn as a
    child), stopped with SIGTERM to that group."""

    def __init__(self, project: Project, variant: Variant, logs: Path, round_: int) -> None:
        self.variant = variant
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command, env = server_command(project, variant.key, self.port)
        self.log_path = logs / f"server-{variant.key}-{round_}.log"
        self.log_file = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            command,
            cwd=project.root,
            env=env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self) -> str:
        self.log_file.flush()
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-25:])

    def wait_ready(self) -> float:
        probe = "/ping" if self.variant.key == "c" else "/readyz"
        start = time.perf_counter()
        while time.perf_counter() - start < READY_TIMEOUT_S:
            if self.process.poll() is not None:
                raise RunError(
                    f"({self.variant.key}) exited with {self.process.returncode} before it "
                    f"was ready:\n{self.log_tail()}"
                )
            if request(self.base + probe)[0] == 200:
                return time.perf_counter() - start
            time.sleep(0.1)
        raise RunError(f"({self.variant.key}) not ready after {READY_TIMEOUT_S:.0f} s")

    def check_prediction(self) -> None:
        """The timed request itself must answer 200 with a prediction, or nothing counts."""
        status, text = request(self.base + self.variant.path, self.variant.body)
        try:
            answer = json.loads(text)
        except ValueError:
            answer = None
        if self.variant.key == "c":
            ok = isinstance(answer, dict) and isinstance(answer.get("predictions"), list)
            ok = ok and len(answer["predictions"]) == 1
        else:
            ok = isinstance(answer, dict) and "prediction" in answer
        if status != 200 or not ok:
            raise RunError(
                f"({self.variant.key}) POST {self.variant.path} answered {status} {text[:300]!r}"
                f", not 200 with a prediction:\n{self.log_tail()}"
            )

    def cpu_s(self) -> float | None:
        """User + system CPU seconds of the server's process group so far (mlflow serve's
        uvicorn child included), from /proc; None where there is no /proc."""
        ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        total, seen = 0, False
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            # After "pid (comm)": state ppid pgrp ... utime is field 14, stime 15 (1-based).
            if int(fields[2]) == self.process.pid:
                total += int(fields[11]) + int(fields[12])
                seen = True
        return total / ticks if seen else None

    def statuses(self) -> dict[str, int]:
        """Responses per HTTP status in the server's access log (uvicorn logs every request)."""
        if not self.log_file.closed:
            self.log_file.flush()
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        counts: dict[str, int] = {}
        for status in re.findall(r'"POST \S+ HTTP/1\.1" (\d{3})', text):
            counts[status] = counts.get(status, 0) + 1
        return counts

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()


# -- wrk --------------------------------------------------------------------------------------

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def lua_script(path: Path, body: str) -> Path:
    if "]==]" in body:
        raise BenchError("request body cannot be quoted for Lua")
    path.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [==[{body}]==]\n",
        encoding="utf-8",
    )
    return path


def parse_wrk(output: str) -> dict[str, float]:
    """Requests/s, p50 and p99 (ms), and the error counts of one wrk run."""

    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        if not found:
            raise RunError(f"no {percent}% latency in wrk's output:\n{output}")
        return float(found.group(1)) * UNITS[found.group(2)]

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    if not rate or not total:
        raise RunError(f"no Requests/sec in wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests_per_s": float(rate.group(1)),
        "p50_ms": latency("50"),
        "p99_ms": latency("99"),
        "requests": float(total.group(1)),
        "non_2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
        "socket_errors": float(sum(int(n) for n in sockets.groups())) if sockets else 0.0,
    }


def wrk(binary: str, url: str, script: Path, duration: int, threads: int, connections: int) -> str:
    command = [binary, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    done = subprocess.run(
        [*command, "-s", str(script), url],
        capture_output=True,
        text=True,
        timeout=duration + 60,
        check=False,
    )
    if done.returncode != 0:
        raise RunError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


# -- the benchmark ----------------------------------------------------------------------------


def variants(project: Project) -> list[Variant]:
    sample = json.loads(
        (project.root / "tests" / "sample_request.json").read_text(encoding="utf-8")
    )
    ours = json.dumps(sample)
    theirs = json.dumps({"dataframe_records": [sample]})
    return [
        Variant("a", "(a) generated service", "/v1/predict", ours),
        Variant("b", "(b) generated service, metrics off", "/v1/predict", ours),
        Variant("c", "(c) mlflow models serve", "/invocations", theirs),
    ]


def one_round(server: Server, script: Path, options: argparse.Namespace) -> dict[str, Any]:
    """Ready, checked, warmed up and timed: one server's figures for one round."""
    ready_s = server.wait_ready()
    server.check_prediction()
    url = server.base + server.variant.path
    load = (options.threads, options.connections)
    warm_errors = 0.0
    if options.warmup > 0:
        warm = parse_wrk(wrk(options.wrk, url, script, options.warmup, *load))
        warm_errors = warm["non_2xx"] + warm["socket_errors"]
        # wrk drops its connections at the end, but the server finishes their requests, which
        # hold prediction slots: let them end, or the timed run could start with 429s.
        time.sleep(SETTLE_S)
    cpu_before = server.cpu_s()
    result: dict[str, Any] = dict(parse_wrk(wrk(options.wrk, url, script, options.duration, *load)))
    cpu_after = server.cpu_s()
    result["cpu_ms_per_request"] = (
        (cpu_after - cpu_before) * 1000 / result["requests"]
        if cpu_before is not None and cpu_after is not None and result["requests"]
        else None
    )
    server.check_prediction()
    result["warmup_errors"] = warm_errors
    result["ready_s"] = ready_s
    result["loadavg_1m"] = os.getloadavg()[0]
    return result


def measure(project: Project, options: argparse.Namespace, work: Path) -> list[Variant]:
    all_variants = variants(project)
    scripts = {v.key: lua_script(work / f"wrk-{v.key}.lua", v.body) for v in all_variants}
    for round_ in range(1, options.rounds + 1):
        for variant in all_variants:
            server = Server(project, variant, work, round_)
            try:
                result = one_round(server, scripts[variant.key], options)
            finally:
                server.stop()
            # Every request of the round (checks and warm-up included) by status, for errors.
            result["statuses"] = server.statuses()
            variant.rounds.append(result)
            log(
                f"round {round_}/{options.rounds} ({variant.key}): "
                f"{result['requests_per_s']:.0f} req/s, p50 {result['p50_ms']:.1f} ms, "
                f"p99 {result['p99_ms']:.1f} ms, non-2xx {result['non_2xx']:.0f}, "
                f"socket errors {result['socket_errors']:.0f}"
            )
    return all_variants


def errors_of(all_variants: list[Variant]) -> list[str]:
    """Rounds that do not count: wrk saw non-2xx responses or socket errors."""
    return [
        f"({v.key}) round {i}: {r['non_2xx']:.0f} non-2xx responses, "
        f"{r['socket_errors']:.0f} socket errors, {r['warmup_errors']:.0f} errors in the "
        f"warm-up; the server's access log counts {r['statuses']}"
        for v in all_variants
        for i, r in enumerate(v.rounds, 1)
        if r["non_2xx"] or r["socket_errors"] or r["warmup_errors"]
    ]


def ratios(all_variants: list[Variant]) -> dict[str, float | None]:
    """The targets' ratios from the medians (these are judged), and two steadier views for a
    busy machine: from each server's fastest round, and from the server's CPU time per
    request, which another process's load barely changes."""
    rps = {v.key: v.median("requests_per_s") for v in all_variants}
    best = {v.key: max(r["requests_per_s"] for r in v.rounds) for v in all_variants}
    cpu = {v.key: v.median("cpu_ms_per_request") for v in all_variants if v.has_cpu()}
    return {
        "a_over_c": rps["a"] / rps["c"],
        "metrics_overhead": 1 - rps["a"] / rps["b"],
        "fastest_a_over_c": best["a"] / best["c"],
        "fastest_metrics_overhead": 1 - best["a"] / best["b"],
        "cpu_c_over_a": cpu["c"] / cpu["a"] if len(cpu) == 3 else None,
        "cpu_metrics_overhead": 1 - cpu["b"] / cpu["a"] if len(cpu) == 3 else None,
    }


def human(
    all_variants: list[Variant],
    options: argparse.Namespace,
    load: dict[str, Any],
    project: Project,
) -> str:
    found = ratios(all_variants)
    speed_ok = (found["a_over_c"] or 0) >= THROUGHPUT_TARGET
    overhead_ok = (found["metrics_overhead"] or 0) < OVERHEAD_TARGET
    lines = [
        "generated service throughput (bench/service_throughput.py)",
        f"model {project.model_name}@champion, python {platform.python_version()} (bench), "
        f"{load['cpus']} CPUs, load average {load['before']} before, {load['after']} after",
        f"wrk -t{options.threads} -c{options.connections} -d{options.duration:g}s on loopback, "
        f"{options.warmup:g} s warm-up per round not counted; median of {options.rounds} "
        "interleaved rounds (a, b, c, a, b, c, ...)",
        "",
        f"  {'server':<38}{'req/s':>9}{'p50':>11}{'p99':>11}{'CPU/req':>11}   req/s per round",
    ]
    for v in all_variants:
        per_round = ", ".join(f"{r['requests_per_s']:.0f}" for r in v.rounds)
        cpu = f"{v.median('cpu_ms_per_request'):>8.2f} ms" if v.has_cpu() else f"{'-':>11}"
        lines.append(
            f"  {v.label:<38}{v.median('requests_per_s'):>9.0f}"
            f"{v.median('p50_ms'):>8.1f} ms{v.median('p99_ms'):>8.1f} ms{cpu}   {per_round}"
        )
    lines += [
        "",
        f"throughput: (a)/(c) = {found['a_over_c']:.2f}x (target >= {THROUGHPUT_TARGET:g}x): "
        f"{'target met' if speed_ok else 'missed'}",
        f"metrics overhead: 1 - (a)/(b) = {found['metrics_overhead']:.1%} "
        f"(target < {OVERHEAD_TARGET:.0%}): {'target met' if overhead_ok else 'missed'}",
        f"fastest rounds: (a)/(c) = {found['fastest_a_over_c']:.2f}x, "
        f"overhead {found['fastest_metrics_overhead']:.1%}",
    ]
    if found["cpu_c_over_a"] is not None and found["cpu_metrics_overhead"] is not None:
        lines.append(
            f"server CPU per request: (c)/(a) = {found['cpu_c_over_a']:.2f}x, "
            f"overhead 1 - (b)/(a) = {found['cpu_metrics_overhead']:.1%} "
            "(steadier than req/s on a busy machine; the targets are judged on req/s)"
        )
    if load["cpus"] and load["cpus"] < 4:
        lines.append(
            f"note: {load['cpus']} CPUs: wrk's {options.threads} threads share them with the "
            "server, so figures are lower than on a larger machine (the ratios hold better)"
        )
    return "\n".join(lines)


def as_json(
    all_variants: list[Variant],
    options: argparse.Namespace,
    load: dict[str, Any],
    project: Project,
) -> str:
    data = {
        "benchmark": "service_throughput",
        "schema_version": 1,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": load["cpus"],
        "loadavg_before": load["before"],
        "loadavg_after": load["after"],
        "rounds": options.rounds,
        "duration_s": options.duration,
        "warmup_s": options.warmup,
        "wrk": {"threads": options.threads, "connections": options.connections},
        "model": f"models:/{project.model_name}@champion",
        "targets": {"a_over_c": THROUGHPUT_TARGET, "metrics_overhead": OVERHEAD_TARGET},
        "ratios": ratios(all_variants),
        "variants": [
            {
                **asdict(v),
                "median_requests_per_s": v.median("requests_per_s"),
                "median_p50_ms": v.median("p50_ms"),
                "median_p99_ms": v.median("p99_ms"),
            }
            for v in all_variants
        ],
    }
    return json.dumps(data, indent=2)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument(
        "--duration", type=int, default=5, help="whole seconds per timed run (default 5)"
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=2,
        help="uncounted whole seconds before each (default 2; 0: none)",
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument(
        "--connections",
        type=int,
        default=MAX_CONNECTIONS,
        help=f"wrk connections, at most {MAX_CONNECTIONS} (default {MAX_CONNECTIONS})",
    )
    parser.add_argument("--python", help="a Python whose env has the project's locked deps")
    parser.add_argument(
        "--venv-cache",
        type=Path,
        default=REPO / "build" / "bench-venv",
        help="where the default env is made (default build/bench-venv)",
    )
    parser.add_argument("--wrk", default=shutil.which("wrk"), help="the wrk binary")
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this file")
    parser.add_argument("--keep", action="store_true", help="keep the project and server logs")
    options = parser.parse_args(argv)
    if options.connections > MAX_CONNECTIONS:
        parser.error(f"--connections above {MAX_CONNECTIONS} get 429 from the service")
    if options.threads > options.connections or min(options.rounds, options.threads) < 1:
        parser.error("need --rounds >= 1 and 1 <= --threads <= --connections")
    if options.duration <= 0 or options.warmup < 0:
        parser.error("need --duration > 0 and --warmup >= 0")
    return options


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    if not options.wrk:
        print("service_throughput: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="prodcheck-throughput-"))
    try:
        project = prepare(work / "pilot", options.python, options.venv_cache)
        load: dict[str, Any] = {"cpus": os.cpu_count(), "before": _loadavg()}
        all_variants = measure(project, options, work)
        load["after"] = _loadavg()
    except BenchError as exc:
        print(f"service_throughput: {exc}", file=sys.stderr)
        return 2
    except RunError as exc:
        print(f"service_throughput: {exc}", file=sys.stderr)
        return 1
    finally:
        if options.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(human(all_variants, options, load, project))
    if options.json:
        options.json.write_text(as_json(all_variants, options, load, project) + "\n")
    problems = errors_of(all_variants)
    for problem in problems:
        print(f"INVALID: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _loadavg() -> str:
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
