"""Products as the web shop shows them: online price and live availability per store, each figure
with ``as_of`` (when it last changed at that store) and its ``age_s``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from cloud import stock_summary
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
    return {
        **item,
        "price_cents": price,
        "availability": [_figure(st, max(0, q), at) for st, (q, at) in sorted(_per_store(conn, sku).items())],
    }


def where_available(
    conn: Connection, sku: str, qty: int = 1, exclude: str | None = None
) -> list[dict[str, Any]]:
    """Stores holding at least ``qty`` of ``sku``, most stock first ("not here → which store has it")."""
    catalog.get(conn, sku)
    rows = [(st, q, at) for st, (q, at) in _per_store(conn, sku).items() if q >= qty and st != exclude]
    return [_figure(st, q, at) for st, q, at in sorted(rows, key=lambda r: (-r[1], r[0]))]


def _per_store(conn: Connection, sku: str) -> dict[str, tuple[int, str]]:
    """Available quantity of ``sku`` per store (stock minus held by orders) with its as-of time."""
    return {st: items[sku] for st, items in stock_summary.figures(conn, None, [sku]).items() if sku in items}


def _figure(store: str, qty: int, as_of: str) -> dict[str, Any]:
    return {"store": store, "qty": qty, "as_of": as_of or None, "age_s": age_s(as_of) if as_of else None}
