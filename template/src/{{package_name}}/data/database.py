"""Opening the database named by DATABASE_URL, with errors a person can act on.

The sample writer and the extractor share this module, so a typo in the URL, a missing driver
or a server that does not answer reads the same everywhere: one line, the password hidden.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

URL_EXAMPLES = "sqlite:///data/sample.db or postgresql+psycopg://user:password@host:5432/db"


class DataSourceError(RuntimeError):
    """The database cannot be used as configured: a malformed URL, a missing driver, a server
    that does not answer, a missing table. The message is one line, fit for a terminal."""


def parse_url(database_url: str) -> URL:
    """The URL as SQLAlchemy reads it; a string that is not one is not echoed back, since it
    may hold a password that could not be located in it."""
    try:
        return make_url(database_url)
    except (ArgumentError, ValueError):
        raise DataSourceError(
            f"DATABASE_URL is not a SQLAlchemy database URL (expected e.g. {URL_EXAMPLES})"
        ) from None


def shown(url: URL) -> str:
    """The URL for messages and logs, with the password masked."""
    return url.render_as_string(hide_password=True)


def sqlite_file(url: URL) -> Path | None:
    """The file of a SQLite URL (relative to the working directory, as SQLite opens it); None
    for other databases and for SQLite in memory."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def split_table_name(source_table: str) -> tuple[str | None, str]:
    """`(schema, table)` of SOURCE_TABLE: `analytics.training_examples` names a table in the
    PostgreSQL schema `analytics`; a bare name lives in the connection's default schema."""
    schema, _, table = source_table.rpartition(".")
    return schema or None, table


@contextmanager
def connect(url: URL, *, write: bool = False) -> Iterator[sa.Connection]:
    """A connection to the database (a transaction committed on success when `write`), with
    every driver error, from connecting to the last statement, raised as a DataSourceError."""
    try:
        engine = sa.create_engine(url)
    except (NoSuchModuleError, ImportError) as error:
        raise DataSourceError(
            f"no SQLAlchemy driver for {shown(url)} ({error}); use e.g. {URL_EXAMPLES}"
        ) from error
    opened = engine.begin() if write else engine.connect()
    try:
        with opened as connection:
            yield connection
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        raise DataSourceError(f"database {shown(url)}: {reason}") from error
    finally:
        engine.dispose()
