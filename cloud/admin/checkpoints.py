"""Cloud-authoritative checkpoints (catalog, price, loyalty rules) and their push to stores.

Each change bumps the kind's version and queues a full checkpoint on every active store's
downlink in the same transaction as the change; a store applies a checkpoint atomically and
switches at its ``effective_from`` even while offline. Promotions are sent only to the store they
name (or to all when they name none).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, or_, select, update

from cloud import downlink
from cloud.loyalty import rules
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from sync.hlc import HybridClock


def bump(conn: Connection, kind: str) -> int:
    insert_ignore(conn, s.checkpoint_versions, {"kind": kind, "version": 0}, ["kind"])
    conn.execute(
        update(s.checkpoint_versions)
        .where(s.checkpoint_versions.c.kind == kind)
        .values(version=s.checkpoint_versions.c.version + 1)
    )
    return int(
        conn.execute(
            select(s.checkpoint_versions.c.version).where(s.checkpoint_versions.c.kind == kind)
        ).scalar_one()
    )


def version(conn: Connection, kind: str) -> int:
    found = conn.execute(
        select(s.checkpoint_versions.c.version).where(s.checkpoint_versions.c.kind == kind)
    ).scalar()
    return int(found or 0)


def catalog_body(conn: Connection) -> dict[str, Any]:
    rows = conn.execute(
        select(s.catalog).where(s.catalog.c.active.is_(True)).order_by(s.catalog.c.sku)
    ).mappings()
    items = [
        {
            "sku": r["sku"],
            "gtin": r["gtin"],
            "name": r["name"],
            "category": r["category"],
            "attributes": json.loads(r["attributes"]),
        }
        for r in rows
    ]
    return {"version": version(conn, "catalog"), "items": items}


def price_bodies(conn: Connection, store: str) -> list[dict[str, Any]]:
    """One checkpoint per price list in creation order, each with the store's promotions. The last
    one carries the current price checkpoint version, so a promotion added after the last list is
    a newer checkpoint than anything the store holds (stores ignore versions they already have)."""
    lists = conn.execute(select(s.price_lists).order_by(s.price_lists.c.version)).mappings().all()
    promos = (
        conn.execute(
            select(s.promotions).where(or_(s.promotions.c.store.is_(None), s.promotions.c.store == store))
        )
        .mappings()
        .all()
    )
    promo_list = [
        {
            "promo_id": p["promo_id"],
            "sku": p["sku"],
            "store": p["store"],
            "kind": p["kind"],
            "value": p["value"],
            "starts": p["starts"],
            "ends": p["ends"],
        }
        for p in promos
    ]
    out = []
    for pl in lists:
        items = conn.execute(
            select(s.price_list_items.c.sku, s.price_list_items.c.cents)
            .where(s.price_list_items.c.price_list_id == pl["id"])
            .order_by(s.price_list_items.c.sku)
        ).all()
        out.append(
            {
                "version": int(pl["version"]),
                "effective_from": pl["effective_from"],
                "prices": [{"sku": sku, "cents": int(c)} for sku, c in items],
                "promotions": promo_list,
            }
        )
    if out:
        out[-1]["version"] = max(int(out[-1]["version"]), version(conn, "price"))
    return out


def rules_bodies(conn: Connection) -> list[dict[str, Any]]:
    versions = conn.execute(
        select(s.loyalty_rules.c.effective_from).order_by(s.loyalty_rules.c.version)
    ).scalars()
    return [rules.current(conn, str(v)).to_body() for v in versions]


def push_catalog(conn: Connection, clock: HybridClock) -> None:
    downlink.broadcast(conn, downlink.new_ops(conn, clock, [("catalog.checkpoint", catalog_body(conn))]))


def push_prices(conn: Connection, clock: HybridClock, stores: list[str] | None = None) -> None:
    """Queue the latest price checkpoint (with each store's promotions) for ``stores`` (all by default)."""
    for store in downlink.active_stores(conn) if stores is None else stores:
        bodies = price_bodies(conn, store)
        if bodies:
            downlink.queue(conn, store, downlink.new_ops(conn, clock, [("price.checkpoint", bodies[-1])]))


def push_rules(conn: Connection, clock: HybridClock) -> None:
    bodies = rules_bodies(conn)
    if bodies:
        downlink.broadcast(conn, downlink.new_ops(conn, clock, [("loyalty.rules", bodies[-1])]))


def send_all_to(conn: Connection, clock: HybridClock, store: str) -> None:
    """Everything a newly provisioned store needs: the catalog, every price list, every rule set."""
    specs: list[tuple[str, dict[str, Any]]] = [("catalog.checkpoint", catalog_body(conn))]
    specs += [("price.checkpoint", body) for body in price_bodies(conn, store)]
    specs += [("loyalty.rules", body) for body in rules_bodies(conn)]
    downlink.queue(conn, store, downlink.new_ops(conn, clock, specs))
