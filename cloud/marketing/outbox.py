"""The outbox seen from head office: consent withdrawals, per-trigger figures, the delivery log.

States: ``pending`` → ``sending`` → ``sent`` | ``failed``; ``cancelled`` when the customer's marketing
consent is gone before delivery (withdrawn, or found missing when the message is claimed). Service
notices (:data:`cloud.marketing.notices.SERVICE_TRIGGERS`: "order ready", receipts) are not marketing and are never cancelled so.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, case, func, select, update

from cloud.marketing.notices import SERVICE_TRIGGERS
from cloud.storage import schema as s

STATES = ("pending", "sending", "sent", "failed", "cancelled")
CONSENT_WITHDRAWN = "consent withdrawn before delivery"


def cancel_for(conn: Connection, customer_id: str, reason: str = CONSENT_WITHDRAWN) -> int:
    """Cancel ``customer_id``'s queued marketing messages; returns how many."""
    ob = s.marketing_outbox
    return int(
        conn.execute(
            update(ob)
            .where(
                ob.c.customer_id == customer_id,
                ob.c.state == "pending",
                ob.c.trigger.not_in(sorted(SERVICE_TRIGGERS)),
            )
            .values(state="cancelled", last_error=reason)
        ).rowcount
    )


def may_deliver(conn: Connection, customer_id: str, trigger: str) -> bool:
    """Consent read again at delivery time: a marketing message goes only to a customer who still
    consents (and was not merged away)."""
    if trigger in SERVICE_TRIGGERS:
        return True
    c = s.customers
    row = conn.execute(
        select(c.c.consent_marketing, c.c.merged_into).where(c.c.customer_id == customer_id)
    ).first()
    return row is not None and bool(row[0]) and row[1] is None


def figures(conn: Connection) -> list[dict[str, Any]]:
    """Per trigger (its key, e.g. ``not_seen_90``): messages queued, and how many are in each state."""
    ob = s.marketing_outbox
    columns = [func.sum(case((ob.c.state == state, 1), else_=0)).label(state) for state in STATES]
    rows = conn.execute(
        select(ob.c.trigger, func.count().label("queued"), *columns)
        .group_by(ob.c.trigger)
        .order_by(ob.c.trigger)
    ).mappings()
    out = []
    for r in rows:
        counts = {state: int(r[state] or 0) for state in STATES}
        counts["pending"] += counts.pop("sending")
        out.append({"trigger": str(r["trigger"]), "queued": int(r["queued"]), **counts})
    return out


def deliveries(
    conn: Connection,
    *,
    trigger: str | None = None,
    state: str | None = None,
    customer_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """The delivery log, newest first: each message with its state, sender and time, or the reason
    it was not sent."""
    ob, sent = s.marketing_outbox, s.marketing_sent
    query = select(
        ob.c.id,
        ob.c.customer_id,
        ob.c.trigger,
        ob.c.period,
        ob.c.recipient,
        ob.c.subject,
        ob.c.state,
        ob.c.attempts,
        ob.c.last_error,
        ob.c.created_at,
        sent.c.sender,
        sent.c.sent_at,
    ).outerjoin(sent, sent.c.outbox_id == ob.c.id)
    if trigger:
        query = query.where(ob.c.trigger == trigger)
    if state:
        query = query.where(ob.c.state == state)
    if customer_id:
        query = query.where(ob.c.customer_id == customer_id)
    rows = conn.execute(query.order_by(ob.c.id.desc()).limit(limit).offset(offset)).mappings()
    return [
        {
            "id": int(r["id"]),
            "customer_id": r["customer_id"],
            "trigger": r["trigger"],
            "period": r["period"],
            "recipient": r["recipient"],
            "subject": r["subject"],
            "state": r["state"],
            "attempts": int(r["attempts"]),
            "reason": r["last_error"],
            "queued_at": r["created_at"],
            "sender": r["sender"],
            "sent_at": r["sent_at"],
        }
        for r in rows
    ]
