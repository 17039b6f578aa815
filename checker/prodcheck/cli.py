"""The command line: parse options, call a command, print, exit. Nothing else lives here."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from prodcheck import __version__

app = typer.Typer(
    name="prodcheck",
    help="Say which stage of the 30-60-90 path to production a repository has reached, "
    "and what blocks the next.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_USAGE = 2


def _fail(message: str) -> NoReturn:
    typer.echo(f"prodcheck: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """`-d a=1 -d b=x=y` -> {"a": "1", "b": "x=y"}; anything not KEY=VALUE is a usage error."""
    pairs: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip():
            _fail(f"{option} takes KEY=VALUE, got {value!r}")
        pairs[key.strip()] = rest
    return pairs


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn every error the user can fix into one line on stderr and exit code 2."""
    from prodcheck.baseline import BaselineError
    from prodcheck.commands.audit import UsageError
    from prodcheck.config import ConfigError
    from prodcheck.registry import UnknownRuleError

    try:
        yield
    except (UsageError, ConfigError, BaselineError, UnknownRuleError) as exc:
        _fail(str(exc))


def _check_stage(stage: int | None, option: str = "--stage") -> None:
    from prodcheck.findings import FINAL_STAGE

    if stage is not None and stage not in range(FINAL_STAGE + 1):
        _fail(f"{option} must be 0-{FINAL_STAGE}, got {stage}")


def _codes(values: list[str] | None) -> list[str]:
    """`--select BC001,OWN --select DATA` -> ["BC001", "OWN", "DATA"]."""
    return [code for value in values or [] for code in value.split(",") if code.strip()]


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or exc}")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"prodcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """prodcheck: get an ML pilot out of pilot purgatory."""


@app.command()
def audit(
    path: Annotated[Path, typer.Argument(help="Root of the repository to audit.")] = Path(),
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Only these files, with file-scoped rules (what pre-commit passes)."),
    ] = None,
    stage: Annotated[
        int | None,
        typer.Option(
            "--stage", help="Target stage, 0-3; exit 0 when reached. Default: config, else 3."
        ),
    ] = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help="text, json, sarif, markdown, github, gitlab or html."),
    ] = "text",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the report here.")
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(help="Run only these rule ids or families (comma-separated, repeatable)."),
    ] = None,
    ignore: Annotated[
        list[str] | None,
        typer.Option(help="Skip these rule ids or families (comma-separated, repeatable)."),
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="Findings recorded in this baseline file do not count.")
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option(help="Record today's findings as a baseline in this file.")
    ] = None,
) -> None:
    """Audit a repository against the production-readiness standard."""
    from prodcheck.commands.audit import audit_path, record_baseline
    from prodcheck.report import FORMATS, render

    if fmt not in FORMATS:
        _fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    _check_stage(stage)
    with _user_errors():
        result = audit_path(
            path,
            files=files or (),
            select=_codes(select),
            ignore=_codes(ignore),
            stage=stage,
            baseline=baseline,
        )
    if write_baseline is not None:
        try:
            count = record_baseline(result, write_baseline)
        except OSError as exc:
            _fail(f"cannot write the baseline {write_baseline}: {exc.strerror or exc}")
        typer.echo(f"prodcheck: recorded {count} findings in {write_baseline}", err=True)
    color = (
        fmt == "text" and output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    )
    _emit(render(result, fmt, color=color), output)
    raise typer.Exit(result.exit_code)


@app.command()
def rules(
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """List every rule of the standard."""
    from prodcheck.commands.rules import rules_json, rules_table

    if fmt not in ("text", "json"):
        _fail(f"unknown format {fmt!r}; choose text or json")
    _emit(rules_json() if fmt == "json" else rules_table(), None)


@app.command()
def explain(rule_id: Annotated[str, typer.Argument(help="A rule id, such as BC003.")]) -> None:
    """Explain one rule: why it matters, how to fix it, an example."""
    from prodcheck.registry import load_rules
    from prodcheck.ruledocs import rule_page

    with _user_errors():
        rule = load_rules().get(rule_id)
    _emit(rule_page(rule), None)


# The template's questions, answered the same way by `new` and `adopt`.
DefaultsOption = Annotated[
    bool, typer.Option("--defaults", help="Take the default of every question not answered.")
]
AnswersOption = Annotated[
    list[str] | None,
    typer.Option("--data", "-d", help="Answer a question: KEY=VALUE (repeatable)."),
]


@app.command()
def new(
    dest: Annotated[Path, typer.Argument(help="Directory of the new project (new or empty).")],
    defaults: DefaultsOption = False,
    data: AnswersOption = None,
    template: Annotated[
        str | None,
        typer.Option(help="Another copy of the template: a path or git URL (default: bundled)."),
    ] = None,
) -> None:
    """Start a pilot as a production system: service, pipeline, monitoring, business case."""
    from prodcheck.commands.new import NewProjectError, new_project

    try:
        new_project(dest, answers=_pairs(data, "--data"), defaults=defaults, template=template)
    except NewProjectError as exc:
        _fail(str(exc))


@app.command()
def adopt(
    path: Annotated[
        Path, typer.Argument(help="Root of the repository (a git work tree).")
    ] = Path(),
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the plan and a diff; write nothing.")
    ] = False,
    stage: Annotated[
        int | None,
        typer.Option("--stage", help="Target stage, 0-3. Default: config, else 2."),
    ] = None,
    defaults: DefaultsOption = False,
    data: AnswersOption = None,
    allow_dirty: Annotated[
        bool,
        typer.Option(
            "--allow-dirty", help="Adopt into uncommitted changes or a non-git directory."
        ),
    ] = False,
) -> None:
    """Add the template's missing production pieces to a repository; never overwrite a file."""
    from prodcheck.commands.adopt import AdoptError, adopt, render_plan, summary
    from prodcheck.commands.new import NewProjectError

    _check_stage(stage)
    with _user_errors():
        try:
            adoption = adopt(
                path,
                answers=_pairs(data, "--data"),
                defaults=defaults,
                stage=stage,
                dry_run=dry_run,
                allow_dirty=allow_dirty,
            )
        except (AdoptError, NewProjectError) as exc:
            _fail(str(exc))
    for line in (*render_plan(adoption, diff=dry_run), *summary(adoption)):
        typer.echo(line)


@app.command()
def gate(
    path: Annotated[Path, typer.Argument(help="Root of the repository.")] = Path(),
    metrics: Annotated[
        Path | None,
        typer.Option(
            help="The pipeline's metrics file. Default: config `metrics`, else "
            "reports/metrics.json."
        ),
    ] = None,
    mlflow_uri: Annotated[
        str | None, typer.Option(help="An MLflow tracking server (http or https) to read from.")
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(help="The registered model, NAME[@ALIAS] (alias default: champion)."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text, json or markdown.")] = "text",
    record: Annotated[
        bool,
        typer.Option(
            "--record", help="Write the decision and today's date into the business case."
        ),
    ] = False,
    required_stage: Annotated[
        int | None,
        typer.Option(help="The stage to reach before GO, 0-3. Default: config, else 2."),
    ] = None,
) -> None:
    """Decide GO, STOP or NOT READY at day 90: exit 0, 1 or 3."""
    from datetime import date

    from prodcheck.commands.gate import FORMATS, GateError, decide, render
    from prodcheck.commands.gate import record as record_decision

    if fmt not in FORMATS:
        _fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    with _user_errors():
        try:
            result = decide(
                path,
                metrics_file=metrics,
                mlflow_uri=mlflow_uri,
                model=model,
                required_stage=required_stage,
            )
        except GateError as exc:
            _fail(str(exc))
    _emit(render(result, fmt), None)
    if record:
        try:
            written = record_decision(result, date.today())
        except GateError as exc:
            typer.echo(f"prodcheck: not recorded: {exc}", err=True)
        except OSError as exc:
            _fail(f"cannot record the decision: {exc.strerror or exc}")
        else:
            typer.echo(
                f"prodcheck: recorded `decision: {result.decision.value}` in {written}", err=True
            )
    raise typer.Exit(result.decision.exit_code)


@app.command()
def report(
    path: Annotated[Path, typer.Argument(help="Root of the repository.")] = Path(),
    output: Annotated[Path, typer.Option("--output", "-o", help="Write the page here.")] = Path(
        "prodcheck-report.html"
    ),
    metrics: Annotated[
        Path | None,
        typer.Option(help="The pipeline's metrics file for the gate. Default: as `gate`."),
    ] = None,
    stage: Annotated[
        int | None,
        typer.Option("--stage", help="Target stage, 0-3. Default: config, else 3."),
    ] = None,
) -> None:
    """Write the HTML readiness page, with the day-90 decision when one can be made."""
    from prodcheck.commands.gate import GateError
    from prodcheck.commands.report import readiness_page

    _check_stage(stage)
    with _user_errors():
        try:
            result, page = readiness_page(path, metrics_file=metrics, stage=stage)
        except GateError as exc:
            _fail(str(exc))
    _emit(page, output)
    typer.echo(f"prodcheck: wrote {output}", err=True)
    raise typer.Exit(result.exit_code)


@app.command()
def smoke(
    path: Annotated[Path, typer.Argument(help="Root of the repository (holds the Dockerfile).")] = (
        Path()
    ),
    image: Annotated[
        str | None,
        typer.Option(help="Test this local image instead of building one (it is kept)."),
    ] = None,
    build_arg: Annotated[
        list[str] | None,
        typer.Option("--build-arg", help="A build argument: KEY=VALUE (repeatable)."),
    ] = None,
    env: Annotated[
        list[str] | None,
        typer.Option("--env", "-e", help="An environment variable of the container: KEY=VALUE."),
    ] = None,
    port: Annotated[int, typer.Option(help="The port the service listens on in the container.")] = (
        8000
    ),
    timeout: Annotated[
        float, typer.Option(help="Seconds to wait for the container to become healthy.")
    ] = 120.0,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Build the image, run it, wait until healthy and probe it; always remove what it started."""
    from prodcheck.commands.smoke import (
        FORMATS,
        SmokeError,
        Step,
        render_json,
        step_lines,
        verdict,
    )
    from prodcheck.commands.smoke import smoke as smoke_test

    if fmt not in FORMATS:
        _fail(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    console = None
    if fmt == "text":
        from rich.console import Console

        console = Console(highlight=False, soft_wrap=True)

    def show(step: Step) -> None:
        if console is not None:
            lines = step_lines(step)
            console.print(lines[0], style=None if step.ok else "bold red", markup=False)
            for line in lines[1:]:
                console.print(line, style="dim", markup=False)

    try:
        result = smoke_test(
            path,
            image=image,
            build_args=_pairs(build_arg, "--build-arg"),
            env=_pairs(env, "--env"),
            port=port,
            timeout=timeout,
            on_step=show,
            on_build=lambda name: typer.echo(
                f"prodcheck smoke: building {path / name} (the first build can take minutes)",
                err=True,
            ),
        )
    except SmokeError as exc:
        _fail(str(exc))
    if console is None:
        _emit(render_json(result), None)
    else:
        console.print(verdict(result), style="bold green" if result.ok else "bold red")
    raise typer.Exit(result.exit_code)


def main() -> None:
    """Console entry point: no traceback ever reaches a user, unless they ask for one."""
    try:
        app(prog_name="prodcheck")
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("PRODCHECK_DEBUG"):
            raise
        typer.echo(
            f"prodcheck: internal error: {type(exc).__name__}: {exc}. "
            "Set PRODCHECK_DEBUG=1 for the traceback, and please report it.",
            err=True,
        )
        sys.exit(EXIT_USAGE)
