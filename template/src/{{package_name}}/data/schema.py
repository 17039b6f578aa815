"""The contract the training data must meet before a model is trained on it.

Built from model_spec.py: every feature is a finite float with no missing value, the target is
0 or 1 (classification) or a finite float (regression), and every one of those columns must be
present. Values are coerced to those types (an integer column is a fine float column); other
columns are dropped. A failure names every failing column, so a broken extract is fixed in one
pass instead of one error at a time.
"""

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..model_spec import FEATURES, PROBLEM_TYPE, TARGET

MIN_ROWS = 50
"""Fewer rows cannot train a model and still leave a holdout worth judging it on."""
MIN_ROWS_PER_CLASS = 5
"""A classifier is judged on a stratified holdout, which needs rows of both classes."""


TABLE_LEVEL = "the table"
"""How a failure of the whole frame (too few rows) is named among the failing columns."""


class DataValidationError(ValueError):
    """The training data breaks the contract; `columns` names the failing columns."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        self.columns = tuple(column for column in problems if column != TABLE_LEVEL)
        details = "; ".join(f"{column}: {', '.join(why)}" for column, why in problems.items())
        super().__init__(f"the training data failed validation: {details}")


_finite = pa.Check(np.isfinite, error="holds infinite values")


def _both_classes(target: pd.Series) -> bool:
    return bool((target.value_counts().reindex([0, 1], fill_value=0) >= MIN_ROWS_PER_CLASS).all())


def _target_column() -> pa.Column:
    if PROBLEM_TYPE == "classification":
        # Read as a number and checked before it becomes an integer label: coercing straight
        # to int64 would silently truncate a 0.5 to 0.
        return pa.Column(
            "float64",
            checks=[
                pa.Check.isin([0, 1], error="holds values other than 0 and 1"),
                pa.Check(
                    _both_classes,
                    error=f"needs at least {MIN_ROWS_PER_CLASS} rows of each class, 0 and 1",
                ),
            ],
            nullable=False,
        )
    return pa.Column("float64", checks=_finite, nullable=False)


SCHEMA = pa.DataFrameSchema(
    {
        **{name: pa.Column("float64", checks=_finite, nullable=False) for name in FEATURES},
        TARGET: _target_column(),
    },
    checks=pa.Check(lambda frame: len(frame) >= MIN_ROWS, error=f"has fewer than {MIN_ROWS} rows"),
    coerce=True,
    strict="filter",
    name="training data",
)


def validate(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exactly the contract's columns, coerced to their types (float features;
    an int64 class label or a float target); DataValidationError naming every failing column
    otherwise."""
    try:
        validated = SCHEMA.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        raise DataValidationError(_problems(errors.failure_cases)) from errors
    if PROBLEM_TYPE == "classification":
        validated[TARGET] = validated[TARGET].astype("int64")  # exact: only 0.0 and 1.0 remain
    return validated


def _problems(failure_cases: pd.DataFrame) -> dict[str, list[str]]:
    """What is wrong with each column, in words, from pandera's table of failure cases."""
    problems: dict[str, list[str]] = {}
    for (context, column, check), cases in failure_cases.groupby(
        ["schema_context", "column", "check"], sort=False, dropna=False
    ):
        failures = cases["failure_case"]
        if check == "column_in_dataframe":
            for missing in failures:
                problems.setdefault(str(missing), []).append("is missing")
            continue
        reason = _described(str(check), failures)
        if reason:
            name = TABLE_LEVEL if context == "DataFrameSchema" else str(column)
            problems.setdefault(name, []).append(reason)
    return {name: _without_knock_on(reasons) for name, reasons in problems.items()}


_UNREADABLE, _MISSING = "cannot be read as", "has missing values"


def _described(check: str, failures: pd.Series) -> str | None:
    """One failed check in words; None for a failure another check already reports."""
    examples = _examples(failures)
    if check == "not_nullable":
        return f"{_MISSING} ({len(failures)} row{'s' if len(failures) > 1 else ''})"
    if check.startswith("coerce_dtype("):
        dtype = check.removeprefix("coerce_dtype(").removesuffix(")").strip("'")
        # A missing value cannot become an integer either, but `not_nullable` says so already.
        return f"{_UNREADABLE} {dtype} (e.g. {examples})" if examples else None
    if check.startswith("dtype("):
        return None  # types are coerced: a wrong type is a value that could not be, told above
    return f"{check} (e.g. {examples})" if examples else check


def _without_knock_on(reasons: list[str]) -> list[str]:
    """A value that cannot be converted fails every later check of its column as well (its
    type, its range): say only that it cannot be read."""
    if any(reason.startswith(_UNREADABLE) for reason in reasons):
        return [reason for reason in reasons if reason.startswith((_UNREADABLE, _MISSING))]
    return reasons


def _examples(failures: pd.Series, limit: int = 3) -> str:
    """A few distinct failing values; a check of a whole column or table has none to show."""
    values = [
        value.item() if isinstance(value, np.generic) else value  # 2, not np.int64(2)
        for value in failures.dropna().unique()
        if not isinstance(value, bool | np.bool_)
    ]
    return ", ".join(repr(value) for value in values[:limit])
