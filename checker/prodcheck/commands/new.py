"""`prodcheck new`: start a pilot as a production system, from the template prodcheck ships.

The template is copier's (copier.yml and template/ at the repository root). A wheel bundles
both under `prodcheck/_template`, so `prodcheck new` works from a plain `pip install`; a source
checkout renders its own working tree.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

BUNDLED = Path(__file__).resolve().parent.parent / "_template"
CHECKOUT = Path(__file__).resolve().parents[3]


class NewProjectError(ValueError):
    """An answer, a destination or an installation that `prodcheck new` cannot work with."""


def template_source() -> Path:
    """Where the template lives: bundled in the installed wheel, else the source checkout."""
    for root in (BUNDLED, CHECKOUT):
        if (root / "copier.yml").is_file() and (root / "template").is_dir():
            return root
    raise NewProjectError("this installation of prodcheck has no project template; reinstall it")


def questions(template: Path) -> dict[str, dict[str, Any]]:
    """The template's questions by name (copier's own settings, the `_` keys, left out)."""
    config = yaml.safe_load((template / "copier.yml").read_text(encoding="utf-8"))
    return {
        name: spec if isinstance(spec, dict) else {"default": spec}
        for name, spec in config.items()
        if not name.startswith("_")
    }


def check_answers(answers: Mapping[str, str], asked: Mapping[str, dict[str, Any]]) -> None:
    """Refuse an unknown question or a number that is not one, naming the question.

    Copier validates every answer too, but its message for a failed cast does not say which
    question it was; the rest (ranges, identifiers, handles) is left to the template's validators.
    """
    for name, value in answers.items():
        if name not in asked:
            known = ", ".join(sorted(asked))
            raise NewProjectError(f"unknown question {name!r}; the questions are: {known}")
        kind = asked[name].get("type")
        caster = {"int": int, "float": float}.get(kind) if isinstance(kind, str) else None
        if caster is None:
            continue
        try:
            caster(value)
        except ValueError:
            noun = "a whole number" if kind == "int" else "a number"
            raise NewProjectError(f"{name} must be {noun}, got {value!r}") from None


def new_project(
    dest: Path,
    *,
    answers: Mapping[str, str] | None = None,
    defaults: bool = False,
    template: str | None = None,
    user_defaults: Mapping[str, Any] | None = None,
    quiet: bool = False,
) -> Path:
    """Render the template into `dest`, which must not exist or be empty: nothing is overwritten.

    Without `defaults`, copier asks every question on the terminal; with it, the defaults
    answer what `answers` does not. `user_defaults` replace the template's own defaults
    (`adopt` derives them from the repository).
    """
    answers = dict(answers or {})
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise NewProjectError(
            f"{dest} already exists and is not empty; prodcheck new never writes over files"
        )
    if not defaults and not sys.stdin.isatty():
        raise NewProjectError(
            "no terminal to ask the questions on: pass --defaults, "
            "and --data KEY=VALUE for each answer to change"
        )
    source = template or str(template_source())
    if (Path(source) / "copier.yml").is_file():
        check_answers(answers, questions(Path(source)))

    import copier
    from copier.errors import CopierError

    with warnings.catch_warnings():
        # A source checkout with uncommitted template edits is what a developer means to render.
        warnings.simplefilter("ignore", copier.errors.DirtyLocalWarning)
        try:
            copier.run_copy(
                source,
                dest,
                data=answers,
                defaults=defaults,
                user_defaults=dict(user_defaults or {}),
                vcs_ref="HEAD" if Path(source) == CHECKOUT else None,
                quiet=quiet,
            )
        except (CopierError, ValueError) as exc:
            raise NewProjectError(str(exc).strip()) from None
    return dest
