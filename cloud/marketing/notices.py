"""Service notices: messages a customer gets because of something they did (not marketing), sent
through the same outbox and senders as the triggers, once each, whatever the marketing consent.

* ``order_ready``: a pickup order (click & collect, reserve in store) was picked by its store
  (e-mail, or SMS when the hub has only the customer's phone).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore

PICKUP_KINDS = frozenset({"click_collect", "reserve_in_store"})


def order_ready(conn: Connection, order: dict[str, Any], at: str) -> bool:
    """Queue "your order is ready" for ``order``'s customer: by e-mail when the hub has their
    address, else by SMS to their phone (E.164); False when there is nobody to tell (no customer, no
    e-mail nor phone) or it was queued already."""
    if order.get("kind") not in PICKUP_KINDS or not order.get("customer_id"):
        return False
    c = s.customers
    found = conn.execute(
        select(c.c.email, c.c.phone).where(c.c.customer_id == order["customer_id"], c.c.merged_into.is_(None))
    ).first()
    if found is None:
        return False
    email, phone = found
    recipient = email or (phone if phone and str(phone).startswith("+") else None)
    if not recipient:
        return False
    order_id = str(order["order_id"])
    store = str(order.get("store") or "")
    body = (
        f"Your order {order_id} is ready at store {store}. Show your loyalty card or the "
        "pickup code (the order number) to collect it."
        if email
        else f"Vitrine: your order {order_id} is ready at store {store}. Show the pickup code {order_id}."
    )
    return bool(
        insert_ignore(
            conn,
            s.marketing_outbox,
            {
                "customer_id": order["customer_id"],
                "trigger": "order_ready",
                "period": order_id[-32:],
                "recipient": recipient,
                "subject": f"Your order {order_id} is ready",
                "body": body,
                "state": "pending",
                "attempts": 0,
                "created_at": at,
            },
            ["customer_id", "trigger", "period"],
        )
    )
