"""`prodcheck smoke`: build the repository's image, run it, and probe it like its users will.

The steps, each timed and reported, in order; the first failure of build, start or health ends
the run (nothing after it could mean anything), while every HTTP probe runs:

1. build the image from the repository's `Dockerfile` (or take `--image`, already built);
2. start a container with the container port published on a free port of 127.0.0.1;
3. wait until it is healthy: Docker's own verdict when the image declares a `HEALTHCHECK`,
   else `GET /readyz` answering 200 (fails when the container exits or `--timeout` passes);
4. `GET /healthz`, `GET /readyz`, `POST /v1/predict` with `tests/sample_request.json` when the
   repository has one, `GET /metrics`.

Whatever happens, the container is removed, and so is the image when smoke built it, with the
untagged images its build left (a multi-stage build's other stages, a failed build's layers):
those it committed itself, never another dangling image of the daemon (`docker image prune`
would delete a concurrent build's stages). Nothing is ever pulled.

Input the user must fix (no Docker daemon, an `--image` that does not exist locally, a PATH that
is not a directory) raises SmokeError: one line on stderr and exit 2. A repository
without a Dockerfile is a failed smoke test (exit 1), as CONT001 is a failed audit.

The `docker` package is imported only inside `smoke()`: the CLI's start-up never pays for it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
"""Version of the JSON report (`as_dict`); a change of its fields needs a new one."""

DOCKERFILES = ("Dockerfile", "Containerfile")
SAMPLE_REQUEST = "tests/sample_request.json"
DEFAULT_PORT = 8000
DEFAULT_TIMEOUT_S = 120.0
POLL_S = 0.5
PROBE_TIMEOUT_S = 10.0
TAIL_LINES = 20
HOST_GATEWAY = {"host.docker.internal": "host-gateway"}
"""Lets the container reach services on the host, e.g. an MLflow registry on port 5000."""
LABEL = "org.prodcheck.smoke"
FORMATS = ("text", "json")


class SmokeError(ValueError):
    """Input the user must fix before anything can be tested (exit 2)."""


@dataclass(frozen=True)
class Step:
    name: str
    """build, start, healthy, "GET /healthz", ..., cleanup."""
    ok: bool
    seconds: float
    detail: str = ""
    """One line: "200", "exit code 3", "Docker HEALTHCHECK", why it failed."""
    log: tuple[str, ...] = ()
    """The last lines worth reading when the step failed (build log, container log)."""


@dataclass(frozen=True)
class SmokeReport:
    root: Path
    image: str | None
    """The tested image: `--image` as given, or the tag smoke built (and removed)."""
    built: bool
    steps: tuple[Step, ...]
    container: str | None = None
    """The short id of the container it ran (and removed), when it got that far."""

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def failed(self) -> tuple[Step, ...]:
        return tuple(step for step in self.steps if not step.ok)

    @property
    def seconds(self) -> float:
        return sum(step.seconds for step in self.steps)


def find_dockerfile(root: Path) -> str | None:
    """The Dockerfile smoke builds: `Dockerfile`, else `Containerfile`, at the root only."""
    return next((name for name in DOCKERFILES if (root / name).is_file()), None)


# -- the run ---------------------------------------------------------------------------------


@dataclass
class _Run:
    """The steps so far, and what must be removed at the end."""

    on_step: Callable[[Step], None] | None
    steps: list[Step] = field(default_factory=list)
    container: str | None = None
    layers: list[str] = field(default_factory=list)
    """The images the build created (not the cached ones), oldest first."""

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        if self.on_step is not None:
            self.on_step(step)
        return step


def smoke(
    path: Path,
    *,
    image: str | None = None,
    build_args: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    port: int = DEFAULT_PORT,
    timeout: float = DEFAULT_TIMEOUT_S,
    on_step: Callable[[Step], None] | None = None,
    on_build: Callable[[str], None] | None = None,
) -> SmokeReport:
    """Build (unless `image`), run, wait for health, probe; always clean up what it started.

    `on_step` is called with each step as it ends, and `on_build` with the Dockerfile's name
    as a build starts, so a caller can show progress.
    """
    if not path.exists():
        raise SmokeError(f"{path} does not exist")
    if not path.is_dir():
        raise SmokeError(f"{path} is not a directory")
    if not 0 < port < 65536:
        raise SmokeError(f"--port must be 1-65535, got {port}")
    if timeout <= 0:
        raise SmokeError(f"--timeout must be more than 0 seconds, got {timeout:g}")
    root = path.resolve()
    run = _Run(on_step)
    dockerfile = find_dockerfile(root)
    if image is None and dockerfile is None:
        run.add(
            Step(
                "build",
                False,
                0.0,
                f"no `Dockerfile` or `Containerfile` at the root of {path}: there is no image "
                "to test (CONT001; `prodcheck adopt` adds the template's, or pass --image)",
            )
        )
        return SmokeReport(root, None, False, tuple(run.steps))

    client = _client()
    try:
        if image is not None:
            _check_local_image(client, image)
            tag = image
        else:
            tag = f"prodcheck-smoke-{secrets.token_hex(4)}:latest"
        if image is None and on_build is not None:
            on_build(str(dockerfile))
        try:
            _test(
                client,
                run,
                root=root,
                tag=tag,
                dockerfile=dockerfile if image is None else None,
                build_args=build_args or {},
                env=env or {},
                port=port,
                timeout=timeout,
            )
        finally:
            if image is None:
                _remove_built(client, run, tag)
    finally:
        client.close()
    return SmokeReport(root, tag, image is None, tuple(run.steps), run.container)


def _client() -> Any:
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        where = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
        raise SmokeError(
            f"no Docker daemon answers at {where} ({_root_cause(exc)}); start it, or set "
            "DOCKER_HOST"
        ) from None
    return client


def _root_cause(exc: BaseException) -> str:
    """ "Connection refused" rather than the three wrappers docker and requests put around it."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror
        cause = cause.__cause__ or cause.__context__
    return _reason(exc)


def _check_local_image(client: Any, image: str) -> None:
    from docker.errors import APIError, ImageNotFound

    try:
        client.images.get(image)
    except ImageNotFound:
        raise SmokeError(
            f"no image {image!r} on this Docker daemon (smoke never pulls: build or pull it first)"
        ) from None
    except APIError as exc:
        raise SmokeError(f"cannot use the image {image!r}: {_reason(exc)}") from None


def _test(
    client: Any,
    run: _Run,
    *,
    root: Path,
    tag: str,
    dockerfile: str | None,
    build_args: Mapping[str, str],
    env: Mapping[str, str],
    port: int,
    timeout: float,
) -> None:
    """Build from `dockerfile` (None: the image exists), start, wait until healthy, probe."""
    if dockerfile is not None:
        built = build_image(client, root, tag, dockerfile, build_args, run.layers)
        if not run.add(built).ok:
            return
    started = time.perf_counter()
    container = None
    try:
        try:
            container = client.containers.create(
                tag,
                detach=True,
                name=f"prodcheck-smoke-{secrets.token_hex(4)}",
                environment=dict(env),
                ports={f"{port}/tcp": ("127.0.0.1", None)},
                extra_hosts=HOST_GATEWAY,
                labels={LABEL: tag},
            )
            run.container = container.short_id
            container.start()
        except Exception as exc:
            if not _is_docker_error(exc):
                raise
            run.add(Step("start", False, _since(started), _reason(exc), _logs(container)))
            return
        run.add(Step("start", True, _since(started), f"container {container.short_id}"))
        if not run.add(_wait_healthy(container, port, timeout)).ok:
            return
        container.reload()
        base = f"http://127.0.0.1:{_host_port(container, port)}"
        for method, route, body in _probes(root):
            run.add(_probe(container, base, method, route, body))
    finally:
        if container is not None:
            _remove_container(run, container)


# -- build -----------------------------------------------------------------------------------


_STEP = re.compile(r"Step \d+/\d+ : (\S+)")
_LAYER = re.compile(r" ---> ([0-9a-f]{12,64})$")


def build_image(
    client: Any,
    root: Path,
    tag: str,
    dockerfile: str | None = None,
    build_args: Mapping[str, str] | None = None,
    layers: list[str] | None = None,
) -> Step:
    """Build with the classic builder's log streamed, keeping its last lines for a failure.

    The log also says which images the build committed (` ---> id` after a step that is not
    `FROM` and not `Using cache`): they are appended to `layers`, for `remove_built`.
    """
    if layers is None:
        layers = []
    started = time.perf_counter()
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    error: str | None = None
    keyword, cached = "", False
    try:
        for chunk in client.api.build(
            path=str(root),
            dockerfile=dockerfile,
            tag=tag,
            buildargs=dict(build_args or {}),
            decode=True,
            rm=True,
            forcerm=True,
            pull=False,
        ):
            if not isinstance(chunk, dict):
                continue
            for line in str(chunk.get("stream", "")).splitlines():
                if not line.strip():
                    continue
                tail.append(line)
                if step := _STEP.match(line):
                    keyword, cached = step.group(1).upper(), False
                elif line == " ---> Using cache":
                    cached = True
                elif (layer := _LAYER.match(line)) and keyword != "FROM" and not cached:
                    layers.append(layer.group(1))
            if "error" in chunk:
                error = str(chunk["error"]).strip()
                tail.extend(error.splitlines())
    except Exception as exc:
        if not _is_docker_error(exc):
            raise
        error = _reason(exc)
    if error is not None:
        return Step("build", False, _since(started), error.splitlines()[-1], tuple(tail))
    return Step("build", True, _since(started), f"{dockerfile} -> {tag}")


# -- health ----------------------------------------------------------------------------------


def _wait_healthy(container: Any, port: int, timeout: float) -> Step:
    """Docker's HEALTHCHECK verdict when the image has one, else /readyz answering 200."""
    started = time.perf_counter()
    deadline = started + timeout
    last = "no answer yet"
    while True:
        container.reload()
        state = container.attrs.get("State", {})
        health = state.get("Health")
        how = "Docker HEALTHCHECK" if health is not None else "GET /readyz 200"
        if state.get("Status") in ("exited", "dead"):
            return Step(
                "healthy",
                False,
                _since(started),
                f"the container exited with exit code {state.get('ExitCode')}"
                + (" (out of memory)" if state.get("OOMKilled") else ""),
                _logs(container),
            )
        if health is not None:
            status = health.get("Status")
            if status == "healthy":
                return Step("healthy", True, _since(started), how)
            if status == "unhealthy":
                return Step(
                    "healthy",
                    False,
                    _since(started),
                    "Docker reports the container unhealthy",
                    _health_log(health) + _logs(container),
                )
            last = f"health status {status}"
        elif state.get("Running") and (host_port := _host_port(container, port)):
            answer = _request("GET", f"http://127.0.0.1:{host_port}/readyz")
            if answer.status == 200:
                return Step("healthy", True, _since(started), how)
            last = f"GET /readyz: {answer.summary}"
        if time.perf_counter() >= deadline:
            log = _health_log(health) if health is not None else ()
            return Step(
                "healthy",
                False,
                _since(started),
                f"not healthy after {timeout:g} s ({how} never passed; last: {last}; "
                f"does the service listen on container port {port}? see --port)",
                log + _logs(container),
            )
        time.sleep(POLL_S)


def _health_log(health: Mapping[str, Any]) -> tuple[str, ...]:
    """The last health check's exit code and output, as Docker recorded them."""
    entries = health.get("Log") or []
    if not entries:
        return ("health check: no result recorded yet",)
    last = entries[-1]
    output = [line for line in str(last.get("Output", "")).splitlines() if line.strip()]
    return (
        f"last health check: exit code {last.get('ExitCode')}",
        *(f"  {line}" for line in output[-TAIL_LINES:]),
    )


def _host_port(container: Any, port: int) -> str | None:
    """The port of 127.0.0.1 Docker chose for the container port, once it is published."""
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(f"{port}/tcp")
    return str(bindings[0]["HostPort"]) if bindings else None


# -- probes ----------------------------------------------------------------------------------


def _probes(root: Path) -> Iterable[tuple[str, str, bytes | str | None]]:
    """(method, route, body); a sample request that is not JSON is reported, not sent."""
    yield "GET", "/healthz", None
    yield "GET", "/readyz", None
    sample = root / SAMPLE_REQUEST
    if sample.is_file():
        raw = sample.read_bytes()
        try:
            json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            yield "POST", "/v1/predict", f"`{SAMPLE_REQUEST}` is not valid JSON: {exc}"
        else:
            yield "POST", "/v1/predict", raw
    yield "GET", "/metrics", None


@dataclass(frozen=True)
class _Answer:
    status: int | None
    body: bytes = b""
    error: str = ""

    @property
    def summary(self) -> str:
        if self.status is None:
            return self.error
        text = " ".join(self.body.decode("utf-8", "replace").split())
        return f"{self.status} {text[:200]}".rstrip()


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy


def _request(method: str, url: str, body: bytes | None = None) -> _Answer:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=PROBE_TIMEOUT_S) as response:
            return _Answer(response.status, response.read())
    except urllib.error.HTTPError as exc:
        return _Answer(exc.code, exc.read())
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return _Answer(None, error=f"no answer: {reason}")


def _probe(container: Any, base: str, method: str, route: str, body: bytes | str | None) -> Step:
    name = f"{method} {route}"
    if isinstance(body, str):  # the reason the request could not be sent
        return Step(name, False, 0.0, body)
    started = time.perf_counter()
    answer = _request(method, base + route, body)
    seconds = _since(started)
    if answer.status is not None and 200 <= answer.status < 300:
        return Step(name, True, seconds, str(answer.status))
    return Step(name, False, seconds, answer.summary, _logs(container))


# -- cleanup ---------------------------------------------------------------------------------


def _remove_container(run: _Run, container: Any) -> None:
    started = time.perf_counter()
    try:
        container.remove(force=True)
    except Exception as exc:
        if not _is_docker_error(exc):
            raise
        run.add(
            Step(
                "remove container",
                False,
                _since(started),
                f"container {container.short_id} left behind: {_reason(exc)}",
            )
        )
    else:
        run.add(Step("remove container", True, _since(started), container.short_id))


def remove_built(client: Any, tag: str, layers: Sequence[str]) -> int:
    """Remove the image smoke built, then what else its build left untagged (other stages);
    return how many of those went.

    Only the images this build committed are candidates, newest first, and only while nothing
    else uses them: `docker image prune` would also delete every other dangling image of the
    daemon, including the stages of a build running beside this one.
    """
    from docker.errors import APIError, ImageNotFound

    with suppress(ImageNotFound):  # the build failed before tagging it
        client.images.remove(tag)
    removed = 0
    for layer in reversed(layers):
        try:
            if client.images.get(layer).tags:
                continue  # tagged by someone since: theirs now
            client.images.remove(layer)
        except ImageNotFound:
            continue  # removed with a newer layer of this build
        except APIError as exc:
            if exc.status_code == 409:
                continue  # a container or another image uses it: not ours alone
            raise
        removed += 1
    return removed


def _remove_built(client: Any, run: _Run, tag: str) -> None:
    started = time.perf_counter()
    try:
        removed = remove_built(client, tag, run.layers)
    except Exception as exc:
        if not _is_docker_error(exc):
            raise
        run.add(Step("remove image", False, _since(started), f"{tag} left behind: {_reason(exc)}"))
        return
    detail = f"{tag} and {removed} untagged stage{'s' if removed != 1 else ''}" if removed else tag
    run.add(Step("remove image", True, _since(started), detail))


# -- small helpers ---------------------------------------------------------------------------


def _logs(container: Any) -> tuple[str, ...]:
    """The container's last log lines, or nothing when there is no container or no log."""
    if container is None:
        return ()
    try:
        raw = container.logs(tail=TAIL_LINES)
    except Exception as exc:
        if not _is_docker_error(exc):
            raise
        return ()
    lines = [line for line in raw.decode("utf-8", "replace").splitlines() if line.strip()]
    return ("container log:", *(f"  {line}" for line in lines)) if lines else ()


def _is_docker_error(exc: BaseException) -> bool:
    """An error of the daemon or of the connection to it (requests' errors are OSErrors)."""
    from docker.errors import DockerException

    return isinstance(exc, DockerException | OSError)


def _reason(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    return " ".join(str(explanation or exc).split()) or type(exc).__name__


def _since(started: float) -> float:
    return time.perf_counter() - started


# -- rendering -------------------------------------------------------------------------------


def step_line(step: Step) -> str:
    """`✓ build  12.3 s  Dockerfile -> prodcheck-smoke-1a2b3c4d:latest`."""
    mark = "✓" if step.ok else "✗"
    timing = f"{step.seconds * 1000:.0f} ms" if step.seconds < 1 else f"{step.seconds:.1f} s"
    return f"{mark} {step.name}  {timing}" + (f"  {step.detail}" if step.detail else "")


def step_lines(step: Step) -> list[str]:
    return [step_line(step), *(f"    {line}" for line in (step.log if not step.ok else ()))]


def verdict(report: SmokeReport) -> str:
    if report.ok:
        return f"prodcheck smoke: passed, {len(report.steps)} steps in {report.seconds:.1f} s"
    names = ", ".join(step.name for step in report.failed)
    return f"prodcheck smoke: FAILED ({names})"


def as_dict(report: SmokeReport) -> dict[str, Any]:
    """The JSON report; its shape is documented in `docs/smoke.md` and versioned."""
    from prodcheck import __version__

    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "prodcheck", "version": __version__},
        "root": str(report.root),
        "image": report.image,
        "built": report.built,
        "container": report.container,
        "ok": report.ok,
        "exit_code": report.exit_code,
        "steps": [
            {
                "name": step.name,
                "ok": step.ok,
                "seconds": round(step.seconds, 3),
                "detail": step.detail,
                "log": list(step.log),
            }
            for step in report.steps
        ],
    }


def render_json(report: SmokeReport) -> str:
    return json.dumps(as_dict(report), indent=2, ensure_ascii=False) + "\n"
