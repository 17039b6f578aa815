"""Every runnable rule carries a failing and a passing example, and both say the truth.

The examples are what `prodcheck explain` and the docs show, so running them here keeps the
documentation honest as rules change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from prodcheck.registry import Rule, load_rules
from tests.helpers import run_rule

RUNNABLE = [rule for rule in load_rules() if rule.check is not None]


@pytest.mark.parametrize("rule", RUNNABLE, ids=lambda rule: rule.id)
def test_the_rule_fires_on_its_failing_example(tmp_path: Path, rule: Rule) -> None:
    assert rule.examples is not None, f"{rule.id} has no examples"
    assert run_rule(rule.id, tmp_path, rule.examples.failing) != []


@pytest.mark.parametrize("rule", RUNNABLE, ids=lambda rule: rule.id)
def test_the_rule_is_silent_on_its_passing_example(tmp_path: Path, rule: Rule) -> None:
    assert rule.examples is not None, f"{rule.id} has no examples"
    assert run_rule(rule.id, tmp_path, rule.examples.passing) == []
