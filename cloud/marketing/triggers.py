"""Segments that fill the marketing outbox, consent respected, never twice per trigger and period.

The unique key ``(customer_id, trigger, period)`` is the guarantee: a run that finds a customer
already messaged for that trigger and period inserts nothing. Periods:

* ``not_seen_{N}``      — the customer's last-seen day (one message per absence)
* ``points_unused_{N}`` — the month of the run
* ``points_expiring``   — the month of the run
* ``post_purchase_{N}`` — the day of the purchase followed up
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, and_, func, select

from cloud.errors import InvalidInput
from cloud.loyalty import rules
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from cloud.timefmt import parse, to_text, utc_now_text
from sync import loyalty as decisions

TRIGGERS = ("not_seen", "points_unused", "points_expiring", "post_purchase")


def _eligible() -> Any:
    c = s.customers
    return and_(c.c.consent_marketing.is_(True), c.c.email.is_not(None), c.c.merged_into.is_(None))


def _enqueue(
    conn: Connection,
    trigger: str,
    period: str,
    rows: list[tuple[str, str]],
    *,
    text: tuple[str, str],
    now: str,
) -> int:
    subject, body = text
    added = 0
    for customer_id, email in rows:
        added += insert_ignore(
            conn,
            s.marketing_outbox,
            {
                "customer_id": customer_id,
                "trigger": trigger,
                "period": period,
                "recipient": email,
                "subject": subject,
                "body": body,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
            },
            ["customer_id", "trigger", "period"],
        )
    return added


def not_seen(conn: Connection, days: int, now: str) -> int:
    c = s.customers
    cutoff = to_text(parse(now) - timedelta(days=days))
    found = conn.execute(
        select(c.c.customer_id, c.c.email, c.c.last_seen_at).where(
            _eligible(), c.c.last_seen_at.is_not(None), c.c.last_seen_at < cutoff
        )
    ).all()
    added = 0
    for cid, email, seen in found:
        added += _enqueue(
            conn,
            f"not_seen_{days}",
            str(seen)[:10],
            [(cid, email)],
            text=("We miss you", f"It has been more than {days} days since your last visit."),
            now=now,
        )
    return added


def _balances(conn: Connection) -> Any:
    lg = s.loyalty_ledger
    return (
        select(lg.c.customer_id, func.sum(lg.c.points).label("points")).group_by(lg.c.customer_id).subquery()
    )


def points_unused(conn: Connection, days: int, now: str) -> int:
    c, lg = s.customers, s.loyalty_ledger
    cutoff = to_text(parse(now) - timedelta(days=days))
    bal = _balances(conn)
    recent = select(lg.c.customer_id).where(lg.c.kind == "redeem", lg.c.at >= cutoff)
    rows = conn.execute(
        select(c.c.customer_id, c.c.email, bal.c.points)
        .join(bal, bal.c.customer_id == c.c.customer_id)
        .where(_eligible(), bal.c.points > 0, c.c.customer_id.not_in(recent))
    ).all()
    return _enqueue(
        conn,
        f"points_unused_{days}",
        now[:7],
        [(r[0], r[1]) for r in rows],
        text=("Your points are waiting", f"You have points you have not used for {days} days."),
        now=now,
    )


def points_expiring(conn: Connection, within_days: int, now: str) -> int:
    """Customers with points that expire within ``within_days`` under the current rules."""
    c, lg = s.customers, s.loyalty_ledger
    current = rules.current(conn, now)
    horizon = to_text(parse(now) - timedelta(days=current.expiry_days - within_days))
    credits = dict(
        conn.execute(
            select(lg.c.customer_id, func.sum(lg.c.points))
            .where(lg.c.points > 0, lg.c.at < horizon)
            .group_by(lg.c.customer_id)
        ).all()
    )
    if not credits:
        return 0
    debits = dict(
        conn.execute(
            select(lg.c.customer_id, -func.sum(lg.c.points)).where(lg.c.points < 0).group_by(lg.c.customer_id)
        ).all()
    )
    at_risk = [
        cid for cid, cr in credits.items() if decisions.expiring_points(int(cr), int(debits.get(cid) or 0))
    ]
    if not at_risk:
        return 0
    rows = conn.execute(
        select(c.c.customer_id, c.c.email).where(_eligible(), c.c.customer_id.in_(at_risk))
    ).all()
    return _enqueue(
        conn,
        "points_expiring",
        now[:7],
        [(r[0], r[1]) for r in rows],
        text=("Your points expire soon", f"Some of your points expire within {within_days} days."),
        now=now,
    )


def post_purchase(conn: Connection, days: int, now: str) -> int:
    c, sa = s.customers, s.sales
    day = (parse(now) - timedelta(days=days)).date().isoformat()
    rows = conn.execute(
        select(c.c.customer_id, c.c.email)
        .distinct()
        .join(sa, sa.c.customer_id == c.c.customer_id)
        .where(_eligible(), sa.c.day == day)
    ).all()
    return _enqueue(
        conn,
        f"post_purchase_{days}",
        day,
        [(r[0], r[1]) for r in rows],
        text=("How was your purchase?", "Tell us what you think of what you bought."),
        now=now,
    )


def run(
    conn: Connection,
    *,
    not_seen_days: int = 60,
    unused_days: int = 90,
    expiring_within_days: int = 30,
    follow_up_days: int = 3,
    now: str | None = None,
) -> dict[str, int]:
    """Evaluate every trigger; returns messages added per trigger."""
    if min(not_seen_days, unused_days, expiring_within_days, follow_up_days) < 1:
        raise InvalidInput("trigger day counts must be positive")
    now = now or utc_now_text()
    return {
        "not_seen": not_seen(conn, not_seen_days, now),
        "points_unused": points_unused(conn, unused_days, now),
        "points_expiring": points_expiring(conn, expiring_within_days, now),
        "post_purchase": post_purchase(conn, follow_up_days, now),
    }
