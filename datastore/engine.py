"""The SQL of the table store, for PostgreSQL and for SQLite (the embedded default).

Names: a table is `datastore."t<distribution id>_<checksum>"` on PostgreSQL (its own
schema) and `datastore_t<distribution id>_<checksum>` on SQLite; its columns are `_id` (the
row's number in the file) and `c1` … `cN`: a file's headers never become SQL names, the
column list of DataTable maps them. Values are always parameters.

Reading (`read`) runs in a transaction that is read-only, bounded by a statement timeout
and always rolled back; on PostgreSQL also under the role `stadtdaten_datastore_reader`,
which may read the tables of the schema `datastore` and nothing else (granted when a table
is loaded), so that even a mistake in the query code could not reach another table.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.db import DatabaseError, connection, transaction

logger = logging.getLogger(__name__)

SCHEMA = "datastore"
READER_ROLE = "stadtdaten_datastore_reader"
NAME = re.compile(r"t\d+_[0-9a-f]{1,16}")
POSTGRES_TYPES = {
    "integer": "bigint", "number": "numeric", "date": "date", "datetime": "timestamp", "boolean": "boolean",
    "string": "text",
}  # fmt: skip
SQLITE_TYPES = {
    "integer": "INTEGER", "number": "REAL", "date": "TEXT", "datetime": "TEXT", "boolean": "INTEGER",
    "string": "TEXT",
}  # fmt: skip
# Text columns with a value longer than this get no B-tree index (PostgreSQL refuses index
# entries above about 2.7 kB; such columns are searched by full text).
MAX_INDEXED_TEXT = 1000
# Rows per COPY (PostgreSQL) or INSERT batch (SQLite): the load reports its progress in between.
CHUNK_ROWS = 50_000
# Memory for building a table's indexes (PostgreSQL, this transaction only): a million rows
# sort in memory instead of in temporary files, the full-text index collects its entries
# in fewer passes. Server memory, for one index build at a time; not the worker's.
INDEX_BUILD_MEMORY = "256MB"


class QueryTimeout(Exception):
    """The query ran longer than the statement timeout."""


def postgres() -> bool:
    return connection.vendor == "postgresql"


def table_name(distribution_id: int, checksum: str) -> str:
    return f"t{distribution_id}_{checksum[:16]}"


def qualified(name: str) -> str:
    """The SQL reference to a table of the store (names are ours, checked here anyway)."""
    if not NAME.fullmatch(name):
        raise ValueError(f"not a table of the store: {name!r}")
    return f'{SCHEMA}."{name}"' if postgres() else f'"datastore_{name}"'


def column_type(kind: str) -> str:
    return (POSTGRES_TYPES if postgres() else SQLITE_TYPES)[kind]


# ---------------------------------------------------------------------------
# Writing: create, fill, index, drop


def full_text(columns: list[dict]) -> str | None:
    """The full-text document of a table's rows on PostgreSQL (all its text columns), as
    the expression its GIN index is built on; the query (datastore.query) writes the same
    expression, or the index does not serve it. None if the table has no text column."""
    texts = [column["column"] for column in columns if column["type"] == "string"]
    if not texts:
        return None
    document = " || ' ' || ".join(f"coalesce({text}, '')" for text in texts)
    return f"to_tsvector('simple'::regconfig, {document})"


def create(name: str, columns: list[dict]) -> None:
    """An empty table for `columns` ([{"column": "c1", "type": "integer"}, …]). The full
    text is not stored in the rows but indexed as an expression (`full_text`): a stored
    tsvector column about doubled the table, and every filter that reads many rows (an
    aggregate over a district) reads the table's pages."""
    parts = ["_id bigint NOT NULL" if postgres() else "_id INTEGER NOT NULL"]
    parts += [f"{column['column']} {column_type(column['type'])}" for column in columns]
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {qualified(name)} ({', '.join(parts)})")


def _copy_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return '"' + value.replace('"', '""') + '"'
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _sqlite_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _quoted(value) -> str:
    return "" if value is None else '"' + value.replace('"', '""') + '"'


def _iso(value) -> str:
    return "" if value is None else value.isoformat()


def _plain(value) -> str:
    return "" if value is None else str(value)


# The COPY text of a value per column type (the loader converts every cell to its column's
# type first: text is str, dates are date or datetime, numbers int or Decimal): one call
# per cell instead of _copy_value's type tests.
COPY_FORMATTERS = {"string": _quoted, "date": _iso, "datetime": _iso, "integer": _plain, "number": _plain}


def append(name: str, columns: list[dict], rows: Iterable[tuple]) -> int:
    """Add `rows` (tuples of `_id` and the columns' Python values) in one statement on
    PostgreSQL (COPY), in one batch of INSERTs on SQLite. Returns the number of rows."""
    count = 0
    if postgres():
        import io

        formatters = [_plain, *(COPY_FORMATTERS.get(column["type"], _copy_value) for column in columns)]
        buffer = io.StringIO()
        for row in rows:
            buffer.write(",".join([format_value(value) for format_value, value in zip(formatters, row, strict=True)]))
            buffer.write("\n")
            count += 1
        buffer.seek(0)
        names = ", ".join(["_id", *(column["column"] for column in columns)])
        with connection.cursor() as cursor:
            cursor.cursor.copy_expert(f"COPY {qualified(name)} ({names}) FROM STDIN WITH (FORMAT csv)", buffer)
        return count
    batch = [tuple(_sqlite_value(value) for value in row) for row in rows]
    marks = ", ".join("?" * (len(columns) + 1))
    with connection.cursor() as cursor:
        cursor.connection.executemany(f"INSERT INTO {qualified(name)} VALUES ({marks})", batch)  # noqa: S608 - our name
    return len(batch)


def finish(name: str, columns: list[dict], *, long_text: set[str]) -> None:
    """Index the loaded table (every column that can be indexed, the full text), gather
    its statistics, and let the reader role read it. All indexes are built after the
    rows are in (COPY into an unindexed table), in one transaction with more memory for
    the builds (INDEX_BUILD_MEMORY)."""
    table = qualified(name)
    with transaction.atomic(), connection.cursor() as cursor:
        if postgres():
            cursor.execute(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
        cursor.execute(f"CREATE UNIQUE INDEX {_index_name(name, 'id')} ON {table} (_id)")
        for column in columns:
            if column["column"] in long_text:
                continue
            cursor.execute(f"CREATE INDEX {_index_name(name, column['column'])} ON {table} ({column['column']})")
        if postgres():
            document = full_text(columns)
            if document:
                cursor.execute(f"CREATE INDEX {_index_name(name, 'ft')} ON {table} USING gin (({document}))")
            cursor.execute(f"ANALYZE {table}")
            if reader_role_usable():
                cursor.execute(f"GRANT SELECT ON {table} TO {READER_ROLE}")
        else:
            cursor.execute(f"ANALYZE {table}")


def _index_name(name: str, suffix: str) -> str:
    return f'"{name}_{suffix}"' if postgres() else f'"datastore_{name}_{suffix}"'


def drop(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {qualified(name)}")


def existing_tables() -> set[str]:
    """The names of the store's tables in the database (those a crashed load left included)."""
    with connection.cursor() as cursor:
        if postgres():
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [SCHEMA])
            names = [row[0] for row in cursor.fetchall()]
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'datastore\\_t%%' ESCAPE '\\'"
            )
            names = [row[0].removeprefix("datastore_") for row in cursor.fetchall()]
    return {name for name in names if NAME.fullmatch(name)}


# ---------------------------------------------------------------------------
# Reading

_reader_role: bool | None = None


def reader_role_usable() -> bool:
    """Whether this database has the reader role and we may take it on (the migration
    creates it where the database user may create roles; otherwise reads run without it,
    still read-only and bounded, and the system check warns)."""
    global _reader_role
    if _reader_role is None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s)", [READER_ROLE])
            exists = cursor.fetchone()[0]
            member = False
            if exists:
                cursor.execute("SELECT pg_has_role(current_user, %s, 'MEMBER')", [READER_ROLE])
                member = cursor.fetchone()[0]
        _reader_role = bool(exists and member)
    return _reader_role


def read(sql: str, params: list, *, timeout_ms: int | None = None) -> tuple[list[str], list[tuple]]:
    """Run one SELECT of the store read-only within the timeout: (column names, rows)."""
    return read_all([(sql, params)], timeout_ms=timeout_ms)[0]


def read_all(statements: list[tuple[str, list]], *, timeout_ms: int | None = None) -> list[tuple[list, list]]:
    """Run SELECTs of the store in one read-only transaction, each within the timeout."""
    timeout_ms = timeout_ms or settings.DATASTORE_TIMEOUT_MS
    answers = []
    with transaction.atomic():
        try:
            with connection.cursor() as cursor:
                if postgres():
                    role = f"SET LOCAL ROLE {READER_ROLE}; " if reader_role_usable() else ""
                    cursor.execute(
                        f"SET LOCAL transaction_read_only = on; {role}SET LOCAL statement_timeout = {int(timeout_ms)}"
                    )
                    for sql, params in statements:
                        cursor.execute(sql, params)
                        answers.append(([column.name for column in cursor.description], cursor.fetchall()))
                else:
                    answers = [_read_sqlite(cursor, sql, params, timeout_ms) for sql, params in statements]
        except DatabaseError as error:
            if _timed_out(error):
                raise QueryTimeout from error
            raise
        finally:
            # Read-only, the role and the timeout end with the transaction (or savepoint).
            transaction.set_rollback(True)
    return answers


def _read_sqlite(cursor, sql, params, timeout_ms):
    raw = cursor.connection
    deadline = time.monotonic() + timeout_ms / 1000
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    cursor.execute("PRAGMA query_only = ON")
    try:
        cursor.execute(sql, params)
        names = [column[0] for column in cursor.description]
        return names, cursor.fetchall()
    finally:
        cursor.execute("PRAGMA query_only = OFF")
        raw.set_progress_handler(None, 0)


def _timed_out(error: DatabaseError) -> bool:
    cause = error.__cause__
    code = getattr(cause, "pgcode", None)
    return code == "57014" or "interrupted" in str(error)
