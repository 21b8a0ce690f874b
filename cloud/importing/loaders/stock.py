"""stock.csv (optional): opening stock per store, for cells the hub has no stock history of.

Each quantity becomes a ``stock.delta`` (reason ``adjustment``, ref ``import:opening``) emitted
by the hub: folded into the hub's stock like any move (a delta, not a count, so it does not
enter the stock-accuracy report) and queued for the store when it is provisioned. A cell that
already has moves is left to the store's own counts: a different quantity there is rejected.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from cloud import projections
from cloud.importing import values as v
from cloud.importing.context import Context
from cloud.importing.loaders.stores import known_stores
from cloud.importing.reader import Row
from cloud.importing.tally import FileTally
from cloud.storage import schema as s
from sync import zones

REF = "import:opening"
MAX_QTY = 10**9


def _unlocated(held: dict[tuple[str, str, str], int], sku: str, store: str) -> str:
    """No zone given: the ``unlocated`` zone a count reconciles; zone "" where an earlier import
    (before that default) already holds this stock, so a re-run does not book it twice."""
    return "" if (sku, store, "") in held else zones.UNLOCATED


def load(ctx: Context, rows: Iterable[Row], tally: FileTally) -> None:
    stores = known_stores(ctx)
    skus = {str(x) for x in ctx.conn.execute(select(s.catalog.c.sku)).scalars()}
    st = s.stock
    held = {
        (str(k), str(st_), str(z)): int(q)
        for k, st_, z, q in ctx.conn.execute(select(st.c.sku, st.c.store, st.c.zone, st.c.qty))
    }
    seen: dict[tuple[str, str, str], int] = {}
    moves: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for row in rows:
        try:
            store = v.text(row.values, "store", 64)
            if store not in stores:
                raise v.Bad("unknown store", f"{store} is neither in stores.csv nor at the hub")
            sku = v.text(row.values, "sku", 64)
            if sku not in skus:
                raise v.Bad("unknown sku", f"{sku} is neither in products.csv nor at the hub")
            zone = v.text(row.values, "zone", 64, required=False) or _unlocated(held, sku, store)
            qty = v.decimal(row.values.get("quantity") or "", "quantity")
            if qty < 0 or qty != qty.to_integral_value() or qty > MAX_QTY:
                raise v.Bad("bad quantity", f"{qty}: opening stock is a whole number of units, 0 or more")
            key = (sku, store, zone)
            if key in seen:
                raise v.Bad("duplicate stock", f"{sku} at {store} already on line {seen[key]}")
            if key in held and held[key] != int(qty):
                raise v.Bad(
                    "stock already tracked",
                    f"the hub holds {held[key]} of {sku} at {store}; correct it by a count at the store",
                )
        except v.Bad as bad:
            tally.reject(row.line, bad.reason, bad.detail, row.raw)
            continue
        seen[key] = row.line
        if key in held:
            tally.unchanged += 1
            continue
        tally.imported += 1
        body = {"sku": sku, "store": store, "zone": zone, "qty": int(qty), "reason": "adjustment", "ref": REF}
        moves[store].append(("stock.delta", body))
    for store, specs in moves.items():
        for start in range(0, len(specs), ctx.batch):
            projections.emit(ctx.conn, ctx.clock, specs[start : start + ctx.batch], store=store)
