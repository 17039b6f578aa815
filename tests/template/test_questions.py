"""A wrong answer is refused before anything is written, with a message naming what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from prodcheck.commands.new import NewProjectError, new_project

REFUSED = {
    "package name starting with a digit": ("package_name", "1model", "not a valid package name"),
    "package name that is a keyword": ("package_name", "class", "Python keyword"),
    "package name shadowing a dependency": ("package_name", "mlflow", "shadows a library"),
    "slug with spaces": ("project_slug", "my project", "not a valid slug"),
    "non-numeric value": ("annual_value", "50k", "annual_value must be a number"),
    "zero value": ("annual_value", "0", "must be a positive number"),
    "negative cost": ("cost_run", "-100", "cannot be negative"),
    "horizon not a whole number": ("horizon_years", "2.5", "must be a whole number"),
    "horizon out of range": ("horizon_years", "40", "between 1 and 10"),
    "owner that is neither handle nor email": ("model_owner", "maria", "neither a @handle"),
    "sponsor backing up themself": ("backup_sponsor", "@executive-sponsor", "someone other"),
    "currency name instead of code": ("currency", "euro", "ISO 4217"),
    "impossible date": ("decision_date", "2027-13-01", "YYYY-MM-DD"),
    "features not a list": ("features", "age", "non-empty YAML list"),
    "duplicate features": ("features", "[age, age]", "unique"),
    "feature that is no identifier": ("features", "[age, monthly spend]", "not a valid identifier"),
    "target among the features": ("target", "tenure_months", "cannot also be a feature"),
    "model metric of the wrong kind": ("model_metric", "mae", "Invalid choice"),
    "accuracy target above 1": ("model_metric_target", "75", "lie in (0, 1]"),
    "unknown question": ("budget", "1", "unknown question 'budget'"),
}


@pytest.mark.parametrize(("question", "answer", "message"), REFUSED.values(), ids=REFUSED.keys())
def test_a_wrong_answer_is_refused(
    tmp_path: Path, question: str, answer: str, message: str
) -> None:
    dest = tmp_path / "project"
    with pytest.raises(NewProjectError, match=message.replace("(", r"\(").replace("]", r"\]")):
        new_project(dest, answers={question: answer}, defaults=True, quiet=True)

    assert not dest.exists()


def test_all_costs_zero_is_refused(tmp_path: Path) -> None:
    free = {"cost_run": "0", "cost_maintenance": "0", "cost_team": "0"}
    with pytest.raises(NewProjectError, match="cannot all be zero"):
        new_project(tmp_path / "project", answers=free, defaults=True, quiet=True)
