"""Cloud-originated ops: allocate them and queue them on store downlink streams.

Every op the hub produces gets a unique id from the ``cloud`` journal (origin ``cloud``, seq from
the ``*journal*`` counter) so projections can de-duplicate it; when queued for a store it is
re-sequenced into that store's contiguous downlink stream (``downlink_ops``), which the sync
publisher (``cloud/ingest``) sends and the store acknowledges in ``downlink_acked``.
Callers run these inside their own transaction, together with the state change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cloud.storage import schema as s
from cloud.storage.sql import dumps, insert_ignore
from sync.hlc import HybridClock
from sync.ops import CLOUD_ORIGIN, CURRENT_VERSION, Op

JOURNAL = "*journal*"


def _allocate(conn: Connection, stream: str, count: int) -> int:
    """Reserve ``count`` seqs on ``stream``; returns the first. The UPDATE takes the row lock."""
    insert_ignore(conn, s.downlink_streams, {"store": stream, "last_seq": 0}, ["store"])
    conn.execute(
        update(s.downlink_streams)
        .where(s.downlink_streams.c.store == stream)
        .values(last_seq=s.downlink_streams.c.last_seq + count)
    )
    last = conn.execute(
        select(s.downlink_streams.c.last_seq).where(s.downlink_streams.c.store == stream)
    ).scalar_one()
    return int(last) - count + 1


def new_ops(conn: Connection, clock: HybridClock, specs: Sequence[tuple[str, dict[str, Any]]]) -> list[Op]:
    """Cloud ops for ``(type, body)`` pairs, with journal seqs and increasing HLCs."""
    if not specs:
        return []
    first = _allocate(conn, JOURNAL, len(specs))
    return [
        Op(origin=CLOUD_ORIGIN, seq=first + i, hlc=str(clock.now()), type=kind, body=body, v=CURRENT_VERSION)
        for i, (kind, body) in enumerate(specs)
    ]


def queue(conn: Connection, store: str, ops: Sequence[Op]) -> list[int]:
    """Append ``ops`` to ``store``'s downlink stream; returns their stream seqs."""
    if not ops:
        return []
    first = _allocate(conn, store, len(ops))
    seqs = [first + i for i in range(len(ops))]
    conn.execute(
        insert(s.downlink_ops),
        [
            {"store": store, "seq": seq, "hlc": op.hlc, "type": op.type, "v": op.v, "body": dumps(op.body)}
            for seq, op in zip(seqs, ops, strict=True)
        ],
    )
    return seqs


def active_stores(conn: Connection) -> list[str]:
    rows = conn.execute(
        select(s.stores.c.store_id).where(s.stores.c.active.is_(True)).order_by(s.stores.c.store_id)
    )
    return [str(r[0]) for r in rows]


def broadcast(conn: Connection, ops: Sequence[Op], stores: Iterable[str] | None = None) -> None:
    """Queue ``ops`` for every active store (or the given ones)."""
    for store in active_stores(conn) if stores is None else stores:
        queue(conn, store, ops)


def pending(conn: Connection, store: str, limit: int = 1000) -> list[Op]:
    """Ops queued for ``store`` that it has not acknowledged yet (seq order), as the store sees them."""
    acked = (
        conn.execute(select(s.downlink_acked.c.seq).where(s.downlink_acked.c.store == store)).scalar() or 0
    )
    rows = conn.execute(
        select(s.downlink_ops)
        .where(s.downlink_ops.c.store == store, s.downlink_ops.c.seq > acked)
        .order_by(s.downlink_ops.c.seq)
        .limit(limit)
    ).mappings()
    return [
        Op(
            origin=CLOUD_ORIGIN,
            seq=int(r["seq"]),
            hlc=r["hlc"],
            type=r["type"],
            body=json.loads(r["body"]),
            v=r["v"],
        )
        for r in rows
    ]
