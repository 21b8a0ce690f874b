"""Where this replica's bootstrap stands, kept in the replica itself (table ``bootstrap_progress``).

The cursor is saved in the same transaction as the rows of the page it follows, so a restart or a
dropped link continues from the last page applied and nothing is applied twice. The table belongs
to this feature and is created on first use (an empty table for replicas never bootstrapped).
"""

from __future__ import annotations

import sqlite3

from edge.replica.database import Replica, Tx
from sync.bootstrap import Cursor

TABLE_SQL = (
    "CREATE TABLE IF NOT EXISTS bootstrap_progress ("
    "id INTEGER PRIMARY KEY CHECK (id = 1), cursor TEXT NOT NULL, updated_at TEXT NOT NULL)"
)


def ensure_table(replica: Replica) -> None:
    with replica.write() as tx:
        tx.execute(TABLE_SQL)


def load(conn: sqlite3.Connection) -> Cursor | None:
    """The saved cursor, or None (never bootstrapped, or the table is not there yet)."""
    try:
        row = conn.execute("SELECT cursor FROM bootstrap_progress WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    return Cursor.from_json(str(row[0])) if row else None


def save(tx: Tx, cursor: Cursor) -> None:
    tx.execute(
        "INSERT INTO bootstrap_progress VALUES (1, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) "
        "ON CONFLICT (id) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at",
        (cursor.to_json(),),
    )
