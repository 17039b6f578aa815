"""Renders of the project template, made once per set of answers and shared read-only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prodcheck.commands.new import new_project

Render = Callable[..., Path]


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Render:
    """`render(**answers)`: the template rendered with defaults for everything else (cached)."""
    made: dict[tuple[tuple[str, str], ...], Path] = {}

    def _render(**answers: str) -> Path:
        key = tuple(sorted(answers.items()))
        if key not in made:
            dest = tmp_path_factory.mktemp("render") / "project"
            made[key] = new_project(dest, answers=answers, defaults=True, quiet=True)
        return made[key]

    return _render
