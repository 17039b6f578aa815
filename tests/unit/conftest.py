"""Fixtures for the checker core's unit tests."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from tests import helpers
from tests.unit.toy_rules import Checker


@pytest.fixture
def checker() -> Checker:
    """A private registry (PC rules only) for the test's throwaway rules."""
    return Checker()


@pytest.fixture(autouse=True)
def hermetic_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Git sees neither the machine's settings nor any repository above the test's tmp_path."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", "/dev/null")
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")


@pytest.fixture
def git(tmp_path: Path) -> Callable[..., str]:
    """Make tmp_path a fresh git work tree; `git(*args)` runs git there and returns its output."""
    in_tree = partial(helpers.git, tmp_path)
    in_tree("init", "-q", "--template=")  # no sample hooks to copy: faster
    return in_tree
