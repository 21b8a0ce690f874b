"""The SQLite replica: one file, WAL, ``synchronous=FULL``, a single guarded writer.

Contract:
* :meth:`Replica.write` is the only way to change state. It holds the writer lock, runs one
  ``BEGIN IMMEDIATE`` transaction and hands out a :class:`Tx`; every op emitted through
  :meth:`Tx.emit` lands in the outbox in that same transaction, so a state change and its ops are
  committed together or not at all.
* :meth:`Replica.read` gives a per-thread read-only connection (WAL readers never block the writer).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from edge.errors import StorageError
from edge.replica.migrations import LATEST_VERSION, MIGRATIONS
from sync.hlc import HybridClock, Timestamp
from sync.ops import CURRENT_VERSION, Op

BUSY_TIMEOUT_S = 10.0
CHECKPOINT_INTERVAL_S = 0.5


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=OFF")
    return conn


class Tx:
    """One open write transaction. Emits ops into the outbox of the same transaction."""

    def __init__(self, conn: sqlite3.Connection, db: Database, clock: HybridClock, origin: str) -> None:
        self.conn = conn
        self.db = db
        self.clock = clock
        self.origin = origin
        self._next_seq = 0
        self.ops: list[Op] = []

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def emit(self, type_: str, body: dict[str, Any], hlc: str | None = None) -> Op:
        """Append an op to the outbox; seq is contiguous because only this writer appends."""
        if not self._next_seq:
            row = self.conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()
            self._next_seq = int(row[0]) + 1
        op = Op(
            origin=self.origin,
            seq=self._next_seq,
            hlc=hlc or str(self.clock.now()),
            type=type_,
            body=body,
            v=CURRENT_VERSION,
        )
        op.validate()  # never queue an op type the vocabulary does not know
        self.conn.execute(
            "INSERT INTO outbox (seq, op_id, hlc, type, v, body) VALUES (?, ?, ?, ?, ?, ?)",
            (op.seq, op.id, op.hlc, op.type, op.v, json.dumps(body, separators=(",", ":"))),
        )
        self._next_seq += 1
        self.ops.append(op)
        return op

    def hlc(self) -> str:
        return str(self.clock.now())


class Checkpointer:
    """Moves WAL checkpoints off the write path: the writer never auto-checkpoints inside a commit
    (which would put a database-file fsync into some unlucky sale's latency); this thread runs a
    PASSIVE checkpoint on its own connection every ``interval`` seconds instead."""

    def __init__(self, path: Path, interval: float = CHECKPOINT_INTERVAL_S) -> None:
        self._path = path
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"checkpoint:{path.name}", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        conn = _connect(self._path)
        try:
            while not self._stop.wait(self._interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    continue  # busy or locked: the next round catches up
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


class Replica:
    """The store's SQLite replica. Construct with :meth:`open`; close with :meth:`close`."""

    def __init__(self, path: Path, store_id: str, clock: HybridClock) -> None:
        self.path = path
        self.store_id = store_id
        self.clock = clock
        self._write_lock = threading.Lock()
        self._writer = _connect(path)
        self.db = Database(self._writer)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._readers_lock = threading.Lock()
        self._checkpointer: Checkpointer | None = None

    @classmethod
    def open(
        cls, path: Path, store_id: str, clock: HybridClock | None = None, migrate: bool = True
    ) -> Replica:
        """Open (creating if needed) and migrate the replica; the clock resumes from the latest outbox
        HLC, however far the wall clock is now behind it (never refuses to open)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            replica = cls(path, store_id, clock or HybridClock(store_id))
            replica._writer.execute("PRAGMA journal_mode=WAL")
            replica._writer.execute("PRAGMA wal_autocheckpoint=0")
        except sqlite3.Error as err:
            raise StorageError(f"cannot open replica {path}: {err}") from err
        if migrate:
            replica.migrate()
        replica._observe_persisted_clock()
        replica._checkpointer = Checkpointer(path)
        return replica

    def _observe_persisted_clock(self) -> None:
        if "outbox" not in self.db.table_names():
            return
        row = self._writer.execute("SELECT max(hlc) FROM outbox").fetchone()
        if row and row[0]:
            self.clock.restore(Timestamp.parse(row[0]))

    # -- schema ---------------------------------------------------------------------------------
    def schema_version(self) -> int:
        if "schema_migrations" not in self.db.table_names():
            return 0
        row = self._writer.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()
        return int(row[0])

    def migrate(self, target: int = LATEST_VERSION) -> list[int]:
        """Apply pending migrations up to ``target``, each atomically with its record."""
        applied: list[int] = []
        with self._write_lock:
            conn = self._writer
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            current = self.schema_version()
            if current > LATEST_VERSION:
                raise StorageError(
                    f"replica schema v{current} is newer than this software (v{LATEST_VERSION})"
                )
            for migration in MIGRATIONS:
                if migration.version <= current or migration.version > target:
                    continue
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in migration.statements:
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_migrations VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
                        (migration.version, migration.name),
                    )
                    conn.execute("COMMIT")
                except sqlite3.Error as err:
                    conn.execute("ROLLBACK")
                    raise StorageError(f"migration {migration.version} failed: {err}") from err
                applied.append(migration.version)
        return applied

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[Tx]:
        """The single writer: one IMMEDIATE transaction; rolled back on any exception."""
        with self._write_lock:
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:  # another process holds the file past the busy timeout
                raise StorageError(f"replica busy: {err}") from err
            tx = Tx(conn, self.db, self.clock, self.store_id)
            try:
                yield tx
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def reader(self) -> sqlite3.Connection:
        """This thread's read-only connection."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = _connect(self.path)
            conn.execute("PRAGMA query_only=ON")
            self._local.conn = conn
            with self._readers_lock:
                self._readers.append(conn)
        return conn

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._readers_lock:
            for conn in self._readers:
                conn.close()
            self._readers.clear()
        with self._write_lock:
            self._writer.close()


def op_from_row(origin: str, row: sqlite3.Row) -> Op:
    return Op(
        origin=origin,
        seq=int(row["seq"]),
        hlc=str(row["hlc"]),
        type=str(row["type"]),
        body=json.loads(row["body"]),
        v=int(row["v"]),
    )
