"""examples/legacy-pilot audits to stage 0 with exactly the findings a reviewer would list.

The list is pinned: a rule that starts to miss one of these, or to find something else in
this repository, changes what every new user sees first, so it must be a deliberate change.
"""

from __future__ import annotations

from pathlib import Path

from prodcheck.commands.audit import audit_path

LEGACY_PILOT = Path(__file__).resolve().parent.parent / "examples" / "legacy-pilot"

EXPECTED = {
    # What is missing altogether (repository-level findings).
    ("BC001", None, None, None),
    ("BC005", None, None, None),
    ("BC006", None, None, None),
    ("OWN001", None, None, None),
    ("OWN003", None, None, None),
    ("CONT001", None, None, None),
    ("DATA002", None, None, None),
    ("ENG001", None, None, None),
    ("ENG002", None, None, None),
    ("ENG004", None, None, None),
    ("GOV001", None, None, None),
    ("LIFE001", None, None, None),
    ("LIFE003", None, None, None),
    ("LIFE004", None, None, None),
    ("MON001", None, None, None),
    ("MON003", None, None, None),
    ("MON005", None, None, None),
    ("MON006", None, None, None),
    ("OPS002", None, None, None),
    # What is there and wrong, where it is.
    ("ENG005", ".gitignore", None, None),
    ("ENG006", "README.md", 1, None),
    ("ENG003", "requirements.txt", 1, None),
    ("DATA001", "data/crm_export_2024-03.csv", None, None),
    ("DATA005", "models/churn_model.pkl", None, None),
    ("DATA003", "notebooks/01_explore.ipynb", 5, 1),
    ("DATA003", "notebooks/01_explore.ipynb", 10, 9),
    ("SEC001", "notebooks/01_explore.ipynb", 3, 13),
    ("DATA003", "notebooks/02_train.ipynb", 9, 1),
    ("SVC002", "predict.py", 7, None),
    ("SVC005", "predict.py", 7, None),
    ("SVC003", "predict.py", 20, None),
    ("LIFE002", "predict.py", 21, None),
    ("SVC004", "predict.py", 22, None),
}


def test_the_legacy_pilot_is_in_purgatory_blocked_by_its_missing_business_case() -> None:
    result = audit_path(LEGACY_PILOT)
    assert (result.verdict.reached, result.exit_code) == (0, 1)
    assert result.verdict.next_blockers == ("BC001", "BC005", "OWN001")


def test_the_legacy_pilot_has_exactly_the_findings_a_reviewer_would_list() -> None:
    result = audit_path(LEGACY_PILOT)
    found = {(f.rule_id, f.path, f.line, f.cell) for f in result.findings}
    assert found == EXPECTED
    assert len(result.findings) == len(EXPECTED)
    assert result.suppressed == []
