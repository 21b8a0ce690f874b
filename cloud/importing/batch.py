"""Many rows into one table fast on both backends, and which keys a table already holds.

SQLite runs in-process, so a plain ``executemany`` is fast. On PostgreSQL new rows go in with
``COPY ... FROM STDIN`` (psycopg's copy, inside the caller's transaction): measured here on 20,000
customer rows, 0.3 s against 1.2 s for ``executemany`` and 15 s for multi-row ``VALUES``
statements (SQLAlchemy compiles each one).
"""

from __future__ import annotations

from typing import Any

import psycopg
from sqlalchemy import Connection, String, Table, any_, bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite

from cloud.errors import StorageError


def insert_rows(
    conn: Connection, table: Table, rows: list[dict[str, Any]], ignore_keys: list[str] | None = None
) -> None:
    """Insert ``rows`` (all with the same keys); with ``ignore_keys``, rows whose key exists are skipped."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        stmt = (
            sqlite.insert(table).on_conflict_do_nothing(index_elements=ignore_keys)
            if ignore_keys
            else insert(table)
        )
        conn.execute(stmt, rows)
    elif ignore_keys:
        conn.execute(postgresql.insert(table).on_conflict_do_nothing(index_elements=ignore_keys), rows)
    else:
        _copy(conn, table, rows)


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    columns = list(rows[0])
    names = ", ".join(table.c[name].name for name in columns)  # known columns only
    driver = conn.connection.driver_connection
    assert driver is not None
    try:
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
    except psycopg.Error as err:
        raise StorageError(f"bulk load of {table.name} failed: {err}") from err


def existing(conn: Connection, column: Any, values: list[str]) -> set[str]:
    """Which of ``values`` the column holds: on PostgreSQL one array parameter per 10,000 values
    (``= ANY(:ids)``), on SQLite ``IN`` lists of 500."""
    found: set[str] = set()
    if conn.dialect.name == "postgresql":
        for start in range(0, len(values), 10_000):
            ids = bindparam("ids", values[start : start + 10_000], type_=postgresql.ARRAY(String))
            found |= {str(x) for x in conn.execute(select(column).where(column == any_(ids))).scalars()}
        return found
    for start in range(0, len(values), 500):
        found |= {
            str(x)
            for x in conn.execute(select(column).where(column.in_(values[start : start + 500]))).scalars()
        }
    return found
