"""The SQLite replica: one file, WAL, ``synchronous=FULL``, a single guarded writer.

Contract:
* :meth:`Replica.write` is the only way to change state. It holds the writer lock, runs one
  ``BEGIN IMMEDIATE`` transaction and hands out a :class:`Tx`; every op emitted through
  :meth:`Tx.emit` lands in the outbox in that same transaction, so a state change and its ops are
  committed together or not at all.
* :meth:`Replica.read` gives a per-thread read-only connection (WAL readers never block the writer).
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from edge.errors import RecoveryNeeded, StorageError
from edge.replica.faults import StorageHealth, fault_of
from edge.replica.migrations import LATEST_VERSION, MIGRATIONS
from edge.replica.wal import current_frames
from sync.hlc import HybridClock, Timestamp
from sync.ops import CURRENT_VERSION, Op

log = logging.getLogger(__name__)
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

    def __init__(
        self,
        conn: sqlite3.Connection,
        db: Database,
        clock: HybridClock,
        origin: str,
        recovery: str | None = None,
    ) -> None:
        self.conn = conn
        self.db = db
        self.clock = clock
        self.origin = origin
        self.recovery = recovery
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
        if self.recovery:
            raise RecoveryNeeded(self.recovery)
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
                    continue  # busy, locked or out of space: the next round catches up
            with contextlib.suppress(sqlite3.Error):  # a full disk must not crash the shutdown
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
        # Set when the cloud holds ops of this store that this file lost: no op may be written.
        self.recovery: str | None = None
        self.storage = StorageHealth()

    @classmethod
    def open(
        cls, path: Path, store_id: str, clock: HybridClock | None = None, migrate: bool = True
    ) -> Replica:
        """Open (creating if needed) and migrate the replica; the clock resumes from the latest outbox
        HLC, however far the wall clock is now behind it (never refuses to open)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        logged = current_frames(Path(f"{path}-wal"))
        try:
            replica = cls(path, store_id, clock or HybridClock(store_id))
        except sqlite3.OperationalError as err:
            raise StorageError(f"cannot open replica {path}: {err}") from err
        except sqlite3.DatabaseError as err:
            raise StorageError(damaged(path, err)) from err
        try:
            replica._writer.execute("PRAGMA journal_mode=WAL")
            replica._writer.execute("PRAGMA wal_autocheckpoint=0")
            replica._check_wal(logged)
            problem = replica._writer.execute("PRAGMA quick_check").fetchone()[0]
            if problem != "ok":
                raise sqlite3.DatabaseError(problem)
            if migrate:
                replica.migrate()
            replica._observe_persisted_clock()
            replica.recovery = replica._persisted_recovery()
        except sqlite3.DatabaseError as err:
            replica.close()
            raise StorageError(damaged(path, err)) from err
        except StorageError:
            replica.close()
            raise
        replica._checkpointer = Checkpointer(path)
        return replica

    def _check_wal(self, logged: int) -> None:
        """Log (never silently drop) committed transactions a torn write-ahead log lost in a crash."""
        if not logged:
            return
        kept = int(self._writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1])
        if 0 <= kept < logged:
            log.warning(
                "the write-ahead log of %s held %d frame(s) of committed transactions but only %d were "
                "readable after the crash: the last transactions before it are lost here. Ops the cloud "
                "already holds come back with `vitrine-edge restore-from-cloud` (the node asks for it "
                "when the hub is ahead); ops never sent are lost (docs/operations.md, RPO).",
                self.path, logged, max(kept, 0),
            )  # fmt: skip

    def _persisted_recovery(self) -> str | None:
        if "sync_recovery" not in self.db.table_names():
            return None
        row = self._writer.execute("SELECT reason FROM sync_recovery WHERE id = 1").fetchone()
        return str(row[0]) if row else None

    def require_recovery(self, reason: str) -> None:
        """Stop writing ops (kept across restarts) until ``vitrine-edge restore-from-cloud`` ran."""
        message = f"{reason}. Selling is stopped so no sale is lost: run `vitrine-edge restore-from-cloud`."
        with self.write() as tx:
            tx.execute(
                "INSERT INTO sync_recovery (id, reason) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET reason = excluded.reason",
                (message,),
            )
        self.recovery = message

    def clear_recovery(self) -> None:
        with self.write() as tx:
            tx.execute("DELETE FROM sync_recovery")
        self.recovery = None

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
        """The single writer: one IMMEDIATE transaction; rolled back on any exception. A full or
        failing disk raises :class:`~edge.errors.StorageFault` (recorded in :attr:`storage`) and
        leaves the writer ready for the next transaction."""
        with self._write_lock:
            conn = self._writer
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:  # another process holds the file past the busy timeout
                raise self._fault(err) or StorageError(f"replica busy: {err}") from err
            tx = Tx(conn, self.db, self.clock, self.store_id, self.recovery)
            try:
                yield tx
                conn.execute("COMMIT")
            except sqlite3.Error as err:
                _abandon(conn)
                fault = self._fault(err)
                if fault is None:
                    raise
                raise fault from err
            except BaseException:
                _abandon(conn)
                raise
            self.storage.write_succeeded()

    def _fault(self, err: sqlite3.Error) -> StorageError | None:
        fault = fault_of(err)
        if fault is not None:
            self.storage.record(fault)
        return fault

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


def damaged(path: Path, err: Exception) -> str:
    return (
        f"the replica {path} is damaged ({err}). Keep the file aside for analysis, then either put back "
        "the last backup (`vitrine-edge restore --force BACKUP`) or start from an empty file, and run "
        "`vitrine-edge restore-from-cloud` before serving (docs/operations.md)"
    )


def _abandon(conn: sqlite3.Connection) -> None:
    """Roll back what is left of a failed transaction (SQLite may already have rolled it back)."""
    if conn.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # the next BEGIN IMMEDIATE tells if the writer is unusable
            conn.execute("ROLLBACK")


def op_from_row(origin: str, row: sqlite3.Row) -> Op:
    return Op(
        origin=origin,
        seq=int(row["seq"]),
        hlc=str(row["hlc"]),
        type=str(row["type"]),
        body=json.loads(row["body"]),
        v=int(row["v"]),
    )
