"""Head office's view of customers: search by name, card, e-mail or phone, and the 360 view of one
customer (identities, consent with its proof, the loyalty ledger, sales, orders, returns and
reservations from every channel), read after merges (always through the canonical id)."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from sqlalchemy import Connection, func, or_, select, union

from cloud import customers, reservations
from cloud.errors import InvalidInput
from cloud.loyalty import ledger
from cloud.storage import schema as s
from cloud.storage.sql import loads

MAX_QUERY = 100
MAX_RESULTS = 50
_PHONE_LIKE = re.compile(r"^\+?[\d\s().-]{6,}$")


def search(conn: Connection, query: str, limit: int = MAX_RESULTS) -> list[dict[str, Any]]:
    """Customers whose name contains ``query`` (any case), or whose card, e-mail or phone is
    ``query`` (the phone normalised as stored, E.164 via :mod:`sync.phone`, so "06 12 34 56 78" finds
    "+33612345678"), or whose id is ``query``. Merged-away profiles are never listed."""
    text = query.strip()
    if not 2 <= len(text) <= MAX_QUERY:
        raise InvalidInput(f"search with 2-{MAX_QUERY} characters: a name, a card, an e-mail or a phone")
    c, i = s.customers, s.customer_identities
    wanted = [("card", text), ("email", text.lower())]
    if _PHONE_LIKE.match(text):
        with contextlib.suppress(InvalidInput):  # stored phones are in this form (E.164 when possible)
            wanted.append(("phone", customers.normalise_identity("phone", text)))
    by_identity = select(i.c.customer_id).where(
        or_(*[(i.c.kind == kind) & (i.c.value == value) for kind, value in wanted])
    )
    by_name = (
        select(c.c.customer_id)
        .where(func.lower(c.c.name).contains(text.lower(), autoescape=True))
        .order_by(c.c.name, c.c.customer_id)
        .limit(limit * 4)
    )
    ids = {str(v) for v in conn.execute(by_identity).scalars()} | {text}
    ids |= {str(v) for v in conn.execute(by_name).scalars()}
    survivors = select(func.coalesce(c.c.merged_into, c.c.customer_id)).where(
        c.c.customer_id.in_(sorted(ids))
    )
    canonical = sorted({str(v) for v in conn.execute(survivors).scalars()})
    rows = conn.execute(
        select(c.c.customer_id, c.c.name, c.c.email, c.c.phone, c.c.card, c.c.last_seen_at)
        .where(c.c.customer_id.in_(canonical), c.c.merged_into.is_(None))
        .order_by(c.c.name, c.c.customer_id)
        .limit(limit)
    ).mappings()
    return [dict(r) for r in rows]


def view(conn: Connection, customer_id: str) -> dict[str, Any]:
    """Everything the hub knows about one customer, across channels. Raises NotFound."""
    prof = customers.profile(conn, customer_id)
    cid = prof["customer_id"]
    ids = [cid, *prof["merged_ids"]]
    sales = _sales(conn, cid)
    orders = _orders(conn, cid)
    history = ledger.history(conn, cid)
    return {
        **prof,
        "stores": _stores(conn, ids),
        "channels": sorted({str(r["channel"]) for r in sales} | {str(o["channel"]) for o in orders}),
        "consent": {
            "marketing": prof["consent_marketing"],
            "proofs": _consent_proofs(conn, cid),
            "imported": _imported_consents(conn, ids),
        },
        "points": ledger.balance(conn, cid),
        "ledger": history,
        "points_by_channel": _points_by_channel(history),
        "sales": sales,
        "orders": orders,
        "returns": _returns(conn, cid),
        "reservations": reservations.of_customer(conn, cid),
    }


def _stores(conn: Connection, ids: list[str]) -> list[str]:
    """Stores holding the customer under this id or a merged one (kept per id: ``customer_relay``)."""
    cs = s.customer_stores
    found = conn.execute(select(cs.c.store).where(cs.c.customer_id.in_(ids)).distinct()).scalars()
    return sorted(str(v) for v in found)


def _consent_proofs(conn: Connection, cid: str) -> list[dict[str, Any]]:
    cp = s.consent_proofs
    rows = conn.execute(
        select(cp.c.granted, cp.c.at, cp.c.channel, cp.c.wording_version)
        .where(cp.c.customer_id == cid)
        .order_by(cp.c.id.desc())
    ).mappings()
    return [{**r, "granted": bool(r["granted"])} for r in rows]


def _imported_consents(conn: Connection, ids: list[str]) -> list[dict[str, Any]]:
    cc = s.customer_consents
    rows = conn.execute(
        select(cc.c.purpose, cc.c.granted, cc.c.at, cc.c.channel, cc.c.wording_version)
        .where(cc.c.customer_id.in_(ids))
        .order_by(cc.c.at.desc())
    ).mappings()
    return [{**r, "granted": bool(r["granted"])} for r in rows]


def _points_by_channel(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    totals: dict[tuple[str, str], int] = {}
    for entry in history:
        key = (str(entry["channel"] or ""), str(entry["store"] or ""))
        totals[key] = totals.get(key, 0) + int(entry["points"])
    return [{"channel": ch, "store": st, "points": p} for (ch, st), p in sorted(totals.items())]


def _sales(conn: Connection, cid: str) -> list[dict[str, Any]]:
    sa = s.sales
    rows = conn.execute(
        select(
            sa.c.receipt_id,
            sa.c.store,
            sa.c.channel,
            sa.c.at,
            sa.c.total_cents,
            sa.c.item_count,
            sa.c.points_earned,
            sa.c.points_redeemed,
        )
        .where(sa.c.customer_id == cid)
        .order_by(sa.c.at.desc())
    ).mappings()
    sales = [dict(r) for r in rows]
    # an online order's points are earned at collection, in the ledger, not on its sale row
    earned_on_collection = {
        str(entry_id): int(points)
        for entry_id, points in conn.execute(
            select(s.loyalty_ledger.c.entry_id, s.loyalty_ledger.c.points).where(
                s.loyalty_ledger.c.entry_id.in_([f"order:{r['receipt_id']}:earn" for r in sales])
            )
        )
    }
    for sale in sales:
        sale["points_earned"] = int(sale["points_earned"] or 0) + earned_on_collection.get(
            f"order:{sale['receipt_id']}:earn", 0
        )
    return sales


def _orders(conn: Connection, cid: str) -> list[dict[str, Any]]:
    o = s.orders
    rows = conn.execute(
        select(
            o.c.order_id,
            o.c.kind,
            o.c.channel,
            o.c.store,
            o.c.state,
            o.c.total_cents,
            o.c.lines,
            o.c.created_at,
            o.c.updated_at,
        )
        .where(o.c.customer_id == cid)
        .order_by(o.c.created_at.desc())
    ).mappings()
    return [{**r, "lines": loads(r["lines"]) or []} for r in rows]


def _returns(conn: Connection, cid: str) -> list[dict[str, Any]]:
    """Returns against the customer's receipts or orders, wherever they were taken."""
    rt, sa, o = s.returns, s.sales, s.orders
    theirs = union(
        select(sa.c.receipt_id.label("rid")).where(sa.c.customer_id == cid),
        select(o.c.order_id.label("rid")).where(o.c.customer_id == cid),
    ).subquery()
    rows = conn.execute(
        select(
            rt.c.return_id,
            rt.c.receipt_id,
            rt.c.store,
            rt.c.channel,
            rt.c.at,
            rt.c.refund_cents,
            rt.c.item_count,
            rt.c.points_reversed,
        )
        .where(rt.c.receipt_id.in_(select(theirs.c.rid)))
        .order_by(rt.c.at.desc())
    ).mappings()
    return [dict(r) for r in rows]
