"""Segments that fill the marketing outbox, consent respected, never twice per trigger and period.

The unique key ``(customer_id, trigger, period)`` is the guarantee: a run that finds a customer
already messaged for that trigger and period inserts nothing. Periods:

* ``not_seen_{N}``      — the customer's last-seen day (one message per absence)
* ``points_unused_{N}`` — the month of the run (points credited more than N days ago, unspent)
* ``points_expiring``   — the month of the run
* ``post_purchase_{N}`` — the day of the purchase followed up
"""

from __future__ import annotations

from dataclasses import dataclass
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
DEFAULT_DAYS = {"not_seen": 90, "points_unused": 90, "points_expiring": 30, "post_purchase": 3}
"""The retailer's defaults: not seen for 90 days, points unused for 90 days, points expiring within
30 days, a follow-up 3 days after a purchase."""
SAMPLE_SIZE = 20


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    email: str
    period: str
    consent: bool


@dataclass(frozen=True)
class Audience:
    """Who a trigger finds before the consent filter; :attr:`reachable` is whom it would message."""

    trigger: str
    key: str
    subject: str
    body: str
    candidates: tuple[Candidate, ...]

    @property
    def reachable(self) -> list[Candidate]:
        return [c for c in self.candidates if c.consent]


def _reachable() -> Any:
    """Customers a message can reach at all (an e-mail, not merged away); consent is read separately."""
    c = s.customers
    return and_(c.c.email.is_not(None), c.c.merged_into.is_(None))


def _candidates(rows: Any, period: Any) -> tuple[Candidate, ...]:
    return tuple(
        Candidate(str(r[0]), str(r[1]), period(r) if callable(period) else str(period), bool(r[2]))
        for r in rows
    )


def _not_seen(conn: Connection, days: int, now: str) -> Audience:
    c = s.customers
    cutoff = to_text(parse(now) - timedelta(days=days))
    rows = conn.execute(
        select(c.c.customer_id, c.c.email, c.c.consent_marketing, c.c.last_seen_at)
        .where(_reachable(), c.c.last_seen_at.is_not(None), c.c.last_seen_at < cutoff)
        .order_by(c.c.customer_id)
    ).all()
    return Audience(
        "not_seen",
        f"not_seen_{days}",
        "We miss you",
        f"It has been more than {days} days since your last visit.",
        _candidates(rows, lambda r: str(r[3])[:10]),
    )


def _unspent_before(conn: Connection, cutoff: str) -> list[str]:
    """Customers holding points credited before ``cutoff`` that no debit has consumed (FIFO)."""
    lg = s.loyalty_ledger
    credits = dict(
        conn.execute(
            select(lg.c.customer_id, func.sum(lg.c.points))
            .where(lg.c.points > 0, lg.c.at < cutoff)
            .group_by(lg.c.customer_id)
        ).all()
    )
    if not credits:
        return []
    debits = dict(
        conn.execute(
            select(lg.c.customer_id, -func.sum(lg.c.points)).where(lg.c.points < 0).group_by(lg.c.customer_id)
        ).all()
    )
    return sorted(
        cid for cid, cr in credits.items() if decisions.expiring_points(int(cr), int(debits.get(cid) or 0))
    )


def _by_ids(conn: Connection, ids: list[str]) -> list[Any]:
    if not ids:
        return []
    c = s.customers
    return list(
        conn.execute(
            select(c.c.customer_id, c.c.email, c.c.consent_marketing)
            .where(_reachable(), c.c.customer_id.in_(ids))
            .order_by(c.c.customer_id)
        ).all()
    )


def _points_unused(conn: Connection, days: int, now: str) -> Audience:
    """Points held for ``days`` and still unspent: judged by the age of the points themselves."""
    held = _unspent_before(conn, to_text(parse(now) - timedelta(days=days)))
    return Audience(
        "points_unused",
        f"points_unused_{days}",
        "Your points are waiting",
        f"You have points you have not used for {days} days.",
        _candidates(_by_ids(conn, held), now[:7]),
    )


def _points_expiring(conn: Connection, within_days: int, now: str) -> Audience:
    """Customers with points that expire within ``within_days`` under the current rules."""
    current = rules.current(conn, now)
    at_risk = _unspent_before(conn, to_text(parse(now) - timedelta(days=current.expiry_days - within_days)))
    return Audience(
        "points_expiring",
        "points_expiring",
        "Your points expire soon",
        f"Some of your points expire within {within_days} days.",
        _candidates(_by_ids(conn, at_risk), now[:7]),
    )


def _post_purchase(conn: Connection, days: int, now: str) -> Audience:
    c, sa = s.customers, s.sales
    day = (parse(now) - timedelta(days=days)).date().isoformat()
    rows = conn.execute(
        select(c.c.customer_id, c.c.email, c.c.consent_marketing)
        .distinct()
        .join(sa, sa.c.customer_id == c.c.customer_id)
        .where(_reachable(), sa.c.day == day)
        .order_by(c.c.customer_id)
    ).all()
    return Audience(
        "post_purchase",
        f"post_purchase_{days}",
        "How was your purchase?",
        "Tell us what you think of what you bought.",
        _candidates(rows, day),
    )


_AUDIENCES = {
    "not_seen": _not_seen,
    "points_unused": _points_unused,
    "points_expiring": _points_expiring,
    "post_purchase": _post_purchase,
}


def audience(conn: Connection, trigger: str, days: int, now: str | None = None) -> Audience:
    if trigger not in _AUDIENCES:
        raise InvalidInput(f"unknown trigger {trigger!r}; known: {', '.join(TRIGGERS)}")
    if days < 1:
        raise InvalidInput("trigger day counts must be positive")
    return _AUDIENCES[trigger](conn, days, now or utc_now_text())


def _messaged(conn: Connection, key: str, candidates: list[Candidate]) -> set[tuple[str, str]]:
    ob = s.marketing_outbox
    ids = sorted({c.customer_id for c in candidates})
    if not ids:
        return set()
    rows = conn.execute(
        select(ob.c.customer_id, ob.c.period).where(ob.c.trigger == key, ob.c.customer_id.in_(ids))
    ).all()
    return {(str(r[0]), str(r[1])) for r in rows}


def preview(
    conn: Connection, trigger: str, days: int, now: str | None = None, sample: int = SAMPLE_SIZE
) -> dict[str, Any]:
    """Whom a run would message now: ``count`` new messages (consent filter applied, customers
    already messaged for this trigger and period left out), a ``sample`` of them, and how many the
    consent filter and the once-per-period rule removed."""
    found = audience(conn, trigger, days, now)
    reachable = found.reachable
    done = _messaged(conn, found.key, reachable)
    fresh = [c for c in reachable if (c.customer_id, c.period) not in done]
    return {
        "trigger": found.key,
        "count": len(fresh),
        "without_consent": len(found.candidates) - len(reachable),
        "already_messaged": len(reachable) - len(fresh),
        "sample": [
            {"customer_id": c.customer_id, "email": c.email, "period": c.period} for c in fresh[:sample]
        ],
        "subject": found.subject,
    }


def enqueue(conn: Connection, found: Audience, now: str) -> int:
    """Queue one message per reachable customer with consent; never twice per trigger and period."""
    added = 0
    for who in found.reachable:
        added += insert_ignore(
            conn,
            s.marketing_outbox,
            {
                "customer_id": who.customer_id,
                "trigger": found.key,
                "period": who.period,
                "recipient": who.email,
                "subject": found.subject,
                "body": found.body,
                "state": "pending",
                "attempts": 0,
                "created_at": now,
            },
            ["customer_id", "trigger", "period"],
        )
    return added


def not_seen(conn: Connection, days: int, now: str) -> int:
    return enqueue(conn, _not_seen(conn, days, now), now)


def points_unused(conn: Connection, days: int, now: str) -> int:
    return enqueue(conn, _points_unused(conn, days, now), now)


def points_expiring(conn: Connection, within_days: int, now: str) -> int:
    return enqueue(conn, _points_expiring(conn, within_days, now), now)


def post_purchase(conn: Connection, days: int, now: str) -> int:
    return enqueue(conn, _post_purchase(conn, days, now), now)


def run(
    conn: Connection,
    *,
    not_seen_days: int = DEFAULT_DAYS["not_seen"],
    unused_days: int = DEFAULT_DAYS["points_unused"],
    expiring_within_days: int = DEFAULT_DAYS["points_expiring"],
    follow_up_days: int = DEFAULT_DAYS["post_purchase"],
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
