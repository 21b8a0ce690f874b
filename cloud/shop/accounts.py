"""Customer accounts for the web shop: one profile, one ledger, whole history across channels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from cloud import customers
from cloud.errors import InvalidInput
from cloud.loyalty import ledger
from cloud.storage import schema as s
from sync.hlc import HybridClock


def register(conn: Connection, clock: HybridClock, fields: dict[str, Any]) -> dict[str, Any]:
    """Create (or find, by any identity given) the customer and set ``fields``; identities that
    belong to different customers merge them into one."""
    given = {k: v for k, v in fields.items() if k in customers.PROFILE_FIELDS and v is not None}
    idents = [(k, str(given[k])) for k in customers.IDENTITY_KINDS if given.get(k)]
    if not idents:
        raise InvalidInput("a customer needs an email, a phone or a loyalty card")
    existing = [c for k, v in idents if (c := customers.find_by_identity(conn, k, v))]
    cid = existing[0] if existing else customers.new_customer_id()
    cid = customers.upsert_fields(conn, cid, given, str(clock.now()))
    return account(conn, cid)


def add_identity(
    conn: Connection, clock: HybridClock, customer_id: str, kind: str, value: str
) -> dict[str, Any]:
    cid = customers.canonical(conn, customer_id)
    customers.profile(conn, cid)
    cid = customers.upsert_fields(conn, cid, {kind: value}, str(clock.now()))
    return account(conn, cid)


def update_profile(
    conn: Connection, clock: HybridClock, customer_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    cid = customers.canonical(conn, customer_id)
    customers.profile(conn, cid)
    cid = customers.upsert_fields(
        conn, cid, {k: v for k, v in fields.items() if v is not None}, str(clock.now())
    )
    return account(conn, cid)


def account(conn: Connection, customer_id: str) -> dict[str, Any]:
    prof = customers.profile(conn, customer_id)
    cid = prof["customer_id"]
    purchases = conn.execute(
        select(s.sales.c.receipt_id, s.sales.c.store, s.sales.c.channel, s.sales.c.at, s.sales.c.total_cents)
        .where(s.sales.c.customer_id == cid)
        .order_by(s.sales.c.at)
    ).mappings()
    order_rows = conn.execute(
        select(
            s.orders.c.order_id, s.orders.c.kind, s.orders.c.store, s.orders.c.state, s.orders.c.total_cents
        )
        .where(s.orders.c.customer_id == cid)
        .order_by(s.orders.c.created_at)
    ).mappings()
    return {
        **prof,
        "points": ledger.balance(conn, cid),
        "ledger": ledger.history(conn, cid),
        "purchases": [dict(r) for r in purchases],
        "orders": [dict(r) for r in order_rows],
    }
