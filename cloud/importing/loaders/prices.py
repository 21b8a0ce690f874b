"""prices.csv: effective-dated price lists, one hub price list per (price_list, effective_from).

A list the hub already holds with the same prices is left alone; one whose prices differ is
issued again as a new version (the newest version of an effective date wins, as for the admin
API). The new lists go to every provisioned store as price checkpoints.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from cloud import downlink
from cloud.admin import checkpoints
from cloud.importing import values as v
from cloud.importing.batch import insert_rows
from cloud.importing.context import Context
from cloud.importing.reader import Row
from cloud.importing.tally import FileTally
from cloud.storage import schema as s
from cloud.timefmt import utc_now_text

ListKey = tuple[str, str]  # (name, effective_from)


def load(ctx: Context, rows: Iterable[Row], tally: FileTally) -> None:
    skus = {str(x) for x in ctx.conn.execute(select(s.catalog.c.sku)).scalars()}
    lists: dict[ListKey, dict[str, tuple[int, int]]] = {}
    for row in rows:
        try:
            name = v.text(row.values, "price_list", 200)
            effective = v.moment(row.values.get("effective_from") or "", "effective_from")
            sku = v.text(row.values, "sku", 64)
            cents = v.money(row.values.get("price") or "", "price")
            if sku not in skus:
                raise v.Bad("unknown sku", f"{sku} is neither in products.csv nor at the hub")
            items = lists.setdefault((name, effective), {})
            if sku in items:
                raise v.Bad("duplicate price", f"{sku} already priced in {name} on line {items[sku][1]}")
        except v.Bad as bad:
            tally.reject(row.line, bad.reason, bad.detail, row.raw)
            continue
        items[sku] = (cents, row.line)
    created: set[int] = set()
    for (name, effective), items in lists.items():
        prices = {sku: cents for sku, (cents, _line) in items.items()}
        before = _stored(ctx, name, effective)
        if before == prices:
            tally.unchanged += len(prices)
            continue
        if before is None:
            tally.imported += len(prices)
        else:
            same = sum(1 for sku, cents in prices.items() if before.get(sku) == cents)
            tally.unchanged += same
            tally.updated += len(prices) - same
        version = _create(ctx, name, effective, prices)
        created.add(version)
        tally.notes.append(f"price list {name!r} from {effective}: version {version}")
    if created:
        _push(ctx, created)


def _stored(ctx: Context, name: str, effective: str) -> dict[str, int] | None:
    pl, items = s.price_lists, s.price_list_items
    list_id = ctx.conn.execute(
        select(pl.c.id)
        .where(pl.c.name == name, pl.c.effective_from == effective)
        .order_by(pl.c.version.desc())
        .limit(1)
    ).scalar()
    if list_id is None:
        return None
    rows = ctx.conn.execute(select(items.c.sku, items.c.cents).where(items.c.price_list_id == list_id))
    return {str(sku): int(cents) for sku, cents in rows}


def _create(ctx: Context, name: str, effective: str, prices: dict[str, int]) -> int:
    version = checkpoints.bump(ctx.conn, "price")
    list_id = ctx.conn.execute(
        s.price_lists.insert()
        .values(version=version, name=name, effective_from=effective, created_at=utc_now_text())
        .returning(s.price_lists.c.id)
    ).scalar_one()
    rows = [{"price_list_id": list_id, "sku": sku, "cents": cents} for sku, cents in sorted(prices.items())]
    insert_rows(ctx.conn, s.price_list_items, rows)
    return version


def _push(ctx: Context, versions: set[int]) -> None:
    """Queue every new list (not only the last one) as a price checkpoint for each store."""
    for store in downlink.active_stores(ctx.conn):
        bodies = [b for b in checkpoints.price_bodies(ctx.conn, store) if int(b["version"]) in versions]
        specs = [("price.checkpoint", body) for body in bodies]
        downlink.queue(ctx.conn, store, downlink.new_ops(ctx.conn, ctx.clock, specs))
