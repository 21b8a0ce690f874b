"""A reference node over a real SQLite file: Outbox, Inbox and a tiny "store" that writes ops.

Implements :class:`sync.ports.Outbox` and :class:`sync.ports.Inbox` the way a real node must: the
outbox row is written in the same transaction as the change, the inbox stores applied ops and its
high-water mark in one transaction. Used by the fault tests, the simulation and the benchmark.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from sync.ops import Op

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY, hlc TEXT NOT NULL, type TEXT NOT NULL,
    v INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox_acked (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS inbox_ops (origin TEXT NOT NULL, seq INTEGER NOT NULL, hlc TEXT NOT NULL,
    type TEXT NOT NULL, v INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (origin, seq));
CREATE TABLE IF NOT EXISTS inbox_hwm (origin TEXT PRIMARY KEY, seq INTEGER NOT NULL);
"""


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    return conn


class SqliteNode:
    """Outbox + Inbox of one node (``origin``) in one SQLite file. Thread-safe via one lock."""

    def __init__(self, path: Path, origin: str) -> None:
        self.path = path
        self.origin = origin
        self.conn = connect(path)
        self.lock = threading.RLock()

    def close(self) -> None:
        self.conn.close()

    # ---- writing local ops (the "business" side) ----------------------------------------------

    def write(self, ops: Iterable[Op]) -> None:
        """Commit ops to the outbox in one transaction (as the state change that causes them would)."""
        rows = [(op.seq, op.hlc, op.type, op.v, json.dumps(op.body, separators=(",", ":"))) for op in ops]
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            self.conn.executemany("INSERT INTO outbox (seq, hlc, type, v, body) VALUES (?,?,?,?,?)", rows)
            self.conn.execute("COMMIT")

    # ---- Outbox ------------------------------------------------------------------------------

    def read_after(self, seq: int, limit: int) -> list[Op]:
        with self.lock:
            rows = self.conn.execute(
                "SELECT seq, hlc, type, v, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            ).fetchall()
        return [Op(self.origin, s, h, t, json.loads(b), v) for s, h, t, v, b in rows]

    def acked_seq(self) -> int:
        with self.lock:
            row = self.conn.execute("SELECT seq FROM outbox_acked WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def mark_acked(self, seq: int) -> None:
        with self.lock:
            self.conn.execute(
                "INSERT INTO outbox_acked (id, seq) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET seq = max(seq, excluded.seq)",
                (seq,),
            )

    def last_seq(self) -> int:
        with self.lock:
            row = self.conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()
        return int(row[0])

    def hlc_at(self, seq: int) -> str | None:
        with self.lock:
            row = self.conn.execute("SELECT hlc FROM outbox WHERE seq = ?", (seq,)).fetchone()
        return str(row[0]) if row else None

    def rewind_acked(self, seq: int) -> int:
        with self.lock:
            self.conn.execute("UPDATE outbox_acked SET seq = min(seq, ?) WHERE id = 1", (seq,))
            row = self.conn.execute("SELECT coalesce(min(seq), 0) FROM outbox").fetchone()
        return int(row[0])

    # ---- Inbox -------------------------------------------------------------------------------

    def fingerprint(self, origin: str) -> str | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT o.hlc FROM inbox_ops o JOIN inbox_hwm h ON h.origin = o.origin AND h.seq = o.seq "
                "WHERE o.origin = ?",
                (origin,),
            ).fetchone()
        return str(row[0]) if row else None

    def high_water_mark(self, origin: str) -> int:
        with self.lock:
            row = self.conn.execute("SELECT seq FROM inbox_hwm WHERE origin = ?", (origin,)).fetchone()
        return int(row[0]) if row else 0

    def apply(self, origin: str, ops: Sequence[Op]) -> int:
        from sync.receiver import plan

        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                row = self.conn.execute("SELECT seq FROM inbox_hwm WHERE origin = ?", (origin,)).fetchone()
                hwm = int(row[0]) if row else 0
                p = plan(hwm, ops)
                self.conn.executemany(
                    "INSERT INTO inbox_ops (origin, seq, hlc, type, v, body) VALUES (?,?,?,?,?,?)",
                    [(origin, op.seq, op.hlc, op.type, op.v, json.dumps(op.body)) for op in p.apply],
                )
                self.conn.execute(
                    "INSERT INTO inbox_hwm (origin, seq) VALUES (?, ?) "
                    "ON CONFLICT (origin) DO UPDATE SET seq = excluded.seq",
                    (origin, p.new_hwm),
                )
                self.conn.execute("COMMIT")
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
        return p.new_hwm

    # ---- verification helpers ---------------------------------------------------------------

    def outbox_ops(self) -> list[Op]:
        return self.read_after(0, 1 << 62)

    def inbox_ops(self) -> list[Op]:
        with self.lock:
            rows = self.conn.execute("SELECT origin, seq, hlc, type, v, body FROM inbox_ops").fetchall()
        return [Op(o, s, h, t, json.loads(b), v) for o, s, h, t, v, b in rows]
