"""Service notices: messages a customer gets because of something they did (not marketing), sent
through the same outbox and senders as the triggers, once each, whatever the marketing consent.

* ``order_ready``: a pickup order (click & collect, reserve in store) was picked by its store.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore

PICKUP_KINDS = frozenset({"click_collect", "reserve_in_store"})


def order_ready(conn: Connection, order: dict[str, Any], at: str) -> bool:
    """Queue "your order is ready" for ``order``'s customer; False when there is nobody to tell
    (no customer, no e-mail) or it was queued already."""
    if order.get("kind") not in PICKUP_KINDS or not order.get("customer_id"):
        return False
    c = s.customers
    email = conn.execute(
        select(c.c.email).where(c.c.customer_id == order["customer_id"], c.c.merged_into.is_(None))
    ).scalar()
    if not email:
        return False
    order_id = str(order["order_id"])
    store = str(order.get("store") or "")
    return bool(
        insert_ignore(
            conn,
            s.marketing_outbox,
            {
                "customer_id": order["customer_id"],
                "trigger": "order_ready",
                "period": order_id[-32:],
                "recipient": email,
                "subject": f"Your order {order_id} is ready",
                "body": (
                    f"Your order {order_id} is ready at store {store}. Show your loyalty card or the "
                    "pickup code (the order number) to collect it."
                ),
                "state": "pending",
                "attempts": 0,
                "created_at": at,
            },
            ["customer_id", "trigger", "period"],
        )
    )
