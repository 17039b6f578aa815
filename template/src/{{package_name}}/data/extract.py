"""Reading the training examples: the FEATURES and the TARGET of SOURCE_TABLE at DATABASE_URL.

Only the columns the model needs are selected, by name, and SQLAlchemy quotes every
identifier, so a table with other columns (an id, a load timestamp) works as it is and no name
is ever pasted into SQL text.
"""

import pandas as pd
import sqlalchemy as sa

from ..model_spec import FEATURES, TARGET
from .database import DataSourceError, connect, parse_url, shown, split_table_name, sqlite_file

MAKE_DATA = "run `make data` first to write the synthetic sample"


class MissingDataError(DataSourceError):
    """The database holds no training examples in the expected place (yet)."""


def extract(database_url: str, source_table: str) -> pd.DataFrame:
    """Every row of `source_table`, with exactly the FEATURES and the TARGET as columns."""
    url = parse_url(database_url)
    database_file = sqlite_file(url)
    if database_file is not None and not database_file.is_file():
        # SQLite would create an empty database here and then report the table missing.
        raise MissingDataError(f"the SQLite database {database_file} does not exist: {MAKE_DATA}")
    schema, name = split_table_name(source_table)
    wanted = [*FEATURES, TARGET]
    with connect(url) as connection:
        inspector = sa.inspect(connection)
        if not inspector.has_table(name, schema=schema):
            raise MissingDataError(
                f"table {source_table} does not exist in {shown(url)}: {MAKE_DATA}, "
                "or set SOURCE_TABLE to the table that holds the training examples"
            )
        present = {column["name"] for column in inspector.get_columns(name, schema=schema)}
        missing = [column for column in wanted if column not in present]
        if missing:
            raise MissingDataError(
                f"table {source_table} in {shown(url)} lacks the column(s) "
                f"{', '.join(missing)} that model_spec.py names as FEATURES and TARGET"
            )
        table = sa.table(name, *(sa.column(column) for column in wanted), schema=schema)
        return pd.read_sql(sa.select(*table.columns), connection)
