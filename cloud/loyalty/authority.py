"""Loyalty authority services: online authorisation, allowance leasing, expiry, overdraft report.

Each function runs inside the caller's transaction; decisions come from :mod:`decisions`.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select, update

from cloud import customers, downlink
from cloud.errors import Forbidden, InvalidInput, NotFound
from cloud.loyalty import decisions, ledger, rules
from cloud.storage import schema as s
from cloud.timefmt import parse, to_text, utc_now, utc_now_text
from sync.hlc import HybridClock


def _lease_remaining(
    conn: Connection, customer_id: str, store: str | None, exclude_store: bool, now: str
) -> int:
    """Points still held by active, unexpired leases of ``customer_id`` (at ``store`` or elsewhere)."""
    a = s.allowances
    conds = [a.c.customer_id == customer_id, a.c.state == "active", a.c.expires_at > now]
    if store is not None:
        conds.append(a.c.store != store if exclude_store else a.c.store == store)
    leases = conn.execute(select(a.c.lease_id, a.c.points).where(*conds)).all()
    if not leases:
        return 0
    used = dict(
        conn.execute(
            select(s.loyalty_ledger.c.lease_id, func.sum(s.loyalty_ledger.c.points))
            .where(s.loyalty_ledger.c.lease_id.in_([lid for lid, _ in leases]))
            .group_by(s.loyalty_ledger.c.lease_id)
        ).all()
    )
    return sum(max(0, int(points) + int(used.get(lid) or 0)) for lid, points in leases)


def reserved_points(conn: Connection, customer_id: str) -> int:
    """Points held by every active allowance of ``customer_id`` (not spendable online)."""
    return _lease_remaining(conn, customer_id, None, False, utc_now_text())


def authorise(
    conn: Connection,
    clock: HybridClock,
    *,
    store: str,
    customer_id: str,
    points: int,
    entry_id: str | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """Authorise a store redemption online. With ``entry_id``, the redeem entry (the store's own
    id) is written to the ledger on approval, so the store's later uplink of it is a no-op and the
    points cannot be spent twice meanwhile; without it the answer is a decision only and the debit
    arrives with the store's uplink."""
    if entry_id is not None and not entry_id:
        raise InvalidInput("entry_id must not be empty")
    cid = customers.canonical(conn, customer_id)
    if (
        conn.execute(select(s.customers.c.customer_id).where(s.customers.c.customer_id == cid)).first()
        is None
    ):
        raise NotFound(f"unknown customer {customer_id!r}")
    existing = conn.execute(
        select(s.loyalty_ledger.c.points).where(s.loyalty_ledger.c.entry_id == entry_id)
    ).first()
    now = utc_now_text()
    if existing is not None:  # a retried request: same answer, no second debit
        return {
            "approved": True,
            "reason": "already recorded",
            "balance": ledger.balance(conn, cid),
            "customer_id": cid,
            "entry_id": entry_id,
        }
    decision = decisions.authorise_redemption(
        ledger.balance(conn, cid),
        _lease_remaining(conn, cid, store, True, now),
        _lease_remaining(conn, cid, store, False, now),
        points,
    )
    if decision.approved and entry_id:
        ledger.add_entry(
            conn,
            {
                "entry_id": entry_id,
                "customer_id": cid,
                "kind": "redeem",
                "points": -points,
                "ref": "authorised",
                "channel": "store",
                "store": store,
                "at": at or now,
            },
            str(clock.now()),
        )
    return {
        "approved": decision.approved,
        "reason": decision.reason,
        "balance": ledger.balance(conn, cid),
        "customer_id": cid,
        "entry_id": entry_id,
    }


def lease(
    conn: Connection,
    clock: HybridClock,
    *,
    store: str,
    customer_id: str,
    points: int,
    ttl_hours: int,
) -> dict[str, Any]:
    """Lease an offline-redemption allowance to ``store`` and push it down its stream."""
    if points <= 0:
        raise InvalidInput("allowance points must be positive")
    cid = customers.canonical(conn, customer_id)
    now = utc_now_text()
    size = decisions.allowance_size(
        ledger.balance(conn, cid), _lease_remaining(conn, cid, None, False, now), points
    )
    lease_id = "lease-" + uuid.uuid4().hex[:16]
    expires = to_text(utc_now() + timedelta(hours=ttl_hours))
    conn.execute(
        s.allowances.insert().values(
            lease_id=lease_id,
            store=store,
            customer_id=cid,
            points=size,
            expires_at=expires,
            state="active",
            created_at=now,
        )
    )
    body = {"store": store, "customer_id": cid, "points": size, "lease_id": lease_id, "expires_at": expires}
    downlink.queue(conn, store, downlink.new_ops(conn, clock, [("loyalty.allowance", body)]))
    return body


def has_history_at(conn: Connection, store: str, customer_id: str) -> bool:
    """Whether the customer ever earned, redeemed or was served at ``store`` (a ledger entry, a
    sale or an order there): the customers a store may ask an allowance for."""
    cid = customers.canonical(conn, customer_id)
    lg, sales, orders = s.loyalty_ledger, s.sales, s.orders
    for table in (lg, sales, orders):
        found = conn.execute(
            select(table.c.customer_id).where(table.c.customer_id == cid, table.c.store == store).limit(1)
        ).first()
        if found is not None:
            return True
    return False


def lease_for_store(
    conn: Connection,
    clock: HybridClock,
    *,
    store: str,
    customer_id: str,
    points: int,
    ttl_hours: int,
) -> dict[str, Any]:
    """A lease a store asked for itself (store API token or RPC): only for one of its own customers.

    An allowance lets the store spend the customer's points offline and holds them back from every
    other store, so a store's credentials must not lease the points of customers it never served."""
    customers.profile(conn, customer_id)
    if not has_history_at(conn, store, customer_id):
        raise Forbidden(
            f"customer {customer_id!r} has no purchase or loyalty history at store {store!r}; a store "
            "leases allowances only for its own customers (redeem online through loyalty.authorise)"
        )
    return lease(conn, clock, store=store, customer_id=customer_id, points=points, ttl_hours=ttl_hours)


def release_expired(conn: Connection, now: str | None = None) -> int:
    result = conn.execute(
        update(s.allowances)
        .where(and_(s.allowances.c.state == "active", s.allowances.c.expires_at <= (now or utc_now_text())))
        .values(state="expired")
    )
    return int(result.rowcount or 0)


def expire_points(conn: Connection, clock: HybridClock, now: str | None = None) -> dict[str, int]:
    """Write FIFO expiry entries for points older than the rules' ``expiry_days``. Idempotent per
    customer and day (entry id ``expire:{customer}:{day}``)."""
    now = now or utc_now_text()
    current = rules.current(conn, now)
    cutoff = to_text(parse(now) - timedelta(days=current.expiry_days))
    lg = s.loyalty_ledger
    credits = dict(
        conn.execute(
            select(lg.c.customer_id, func.sum(lg.c.points))
            .where(lg.c.points > 0, lg.c.at < cutoff)
            .group_by(lg.c.customer_id)
        ).all()
    )
    if not credits:
        return {"customers": 0, "points": 0}
    debits = dict(
        conn.execute(
            select(lg.c.customer_id, -func.sum(lg.c.points))
            .where(lg.c.points < 0, lg.c.customer_id.in_(list(credits)))
            .group_by(lg.c.customer_id)
        ).all()
    )
    count = total = 0
    for cid, credit in credits.items():
        amount = decisions.expiring_points(int(credit), int(debits.get(cid) or 0))
        if amount <= 0:
            continue
        body = {
            "entry_id": f"expire:{cid}:{now[:10]}",
            "customer_id": cid,
            "kind": "expire",
            "points": -amount,
            "ref": f"older than {cutoff}",
            "channel": None,
            "store": None,
            "at": now,
        }
        if ledger.add_entry(conn, body, str(clock.now())):
            count += 1
            total += amount
    return {"customers": count, "points": total}


def lease_for_regulars(
    conn: Connection,
    clock: HybridClock,
    *,
    store: str,
    points: int,
    ttl_hours: int,
    days: int = 90,
    limit: int = 500,
) -> int:
    """Lease allowances to ``store`` for its regular customers (most visit days in the last
    ``days``) that hold no active lease there, so they can redeem while the store is offline.
    Returns the number of leases written."""
    since = to_text(utc_now() - timedelta(days=days))[:10]
    now = utc_now_text()
    leased = select(s.allowances.c.customer_id).where(
        s.allowances.c.store == store, s.allowances.c.state == "active", s.allowances.c.expires_at > now
    )
    regulars = (
        conn.execute(
            select(s.sales.c.customer_id)
            .where(
                s.sales.c.store == store,
                s.sales.c.day >= since,
                s.sales.c.customer_id.is_not(None),
                s.sales.c.customer_id.not_in(leased),
            )
            .group_by(s.sales.c.customer_id)
            .order_by(func.count(func.distinct(s.sales.c.day)).desc(), s.sales.c.customer_id)
            .limit(limit)
        )
        .scalars()
        .all()
    )
    count = 0
    for cid in regulars:
        if ledger.balance(conn, str(cid)) > 0:
            lease(conn, clock, store=store, customer_id=str(cid), points=points, ttl_hours=ttl_hours)
            count += 1
    return count
