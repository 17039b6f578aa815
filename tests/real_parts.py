"""The real programs and servers some tests drive, and the few calls every such test makes.

A part that is missing skips its tests with the reason on a laptop, and fails them where
`PRODCHECK_E2E=require` says it must be there (CI, after `scripts/e2e_up.sh`).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest


def unavailable(reason: str) -> NoReturn:
    """Skip: the part is not on this machine; or fail, where the run requires every part."""
    if os.environ.get("PRODCHECK_E2E") == "require":
        pytest.fail(f"{reason} (PRODCHECK_E2E=require)")
    pytest.skip(f"{reason} (scripts/e2e_up.sh sets the real parts up; CI requires them)")


def required_tool(name: str) -> str:
    """The path of a program the test needs."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"{name} is not installed")
    return path


def free_port() -> int:
    """A TCP port nothing listens on now, on loopback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def http(
    url: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, bytes]:
    """GET (or POST when there is a body, JSON unless `headers` say otherwise): status, body."""
    sent = {"Content-Type": "application/json"} if body is not None else {}
    sent.update(headers or {})
    try:
        with urllib.request.urlopen(urllib.request.Request(url, body, sent), timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(
    ready: Callable[[], bool],
    what: str,
    timeout: float = 60,
    alive: Callable[[], bool] = lambda: True,
    context: Callable[[], str] = lambda: "",
) -> None:
    """Poll `ready` until it is true. Fail, saying `what` was awaited and adding `context()`
    (a log tail), after `timeout` seconds, or at once when the awaited thing is no longer
    `alive()`."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except OSError:
            pass
        if not alive():
            pytest.fail(f"{what}: it stopped\n{context()}")
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:g} s\n{context()}")
        time.sleep(0.25)


def run(
    command: list[str | Path],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 900,
) -> str:
    """Run a program to completion, outside any virtual environment of the test run's own;
    fail the test with its output when it fails."""
    environment = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    environment.update(env or {})
    done = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@contextmanager
def serving(
    command: list[str | Path],
    log: Path,
    ready_url: str,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    """A server program, its output kept in `log`, once `ready_url` answers 200; terminated
    (and waited for) afterwards. A server that dies or is not ready in time fails the test
    with the end of its log."""
    with log.open("wb") as output:
        server = subprocess.Popen(
            [str(part) for part in command],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(
                lambda: http(ready_url)[0] == 200,
                f"{Path(command[0]).name} answering {ready_url}",
                timeout=90,
                alive=lambda: server.poll() is None,
                context=lambda: log.read_text(errors="replace")[-3000:],
            )
            yield server
        finally:
            server.terminate()
            server.wait(timeout=30)


@contextmanager
def mlflow_server(
    program: str | Path, store: Path, host: str = "127.0.0.1", also_named: str | None = None
) -> Iterator[int]:
    """A real `mlflow server` with a SQLite store and artifacts it serves itself, listening
    on `host`; yields its port. MLflow refuses requests whose Host header is not loopback or a
    private address (DNS rebinding): `also_named` is one more name clients may use for it."""
    port = free_port()
    names = ["127.0.0.1", "localhost", *([also_named] if also_named else [])]
    allowed = ",".join(f"{name}:{port}" for name in names)
    command: list[str | Path] = [
        program, "server",
        "--backend-store-uri", f"sqlite:///{store}/mlflow.db",
        "--artifacts-destination", str(store / "artifacts"),
        "--host", host, "--port", str(port), "--workers", "1",
        *(["--allowed-hosts", allowed] if also_named else []),
    ]  # fmt: skip
    # A registry needs no GenAI job runner (half a dozen workers of about 240 MB each).
    quiet = {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    with serving(command, store / "server.log", f"http://127.0.0.1:{port}/health", env=quiet):
        yield port
