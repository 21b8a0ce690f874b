"""Service notices: messages a customer gets because of something they did (not marketing), sent
through the same outbox and senders as the triggers, once each, whatever the marketing consent.

* ``order_ready``: a pickup order (click & collect, reserve in store) was picked by its store
  (e-mail, or SMS when the hub has only the customer's phone).
* ``receipt``: a store sale's receipt, which the customer asked for by e-mail at the till (the
  store's ``receipt.email`` op); once per receipt.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore

PICKUP_KINDS = frozenset({"click_collect", "reserve_in_store"})
SERVICE_TRIGGERS = frozenset({"order_ready", "receipt"})
"""The outbox triggers of service notices: sent whatever the marketing consent."""


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


def _euros(cents: int) -> str:
    return f"{cents / 100:.2f} EUR"


def receipt_email(conn: Connection, body: dict[str, Any], at: str) -> bool:
    """Queue the receipt a store's customer asked for by e-mail; False when queued already."""
    receipt_id = str(body["receipt_id"])
    email = str(body["email"]).strip()
    if not email or "@" not in email:
        raise ValueError(f"receipt.email {receipt_id}: no e-mail address")
    lines = [
        f"{int(x['qty'])} x {x.get('name') or x['sku']}  {_euros(int(x['line_cents']))}"
        for x in body["lines"]
    ]
    sums = [f"Total {_euros(int(body['total_cents']))}", f"Paid {_euros(int(body['paid_cents']))}"]
    if int(body.get("points_redeemed") or 0):
        sums.append(f"Points redeemed {int(body['points_redeemed'])}")
    if int(body.get("points_earned") or 0):
        sums.append(f"Points earned {int(body['points_earned'])}")
    text = "\n".join(
        [f"Receipt {receipt_id}, store {body['store']}, {body['at']}", "", *lines, "", *sums, "",
         "Keep this e-mail: the receipt number is what a return needs."]
    )  # fmt: skip
    return bool(
        insert_ignore(
            conn,
            s.marketing_outbox,
            {
                "customer_id": str(body.get("customer_id") or f"receipt@{body['store']}")[:64],
                "trigger": "receipt",
                "period": receipt_id[-32:],
                "recipient": email[:254],
                "subject": f"Your receipt {receipt_id}",
                "body": text,
                "state": "pending",
                "attempts": 0,
                "created_at": at,
            },
            ["customer_id", "trigger", "period"],
        )
    )
