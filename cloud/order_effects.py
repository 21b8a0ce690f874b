"""What the hub does when an order moves or an order's goods come back.

* picked (a pickup order): the customer is told it is ready (``cloud.marketing.notices``).
* collected / shipped: the customer earns points on the order total with the channel's
  multiplier (entry ``order:{id}:earn``), relayed to the fulfilling store.
* cancelled: the availability the order held is released (a warehouse order's goods go back
  with a ``stock.delta``), the sale leaves the reports, points redeemed on the order are given
  back (entry ``order:{id}:refund-points``).
* reinstated (the store picked it before the shop's cancel reached it, :mod:`cloud.orders`): the
  sale is back in the reports, the points given back at the cancel are redeemed again (entry
  ``order:{id}:reinstated-points``, relayed to the store), and the customer is told it is ready.
* a return against an order (at any store, or online): earned points are reversed in proportion
  to the refund (entry ``reverse:{return_id}``), relayed to the returning store, and the order is
  marked ``returned``. A return the hub reserved (``cloud.returnable``) was reversed then; the
  entry id makes this a no-op, and reversals never exceed the points the order earned.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, insert, select

from cloud import downlink, orders, projections, sales
from cloud.loyalty import rules
from cloud.marketing import notices
from cloud.storage import schema as s
from cloud.timefmt import normalise, utc_now_text
from sync.hlc import HybridClock
from sync.ops import Op


def record_placed(conn: Connection, op: Op) -> None:
    """Project an ``order.placed`` op (normally the service inserted the row already)."""
    body = op.body
    if orders.find(conn, str(body["order_id"])) is not None:
        return
    at = normalise(str(body.get("at") or utc_now_text()))
    lines = list(body.get("lines") or [])
    if body.get("store") and lines:
        conn.execute(
            insert(s.order_lines),
            [
                {
                    "order_id": str(body["order_id"]),
                    "line_no": i,
                    "sku": str(line["sku"]),
                    "store": str(body["store"]),
                    "qty": int(line["qty"]),
                }
                for i, line in enumerate(lines)
            ],
        )
    conn.execute(
        insert(s.orders).values(
            order_id=str(body["order_id"]),
            kind=str(body["kind"]),
            customer_id=body.get("customer_id"),
            store=body.get("store"),
            channel=str(body.get("channel") or orders.KIND_CHANNEL[str(body["kind"])]),
            state="placed",
            lines=json.dumps(body.get("lines") or []),
            total_cents=int(body.get("total_cents") or 0),
            points_redeemed=0,
            address=None,
            created_at=at,
            updated_at=at,
            state_hlc=op.hlc,
        )
    )


def _is_store(conn: Connection, store: str) -> bool:
    return store in downlink.active_stores(conn)


def _entry_points(conn: Connection, entry_id: str) -> int:
    found = conn.execute(
        select(s.loyalty_ledger.c.points).where(s.loyalty_ledger.c.entry_id == entry_id)
    ).scalar()
    return int(found or 0)


def earn_for_order(conn: Connection, clock: HybridClock, order: dict[str, Any], at: str) -> int:
    if not order["customer_id"]:
        return 0
    entry_id = f"order:{order['order_id']}:earn"
    if _entry_points(conn, entry_id):
        return 0
    points = rules.current(conn, at).points_for(int(order["total_cents"]), str(order["channel"]))
    if points <= 0:
        return 0
    body = {
        "entry_id": entry_id,
        "customer_id": order["customer_id"],
        "kind": "earn",
        "points": points,
        "ref": order["order_id"],
        "channel": order["channel"],
        "store": order["store"],
        "at": at,
    }
    projections.emit(conn, clock, [("loyalty.entry", body)], store=order["store"])
    return points


def after_transition(
    conn: Connection, clock: HybridClock, order: dict[str, Any], target: str, at: str
) -> None:
    if target in ("collected", "shipped"):
        earn_for_order(conn, clock, order, at)
    elif target == "picked":
        notices.order_ready(conn, order, at)
    elif target == "cancelled":
        # Stock: a placed order only held availability (released now); a picked one is put back by
        # the store's own +qty delta; a warehouse order's goods go back here.
        specs: list[tuple[str, dict[str, Any]]] = []
        if order["store"] and not _is_store(conn, order["store"]) and order["state"] == "placed":
            specs += [
                (
                    "stock.delta",
                    {
                        "sku": line["sku"],
                        "store": order["store"],
                        "zone": "",
                        "qty": int(line["qty"]),
                        "reason": "order",
                        "ref": f"{order['order_id']}:cancel",
                    },
                )
                for line in order["lines"]
            ]
        if order["customer_id"] and int(order["points_redeemed"]) > 0:
            # a reinstated order (cloud cancel, then its store's pick won) redeemed them again:
            # its store's own cancel gives them back once more
            again = ":again" if _entry_points(conn, f"order:{order['order_id']}:reinstated-points") else ""
            specs.append(
                (
                    "loyalty.entry",
                    {
                        "entry_id": f"order:{order['order_id']}:refund-points{again}",
                        "customer_id": order["customer_id"],
                        "kind": "adjust",
                        "points": int(order["points_redeemed"]),
                        "ref": order["order_id"],
                        "channel": order["channel"],
                        "store": order["store"],
                        "at": at,
                    },
                )
            )
        sales.remove_sale(conn, order["order_id"])
        projections.emit(conn, clock, specs, store=order["store"])


def after_reinstate(conn: Connection, clock: HybridClock, order: dict[str, Any], at: str) -> None:
    """Undo what the cloud's cancel did (see :func:`after_transition`), the order being picked."""
    specs: list[tuple[str, dict[str, Any]]] = [
        (
            "sale.recorded",
            {
                "receipt_id": order["order_id"],
                "store": order["store"],
                "channel": order["channel"],
                "customer_id": order["customer_id"],
                "payment_ref": order["order_id"],
                "at": order["created_at"],
                "lines": [{**line, "discount_cents": 0} for line in order["lines"]],
                "total_cents": int(order["total_cents"]),
                "points_earned": 0,
                "points_redeemed": int(order["points_redeemed"]),
            },
        )
    ]
    if order["customer_id"] and int(order["points_redeemed"]) > 0:
        specs.append(
            (
                "loyalty.entry",
                {
                    "entry_id": f"order:{order['order_id']}:reinstated-points",
                    "customer_id": order["customer_id"],
                    "kind": "adjust",
                    "points": -int(order["points_redeemed"]),
                    "ref": order["order_id"],
                    "channel": order["channel"],
                    "store": order["store"],
                    "at": at,
                },
            )
        )
    projections.emit(conn, clock, specs, store=order["store"], relay=("loyalty.entry",))
    notices.order_ready(conn, order, at)


def after_return(conn: Connection, clock: HybridClock, body: dict[str, Any]) -> None:
    from cloud import returnable

    order = orders.find(conn, str(body["receipt_id"]))
    if order is None:
        return
    at = normalise(str(body.get("at") or utc_now_text()))
    store = str(body["store"])
    found = returnable.sold(conn, order["order_id"])
    if found is not None:  # reserved returns were reversed already (same entry id): a no-op then
        after = returnable.claimed(conn, order["order_id"])
        before = dict(after)
        for line in body.get("lines") or []:
            before[str(line["sku"])] = before.get(str(line["sku"]), 0) - int(line["qty"])
        returnable.reverse_points(
            conn, clock, found, str(body["return_id"]), before=before, after=after, store=store, at=at
        )
    returned = int(
        conn.execute(
            select(func.coalesce(func.sum(s.returns.c.item_count), 0)).where(
                s.returns.c.receipt_id == order["order_id"]
            )
        ).scalar_one()
    )
    if returned >= sum(int(line["qty"]) for line in order["lines"]):
        orders.move(conn, order["order_id"], "returned", by=store, at=at, hlc=str(clock.now()), strict=False)
