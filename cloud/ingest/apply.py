"""Idempotent apply of one store's op batch (SQLAlchemy Core; SQLite or PostgreSQL).

In ONE transaction: lock the stream's high-water mark row, insert the ops that extend it
contiguously into ``cloud_ops``, fold them into the projections, advance the mark with a
conditional update. Any worker may take any batch: a batch already applied changes nothing
(``plan`` skips seqs ``<= hwm``); two workers on the same stream serialise on the row lock
(PostgreSQL ``SELECT ... FOR UPDATE``, SQLite ``BEGIN IMMEDIATE``), and the primary key on
``(origin, seq)`` plus the conditional update make a double apply impossible even without it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from cloud.errors import CloudError, StorageError
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from cloud.timefmt import utc_now_text
from sync.errors import SyncError
from sync.ops import Op
from sync.receiver import plan

log = logging.getLogger(__name__)

Projector = Callable[[Connection, Sequence[Op]], None]
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode  # one encoder, reused


def no_projection(_conn: Connection, _ops: Sequence[Op]) -> None:
    """Projector used when the hub's projections are not wired in (benchmarks of the ingest core)."""


class _LostRace(Exception):
    """The high-water mark moved under us; retry the whole transaction."""


@dataclass(frozen=True, slots=True)
class Applied:
    origin: str
    hwm: int
    applied: int
    duplicates: int
    gap: bool
    rejected: tuple[tuple[Op, str], ...] = ()  # ops kept in cloud_ops whose projection failed
    hlc: str | None = None  # HLC of the op at ``hwm``: the stream's fingerprint, sent in the ack
    # Ops at a seq already applied but with another HLC: the store went back in time (replica
    # restored from an older backup) and numbered new ops the hub already holds. Never applied.
    conflicts: tuple[Op, ...] = ()


class StreamApplier:
    def __init__(self, engine: Engine, projector: Projector = no_projection, retries: int = 8) -> None:
        self.engine = engine
        self.projector = projector
        self.retries = retries
        self._pg = engine.dialect.name == "postgresql"
        mark = "%s" if engine.dialect.paramstyle in ("format", "pyformat") else "?"
        self._insert_sql = (
            f"INSERT INTO {s.cloud_ops.name} (origin, seq, hlc, type, v, body, received_at) "
            f"VALUES ({', '.join([mark] * 7)})"
        )

    def apply(self, origin: str, ops: Sequence[Op]) -> Applied:
        """Apply ``ops`` of stream ``origin``; returns the committed high-water mark."""
        last: Exception | None = None
        for attempt in range(self.retries):
            try:
                with self.engine.begin() as conn:
                    return self._apply(conn, origin, ops)
            except (_LostRace, IntegrityError, OperationalError) as err:
                last = err
                log.info("apply of %s lost a race (%s); retrying", origin, type(err).__name__)
                time.sleep(min(0.5, 0.01 * 2**attempt))
            except DBAPIError as err:
                raise StorageError(f"apply of {origin} failed: {err}") from err
        raise StorageError(f"apply of {origin} kept conflicting: {last}") from last

    def hwm(self, origin: str) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(select(s.stream_hwm.c.seq).where(s.stream_hwm.c.origin == origin)).scalar() or 0
            )

    def _apply(self, conn: Connection, origin: str, ops: Sequence[Op]) -> Applied:
        insert_ignore(conn, s.stream_hwm, {"origin": origin, "seq": 0}, ["origin"])
        query = select(s.stream_hwm.c.seq).where(s.stream_hwm.c.origin == origin)
        if self._pg:
            query = query.with_for_update()
        hwm = int(conn.execute(query).scalar_one())
        p = plan(hwm, ops)
        rejected: list[tuple[Op, str]] = []
        if p.apply:
            now = utc_now_text()
            # Plain DB-API executemany: the hot path of catch-up (SQLAlchemy's per-row parameter
            # processing costs more than the insert itself).
            conn.exec_driver_sql(
                self._insert_sql,
                [(origin, op.seq, op.hlc, op.type, op.v, _dumps(op.body), now) for op in p.apply],
            )
            rejected = self._project(conn, p.apply)
            moved = conn.execute(
                update(s.stream_hwm)
                .where(s.stream_hwm.c.origin == origin, s.stream_hwm.c.seq == hwm)
                .values(seq=p.new_hwm)
            )
            if moved.rowcount != 1:
                raise _LostRace(origin)
        conflicts: tuple[Op, ...] = ()
        if p.duplicates:
            conflicts = self._conflicts(conn, origin, [op for op in ops if op.seq <= hwm])
        hlc = p.apply[-1].hlc if p.apply else self._hlc_at(conn, origin, p.new_hwm)
        return Applied(origin, p.new_hwm, len(p.apply), p.duplicates, p.gap, tuple(rejected), hlc, conflicts)

    def mark(self, origin: str) -> tuple[int, str | None]:
        """The stream's high-water mark and the HLC of the op there."""
        with self.engine.connect() as conn:
            hwm = int(
                conn.execute(select(s.stream_hwm.c.seq).where(s.stream_hwm.c.origin == origin)).scalar() or 0
            )
            return hwm, self._hlc_at(conn, origin, hwm)

    def _hlc_at(self, conn: Connection, origin: str, seq: int) -> str | None:
        if seq == 0:
            return None
        t = s.cloud_ops
        value = conn.execute(select(t.c.hlc).where(t.c.origin == origin, t.c.seq == seq)).scalar()
        return str(value) if value is not None else None

    def _conflicts(self, conn: Connection, origin: str, seen: Sequence[Op]) -> tuple[Op, ...]:
        if not seen:
            return ()
        t = s.cloud_ops
        held = dict(
            conn.execute(
                select(t.c.seq, t.c.hlc).where(t.c.origin == origin, t.c.seq.in_([op.seq for op in seen]))
            ).all()
        )
        return tuple(op for op in seen if op.seq in held and held[op.seq] != op.hlc)

    def _project(self, conn: Connection, ops: Sequence[Op]) -> list[tuple[Op, str]]:
        """Project the batch; if it fails, project op by op and report the ops that fail.

        A failing op stays in ``cloud_ops`` (the log is complete) and is quarantined by the
        caller; the stream keeps moving instead of blocking on one bad op forever.
        """
        try:
            with conn.begin_nested():
                self.projector(conn, ops)
            return []
        except (CloudError, SyncError) as err:
            log.warning("projection of a batch failed (%s); retrying op by op", err)
        rejected: list[tuple[Op, str]] = []
        for op in ops:
            try:
                with conn.begin_nested():
                    self.projector(conn, [op])
            except (CloudError, SyncError) as err:
                rejected.append((op, f"projection failed: {err}"))
        return rejected
