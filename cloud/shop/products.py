"""Products as the web shop shows them: online price and live availability per store, each figure
with ``as_of`` (when it last changed at that store) and its ``age_s``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from cloud import availability, stock_summary
from cloud.admin import catalog, pricing
from cloud.errors import NotFound
from cloud.timefmt import age_s


def product(conn: Connection, sku: str, store: str | None = None) -> dict[str, Any]:
    item = catalog.get(conn, sku)
    if not item["active"]:
        raise NotFound(f"unknown sku {sku!r}")
    try:
        price: int | None = pricing.price_at(conn, sku, store)
    except NotFound:
        price = None
    per_store = {
        st: items[sku] for st, items in stock_summary.figures(conn, None, [sku]).items() if sku in items
    }
    return {
        **item,
        "price_cents": price,
        "availability": [
            {"store": st, "qty": max(0, q), "as_of": at or None, "age_s": age_s(at) if at else None}
            for st, (q, at) in sorted(per_store.items())
        ],
    }


def where_available(
    conn: Connection, sku: str, qty: int = 1, exclude: str | None = None
) -> list[dict[str, Any]]:
    """Stores holding at least ``qty`` of ``sku``, most stock first ("not here → which store has it")."""
    catalog.get(conn, sku)
    rows = [(st, q) for st, q in availability.by_store(conn, sku).items() if q >= qty and st != exclude]
    return [{"store": st, "qty": q} for st, q in sorted(rows, key=lambda r: (-r[1], r[0]))]
