"""The rule ids of the standard (standard.md, v1) are a public contract.

Users write them in suppressions, baselines and CI logs, so every id keeps its stage,
severity and scope; new rules may be added, none of these may change or disappear.
"""

from __future__ import annotations

import pytest

from prodcheck.registry import load_rules

STANDARD = {
    "BC001": (1, "error", "repo"),
    "BC002": (1, "error", "repo"),
    "BC003": (1, "error", "repo"),
    "BC004": (1, "error", "repo"),
    "BC005": (1, "error", "repo"),
    "BC006": (1, "warning", "repo"),
    "OWN001": (1, "error", "repo"),
    "OWN002": (1, "warning", "repo"),
    "OWN003": (1, "warning", "repo"),
    "DATA001": (2, "error", "file"),
    "DATA002": (2, "error", "repo"),
    "DATA003": (2, "error", "file"),
    "DATA004": (2, "error", "repo"),
    "DATA005": (2, "error", "file"),
    "DATA006": (2, "warning", "repo"),
    "NB001": (2, "error", "repo"),
    "NB002": (2, "error", "file"),
    "NB003": (2, "warning", "file"),
    "SEC001": (2, "error", "file"),
    "CONT001": (2, "error", "repo"),
    "CONT002": (2, "error", "file"),
    "CONT003": (2, "error", "file"),
    "CONT004": (2, "error", "repo"),
    "CONT005": (2, "error", "repo"),
    "CONT006": (2, "error", "file"),
    "CONT007": (2, "warning", "file"),
    "SVC001": (2, "error", "repo"),
    "SVC002": (2, "error", "repo"),
    "SVC003": (2, "error", "file"),
    "SVC004": (2, "error", "file"),
    "SVC005": (2, "warning", "repo"),
    "MON001": (2, "error", "repo"),
    "MON002": (2, "warning", "repo"),
    "ENG001": (2, "error", "repo"),
    "ENG002": (2, "error", "repo"),
    "ENG003": (2, "error", "repo"),
    "ENG004": (2, "warning", "repo"),
    "ENG005": (2, "warning", "repo"),
    "ENG006": (2, "warning", "repo"),
    "LIFE001": (3, "error", "repo"),
    "LIFE002": (3, "error", "repo"),
    "LIFE003": (3, "error", "repo"),
    "LIFE004": (3, "error", "repo"),
    "LIFE005": (3, "warning", "repo"),
    "LIFE006": (3, "warning", "repo"),
    "MON003": (3, "error", "repo"),
    "MON004": (3, "warning", "repo"),
    "MON005": (3, "warning", "repo"),
    "MON006": (3, "warning", "repo"),
    "OPS001": (3, "error", "repo"),
    "OPS002": (3, "warning", "repo"),
    "OPS003": (3, "warning", "repo"),
    "GOV001": (3, "error", "repo"),
}


@pytest.mark.parametrize("rule_id", sorted(STANDARD))
def test_every_rule_of_the_standard_exists_as_declared(rule_id: str) -> None:
    rule = load_rules().get(rule_id)
    assert (rule.stage, rule.severity.value, rule.scope.value) == STANDARD[rule_id]
    assert rule.check is not None
    assert rule.examples is not None


def test_only_the_audit_notes_are_outside_the_standard() -> None:
    extra = {rule.id for rule in load_rules()} - set(STANDARD)
    assert extra == {"PC001", "PC002", "PC003", "PC004", "PC005"}
