"""Small portable SQL helpers (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignore(
    conn: Connection, table: Table, values: dict[str, Any], keys: list[str] | None = None
) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    first_key = next(iter(table.primary_key.columns))
    stmt = (
        dialect.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=keys)
        .returning(first_key)
    )
    return conn.execute(stmt).first() is not None


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def insert_ignore_many(conn: Connection, table: Table, rows: list[dict[str, Any]], keys: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING of many rows (all with the same columns) as one executemany:
    the statement compiles once per table and is cached; the driver batches the rows."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(table).on_conflict_do_nothing(index_elements=keys), rows)
