"""A seeded synthetic sample of the training data, written to DATABASE_URL / SOURCE_TABLE.

It lets the pipeline, the service and the tests run before the real source is connected, and
it is regenerated, never committed (`make data`). Every feature is positive, with its own
scale and skew, as real columns are; the target depends on a fixed random linear combination
of the (standardised) features, so a linear baseline learns it and the default success targets
are met with a margin:
- classification: the target is 1 with the logistic probability of that combination;
- regression: the target is a positive amount, linear in it, plus noise.

The relationship is drawn from the seed before the rows are, so the same seed gives the same
relationship whatever the number of rows.

    python -m <package>.data.sample [--rows N] [--seed S] [--database-url URL]
"""

import argparse
import sys

import numpy as np
import pandas as pd

from ..model_spec import FEATURES, PROBLEM_TYPE, TARGET
from ..settings import get_settings
from .database import DataSourceError, connect, parse_url, shown, split_table_name, sqlite_file

DEFAULT_ROWS = 5_000
DEFAULT_SEED = 42

CLASS_SEPARATION = 3.0
"""Standard deviation of the log-odds: about 0.9 roc_auc for a model that finds the weights."""
AMOUNT_BASE, AMOUNT_SPREAD, AMOUNT_NOISE = 150.0, 30.0, 5.0
"""Regression target: mean, spread explained by the features, and noise the model cannot
explain (a perfect model's mean absolute error is about 0.8 x AMOUNT_NOISE)."""


def make_sample(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """`rows` examples with the FEATURES (floats) and the TARGET, identical for the same seed."""
    if rows < 1:
        raise ValueError(f"rows must be positive, not {rows}")
    rng = np.random.default_rng(seed)
    medians = rng.uniform(5.0, 100.0, len(FEATURES))
    skews = rng.uniform(0.1, 0.35, len(FEATURES))
    weights = rng.standard_normal(len(FEATURES))
    weights /= np.linalg.norm(weights)  # a unit-variance combination of standardised features

    # Log-normal: positive and right-skewed, as amounts, durations and counts are.
    features = medians * np.exp(skews * rng.standard_normal((rows, len(FEATURES))))
    means = medians * np.exp(skews**2 / 2)
    deviations = means * np.sqrt(np.exp(skews**2) - 1)
    signal = ((features - means) / deviations) @ weights

    frame = pd.DataFrame(features.round(3), columns=list(FEATURES))
    if PROBLEM_TYPE == "classification":
        probability = 1.0 / (1.0 + np.exp(-CLASS_SEPARATION * signal))
        frame[TARGET] = (rng.random(rows) < probability).astype("int64")
    else:
        amount = AMOUNT_BASE + AMOUNT_SPREAD * signal + AMOUNT_NOISE * rng.standard_normal(rows)
        frame[TARGET] = np.maximum(amount, 0.01).round(2)
    return frame


def write_sample(frame: pd.DataFrame, database_url: str, source_table: str) -> None:
    """Replace `source_table` with `frame`; the directory of a SQLite file is created first."""
    url = parse_url(database_url)
    database_file = sqlite_file(url)
    if database_file is not None:
        try:
            database_file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise DataSourceError(
                f"cannot create the directory of {database_file}: {error.strerror}"
            ) from error
    schema, table = split_table_name(source_table)
    with connect(url, write=True) as connection:
        frame.to_sql(table, connection, schema=schema, if_exists="replace", index=False)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive number of rows, not {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--rows", type=_positive, default=DEFAULT_ROWS, help="rows to write (default: %(default)s)"
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="random seed (default: %(default)s)"
    )
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: DATABASE_URL)")
    args = parser.parse_args(argv)

    settings = get_settings()
    database_url = args.database_url or settings.database_url
    try:
        write_sample(make_sample(args.rows, args.seed), database_url, settings.source_table)
    except DataSourceError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"Wrote {args.rows:,} rows (seed {args.seed}) to table {settings.source_table} "
        f"of {shown(parse_url(database_url))}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
