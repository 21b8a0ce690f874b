"""Stock projection per (sku, store, zone), folded incrementally with ``sync.fold`` semantics.

Invariant: ``stock.qty`` = the latest ``stock.count`` by HLC + the sum of ``stock.delta`` whose
HLC is after it (every move is kept in ``stock_moves``, so a late count or a late delta lands in
the same state as in-order delivery). ``oversold`` is set when the quantity after the last count
goes below zero; it is flagged, never clamped. Each count also records the book quantity it
replaced (``stock_counts``) for the stock-accuracy report.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select, update

from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from cloud.timefmt import day_of, normalise, utc_now_text
from sync.ops import Op

Key = tuple[str, str, str]


def _key(body: dict[str, Any]) -> Key:
    return (str(body["sku"]), str(body["store"]), str(body.get("zone") or ""))


def _where(table: Any, key: Key) -> list[Any]:
    sku, store, zone = key
    return [table.c.sku == sku, table.c.store == store, table.c.zone == zone]


def _cell(conn: Connection, key: Key, hlc: str) -> dict[str, Any]:
    sku, store, zone = key
    insert_ignore(
        conn,
        s.stock,
        {
            "sku": sku,
            "store": store,
            "zone": zone,
            "qty": 0,
            "last_count_hlc": "",
            "oversold": False,
            "updated_hlc": hlc,
        },
        ["sku", "store", "zone"],
    )
    return dict(conn.execute(select(s.stock).where(*_where(s.stock, key))).mappings().one())


def _qty_before(conn: Connection, key: Key, hlc: str) -> int:
    """The book quantity just before ``hlc``: the last count before it + deltas between."""
    moves = s.stock_moves
    last = conn.execute(
        select(moves.c.hlc, moves.c.qty)
        .where(*_where(moves, key), moves.c.kind == "count", moves.c.hlc < hlc)
        .order_by(moves.c.hlc.desc())
        .limit(1)
    ).first()
    since, base = (last[0], int(last[1])) if last else ("", 0)
    delta = conn.execute(
        select(func.coalesce(func.sum(moves.c.qty), 0)).where(
            *_where(moves, key), moves.c.kind == "delta", moves.c.hlc > since, moves.c.hlc < hlc
        )
    ).scalar_one()
    return base + int(delta)


def apply_count(conn: Connection, op: Op) -> None:
    key = _key(op.body)
    counted = int(op.body["qty"])
    if not _record_move(conn, op, key, "count", counted):
        return
    book = _qty_before(conn, key, op.hlc)
    at = normalise(str(op.body.get("at") or utc_now_text()))
    sku, store, zone = key
    insert_ignore(
        conn,
        s.stock_counts,
        {
            "op_id": op.id,
            "sku": sku,
            "store": store,
            "zone": zone,
            "session": op.body.get("session"),
            "at": at,
            "day": day_of(at),
            "counted": counted,
            "book": book,
        },
        ["op_id"],
    )
    cell = _cell(conn, key, op.hlc)
    if op.hlc <= cell["last_count_hlc"]:
        return
    after = (
        conn.execute(
            select(s.stock_moves.c.qty)
            .where(*_where(s.stock_moves, key), s.stock_moves.c.kind == "delta", s.stock_moves.c.hlc > op.hlc)
            .order_by(s.stock_moves.c.hlc)
        )
        .scalars()
        .all()
    )
    running, oversold = counted, False
    for d in after:
        running += int(d)
        oversold = oversold or running < 0
    conn.execute(
        update(s.stock)
        .where(*_where(s.stock, key))
        .values(qty=running, last_count_hlc=op.hlc, oversold=oversold, updated_hlc=op.hlc)
    )


def _record_move(conn: Connection, op: Op, key: Key, kind: str, qty: int) -> bool:
    sku, store, zone = key
    return insert_ignore(
        conn,
        s.stock_moves,
        {
            "op_id": op.id,
            "sku": sku,
            "store": store,
            "zone": zone,
            "hlc": op.hlc,
            "kind": kind,
            "qty": qty,
            "reason": op.body.get("reason"),
        },
        ["op_id"],
    )


def availability(conn: Connection, sku: str) -> dict[str, int]:
    """Quantity per store for ``sku`` (zones summed)."""
    rows = conn.execute(
        select(s.stock.c.store, func.sum(s.stock.c.qty)).where(s.stock.c.sku == sku).group_by(s.stock.c.store)
    ).all()
    return {str(store): int(qty) for store, qty in rows}


def store_qty(conn: Connection, sku: str, store: str) -> int:
    return int(
        conn.execute(
            select(func.coalesce(func.sum(s.stock.c.qty), 0)).where(
                s.stock.c.sku == sku, s.stock.c.store == store
            )
        ).scalar_one()
    )


def levels(conn: Connection, store: str | None = None) -> dict[tuple[str, str], int]:
    """Quantity per (sku, store), zones summed — comparable to ``sync.fold.stock_by_store``."""
    query = select(s.stock.c.sku, s.stock.c.store, func.sum(s.stock.c.qty)).group_by(
        s.stock.c.sku, s.stock.c.store
    )
    if store is not None:
        query = query.where(s.stock.c.store == store)
    return {(str(a), str(b)): int(q) for a, b, q in conn.execute(query)}
