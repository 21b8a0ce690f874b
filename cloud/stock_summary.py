"""Other stores' availability pushed to stores (``stock.summary``), for "available at store X".

One op per source store, queued to each target store, carrying the source's available quantity
per sku (stock minus what placed orders hold). Cost is sources × targets ops per push, so a large
fleet pushes per region (pass the stores of a region as both lists) rather than all to all.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import Connection, func, select

from cloud import downlink
from cloud.storage import schema as s
from sync.hlc import HybridClock


def available(conn: Connection, stores: list[str]) -> dict[str, list[dict[str, int | str]]]:
    """Available quantity per sku for each of ``stores`` (positive quantities only)."""
    on_hand: dict[tuple[str, str], int] = defaultdict(int)
    for store, sku, qty in conn.execute(
        select(s.stock.c.store, s.stock.c.sku, func.sum(s.stock.c.qty))
        .where(s.stock.c.store.in_(stores))
        .group_by(s.stock.c.store, s.stock.c.sku)
    ):
        on_hand[(str(store), str(sku))] += int(qty)
    for store, sku, qty in conn.execute(
        select(s.order_lines.c.store, s.order_lines.c.sku, func.sum(s.order_lines.c.qty))
        .join(s.orders, s.orders.c.order_id == s.order_lines.c.order_id)
        .where(s.orders.c.state == "placed", s.order_lines.c.store.in_(stores))
        .group_by(s.order_lines.c.store, s.order_lines.c.sku)
    ):
        on_hand[(str(store), str(sku))] -= int(qty)
    out: dict[str, list[dict[str, int | str]]] = {st: [] for st in stores}
    for (store, sku), qty in sorted(on_hand.items()):
        if qty > 0:
            out[store].append({"sku": sku, "qty": qty})
    return out


def push(
    conn: Connection, clock: HybridClock, sources: list[str] | None = None, targets: list[str] | None = None
) -> int:
    """Queue each source store's summary to every other target store; returns ops queued."""
    active = downlink.active_stores(conn)
    sources = sources or active
    targets = [t for t in (targets or active) if t in active]
    items = available(conn, sources)
    queued = 0
    for target in targets:
        specs = [("stock.summary", {"store": src, "items": items[src]}) for src in sources if src != target]
        downlink.queue(conn, target, downlink.new_ops(conn, clock, specs))
        queued += len(specs)
    return queued
