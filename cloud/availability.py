"""What can still be promised: stock (the fold) minus what placed orders hold back.

An order placed by the cloud holds its lines against its store until the store picks it; the
pick's ``stock.delta`` (emitted by the store) then takes the goods off the shelf, so the two never
count twice. Cancelled or picked orders hold nothing.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from cloud import stock
from cloud.storage import schema as s


def held(conn: Connection, sku: str) -> dict[str, int]:
    """Quantity of ``sku`` held by placed orders, per store."""
    ol, o = s.order_lines, s.orders
    rows = conn.execute(
        select(ol.c.store, func.sum(ol.c.qty))
        .join(o, o.c.order_id == ol.c.order_id)
        .where(ol.c.sku == sku, o.c.state == "placed")
        .group_by(ol.c.store)
    ).all()
    return {str(st): int(q) for st, q in rows}


def by_store(conn: Connection, sku: str) -> dict[str, int]:
    on_hand = stock.availability(conn, sku)
    hold = held(conn, sku)
    return {st: on_hand.get(st, 0) - hold.get(st, 0) for st in set(on_hand) | set(hold)}


def at_store(conn: Connection, sku: str, store: str) -> int:
    return stock.store_qty(conn, sku, store) - held(conn, sku).get(store, 0)
