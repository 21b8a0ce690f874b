"""One keyset-paged query per bootstrap section (``sync.bootstrap.SECTIONS``).

Each function returns up to ``limit`` rows after ``after`` in key order, and the key of the last
one. Rows are plain JSON values; the store's side (``edge.bootstrap.writer``) reads them.

Which customers a store gets (``scope``): ``active`` (default) — those with a sale or a loyalty
entry at this store; ``all`` — every customer (a small retailer, or a store that serves everyone).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select, union

from cloud import customers
from cloud.customer_lookup import UNSTAMPED
from cloud.storage import schema as s
from cloud.storage.sql import loads
from sync.bootstrap import join_key, split_key

Page = tuple[list[dict[str, Any]], str | None]
CUSTOMER_SCOPES = ("active", "all")


def catalog(conn: Connection, _store: str, after: str, limit: int, _scope: str) -> Page:
    c = s.catalog.c
    rows = conn.execute(
        select(c.sku, c.gtin, c.name, c.category, c.attributes)
        .where(c.active.is_(True), c.sku > after)
        .order_by(c.sku)
        .limit(limit)
    ).all()
    out = [
        {
            "sku": r.sku,
            "gtin": r.gtin,
            "name": r.name,
            "category": r.category,
            "attributes": loads(r.attributes),
        }
        for r in rows
    ]
    return out, (rows[-1].sku if rows else None)


def prices(conn: Connection, _store: str, after: str, limit: int, _scope: str) -> Page:
    c = s.price_list_items.c
    list_text, sku = split_key(after)
    list_id = int(list_text or 0)
    rows = conn.execute(
        select(c.price_list_id, c.sku, c.cents)
        .where(or_(c.price_list_id > list_id, and_(c.price_list_id == list_id, c.sku > sku)))
        .order_by(c.price_list_id, c.sku)
        .limit(limit)
    ).all()
    out = [{"l": int(r.price_list_id), "sku": r.sku, "cents": int(r.cents)} for r in rows]
    return out, (join_key(str(rows[-1].price_list_id), rows[-1].sku) if rows else None)


def stock(conn: Connection, store: str, after: str, limit: int, _scope: str) -> Page:
    c = s.stock.c
    sku, zone = split_key(after)
    rows = conn.execute(
        select(c.sku, c.zone, c.qty)
        .where(c.store == store, or_(c.sku > sku, and_(c.sku == sku, c.zone > zone)))
        .order_by(c.sku, c.zone)
        .limit(limit)
    ).all()
    out = [{"sku": r.sku, "zone": r.zone, "qty": int(r.qty)} for r in rows]
    return out, (join_key(rows[-1].sku, rows[-1].zone) if rows else None)


def _active_here(store: str) -> Any:
    return union(
        select(s.sales.c.customer_id).where(s.sales.c.store == store, s.sales.c.customer_id.is_not(None)),
        select(s.loyalty_ledger.c.customer_id).where(s.loyalty_ledger.c.store == store),
    ).subquery()


def customer_count(conn: Connection, store: str, scope: str) -> int:
    c = s.customers.c
    query = select(func.count()).select_from(s.customers).where(c.merged_into.is_(None))
    if scope != "all":
        query = query.where(c.customer_id.in_(select(_active_here(store).c.customer_id)))
    return int(conn.execute(query).scalar_one())


def customers_page(conn: Connection, store: str, after: str, limit: int, scope: str) -> Page:
    c = s.customers.c
    query = select(s.customers).where(c.merged_into.is_(None), c.customer_id > after)
    if scope != "all":
        query = query.where(c.customer_id.in_(select(_active_here(store).c.customer_id)))
    rows = conn.execute(query.order_by(c.customer_id).limit(limit)).mappings().all()
    ids = [str(r["customer_id"]) for r in rows]
    identities: dict[str, list[list[str]]] = defaultdict(list)
    points: dict[str, int] = {}
    if ids:
        ci = s.customer_identities.c
        for kind, value, cid in conn.execute(
            select(ci.kind, ci.value, ci.customer_id)
            .where(ci.customer_id.in_(ids))
            .order_by(ci.kind, ci.value)
        ):
            identities[str(cid)].append([str(kind), str(value)])
        ll = s.loyalty_ledger.c
        points = {
            str(cid): int(total)
            for cid, total in conn.execute(
                select(ll.customer_id, func.sum(ll.points))
                .where(ll.customer_id.in_(ids))
                .group_by(ll.customer_id)
            )
        }
    out = []
    for r in rows:
        cid = str(r["customer_id"])
        stamps = loads(r["field_hlc"]) or {}
        fields = {
            name: bool(r[name]) if name == "consent_marketing" else r[name]
            for name in customers.PROFILE_FIELDS
            if r[name] is not None
        }
        out.append(
            {
                "id": cid,
                "created": r["created_at"],
                "f": fields,
                "h": {name: stamps.get(name) or UNSTAMPED for name in fields},
                "ids": identities.get(cid, []),
                "pts": points.get(cid),
            }
        )
    return out, (ids[-1] if ids else None)


def sales(conn: Connection, store: str, after: str, limit: int, _scope: str) -> Page:
    c = s.sales.c
    heads = conn.execute(
        select(
            c.receipt_id, c.channel, c.customer_id, c.at, c.total_cents, c.points_earned, c.points_redeemed
        )
        .where(c.store == store, c.receipt_id > after)
        .order_by(c.receipt_id)
        .limit(limit)
    ).all()
    ids = [str(h.receipt_id) for h in heads]
    lines: dict[str, list[list[Any]]] = defaultdict(list)
    if ids:
        sl = s.sale_lines.c
        for r in conn.execute(
            select(sl.receipt_id, sl.sku, sl.qty, sl.unit_cents, sl.discount_cents)
            .where(sl.receipt_id.in_(ids))
            .order_by(sl.receipt_id, sl.line_no)
        ):
            lines[str(r.receipt_id)].append([r.sku, int(r.qty), int(r.unit_cents), int(r.discount_cents)])
    out = [
        {
            "id": str(h.receipt_id),
            "ch": h.channel,
            "cu": h.customer_id,
            "at": h.at,
            "t": int(h.total_cents),
            "pe": int(h.points_earned),
            "pr": int(h.points_redeemed),
            "l": lines.get(str(h.receipt_id), []),
        }
        for h in heads
    ]
    return out, (ids[-1] if ids else None)


SectionQuery = Callable[[Connection, str, str, int, str], Page]
QUERIES: dict[str, SectionQuery] = {
    "catalog": catalog,
    "prices": prices,
    "stock": stock,
    "customers": customers_page,
    "sales": sales,
}


def totals(conn: Connection, store: str, scope: str) -> dict[str, int]:
    def count(table: Any, *where: Any) -> int:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    return {
        "catalog": count(s.catalog, s.catalog.c.active.is_(True)),
        "prices": count(s.price_list_items),
        "stock": count(s.stock, s.stock.c.store == store),
        "customers": customer_count(conn, store, scope),
        "sales": count(s.sales, s.sales.c.store == store),
    }
