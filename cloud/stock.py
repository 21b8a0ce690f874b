"""Stock projection per (sku, store, zone), folded with ``sync.fold`` semantics (``cloud.bulk_stock``).

Invariant: ``stock.qty`` = the latest ``stock.count`` by HLC + the sum of ``stock.delta`` whose
HLC is after it (every move is kept in ``stock_moves``, so a late count or a late delta lands in
the same state as in-order delivery). ``oversold`` is set when the quantity after the last count
goes below zero; it is flagged, never clamped. Each count also records the book quantity it
replaced (``stock_counts``) for the stock-accuracy report.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from cloud.storage import schema as s

Key = tuple[str, str, str]


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


def oversold_report(conn: Connection) -> list[dict[str, object]]:
    """Every (store, sku) whose book is below zero — sold beyond what the store held — with its
    zones: flagged, never clamped in the book; offered nowhere (its availability is 0)."""
    st = s.stock
    total = func.sum(st.c.qty)
    rows = conn.execute(
        select(st.c.store, st.c.sku, total)
        .group_by(st.c.store, st.c.sku)
        .having(total < 0)
        .order_by(st.c.store, st.c.sku)
    ).all()
    out: list[dict[str, object]] = []
    for store, sku, qty in rows:
        zones = conn.execute(
            select(st.c.zone, st.c.qty)
            .where(st.c.store == store, st.c.sku == sku, st.c.qty != 0)
            .order_by(st.c.zone)
        ).all()
        out.append(
            {
                "store": str(store),
                "sku": str(sku),
                "on_hand": int(qty),
                "oversold": -int(qty),
                "zones": {str(z): int(q) for z, q in zones},
            }
        )
    return out
