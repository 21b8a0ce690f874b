"""Online orders: place (home delivery, click & collect, reserve in store, ship from store),
cancel before picking, return online.

Placing writes, in one transaction: the order row, ``order.placed`` queued to the fulfilling
store, the lines it holds against that store's availability until the store picks it (the
store's pick emits the ``stock.delta``; warehouse orders take their ``stock.delta`` at once), the
online ``sale.recorded`` for the reports, and the points redeemed. Stock short at the chosen store is refused with the list of
stores that do have it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Connection, insert, select

from cloud import availability, customers, downlink, orders, projections, returnable
from cloud.admin import catalog, pricing
from cloud.errors import Conflict, InvalidInput
from cloud.loyalty import ledger
from cloud.loyalty.authority import reserved_points
from cloud.shop.products import where_available
from cloud.storage import schema as s
from cloud.timefmt import utc_now_text
from sync import loyalty as decisions
from sync.hlc import HybridClock

POINT_VALUE_CENTS = 1
MAX_LINES = 100
MAX_QTY = 1000


class OutOfStock(Conflict):
    """Not enough stock at the chosen store; ``alternatives`` lists stores that have it."""

    def __init__(self, message: str, alternatives: dict[str, list[dict[str, Any]]]) -> None:
        super().__init__(message)
        self.alternatives = alternatives


def place(
    conn: Connection,
    clock: HybridClock,
    *,
    kind: str,
    lines: list[dict[str, Any]],
    customer_id: str | None,
    store: str | None,
    warehouse: str,
    points_to_redeem: int = 0,
    address: str | None = None,
) -> dict[str, Any]:
    if kind not in orders.KIND_CHANNEL:
        raise InvalidInput(f"kind must be one of {sorted(orders.KIND_CHANNEL)}")
    if not lines or len(lines) > MAX_LINES:
        raise InvalidInput(f"an order has 1-{MAX_LINES} lines")
    if kind == "home_delivery":
        store = store or warehouse
        if not address:
            raise InvalidInput("home delivery needs an address")
    elif not store:
        raise InvalidInput(f"{kind} needs a store")
    if store != warehouse and store not in downlink.active_stores(conn):
        raise InvalidInput(f"unknown store {store!r}")
    if points_to_redeem < 0:
        raise InvalidInput("points_to_redeem must not be negative")
    cid = customers.canonical(conn, customer_id) if customer_id else None
    if (
        cid
        and conn.execute(select(s.customers.c.customer_id).where(s.customers.c.customer_id == cid)).first()
        is None
    ):
        raise InvalidInput(f"unknown customer {customer_id!r}")
    if points_to_redeem and not cid:
        raise InvalidInput("redeeming points needs a customer")
    now = utc_now_text()
    priced: list[dict[str, Any]] = []
    short: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        sku, qty = str(line["sku"]), int(line["qty"])
        if not 0 < qty <= MAX_QTY:
            raise InvalidInput(f"qty of {sku!r} must be 1-{MAX_QTY}")
        catalog.get(conn, sku)
        priced.append({"sku": sku, "qty": qty, "unit_cents": pricing.price_at(conn, sku, store, now)})
        if availability.at_store(conn, sku, str(store)) < qty:
            short[sku] = where_available(conn, sku, qty, exclude=store)
    if short:
        raise OutOfStock(f"not enough stock at {store} for {', '.join(sorted(short))}", short)
    gross = sum(line["qty"] * line["unit_cents"] for line in priced)
    if points_to_redeem * POINT_VALUE_CENTS > gross:
        raise InvalidInput("cannot redeem more points than the order is worth")
    order_id = "o-" + uuid.uuid4().hex[:16]
    channel = orders.KIND_CHANNEL[kind]
    specs: list[tuple[str, dict[str, Any]]] = []
    if points_to_redeem:
        assert cid is not None
        decision = decisions.authorise_redemption(
            ledger.balance(conn, cid), reserved_points(conn, cid), 0, points_to_redeem
        )
        if not decision.approved:
            raise Conflict(
                f"cannot redeem {points_to_redeem} points: {decision.reason} ({decision.available})"
            )
        specs.append(
            (
                "loyalty.entry",
                {
                    "entry_id": f"order:{order_id}:redeem",
                    "customer_id": cid,
                    "kind": "redeem",
                    "points": -points_to_redeem,
                    "ref": order_id,
                    "channel": channel,
                    "store": store,
                    "at": now,
                },
            )
        )
    total = gross - points_to_redeem * POINT_VALUE_CENTS
    conn.execute(
        insert(s.orders).values(
            order_id=order_id,
            kind=kind,
            customer_id=cid,
            store=store,
            channel=channel,
            state="placed",
            lines=json.dumps(priced),
            total_cents=total,
            points_redeemed=points_to_redeem,
            address=address,
            created_at=now,
            updated_at=now,
            state_hlc=str(clock.now()),
        )
    )
    conn.execute(
        insert(s.order_events).values(
            order_id=order_id, state="placed", by="cloud", at=now, hlc=str(clock.now())
        )
    )
    specs.append(
        (
            "order.placed",
            {
                "order_id": order_id,
                "kind": kind,
                "customer_id": cid,
                "store": store,
                "lines": priced,
                "total_cents": total,
                "channel": channel,
                "at": now,
            },
        )
    )
    if store == warehouse:  # the hub fulfils these itself: the goods leave the warehouse now
        specs += [
            (
                "stock.delta",
                {
                    "sku": line["sku"],
                    "store": store,
                    "zone": "",
                    "qty": -line["qty"],
                    "reason": "order",
                    "ref": order_id,
                },
            )
            for line in priced
        ]
    else:  # held against the store until it picks (its pick emits the stock.delta)
        conn.execute(
            insert(s.order_lines),
            [
                {"order_id": order_id, "line_no": i, "sku": line["sku"], "store": store, "qty": line["qty"]}
                for i, line in enumerate(priced)
            ],
        )
    specs.append(
        (
            "sale.recorded",
            {
                "receipt_id": order_id,
                "store": store,
                "channel": channel,
                "customer_id": cid,
                "payment_ref": order_id,
                "at": now,
                "lines": [{**line, "discount_cents": 0} for line in priced],
                "total_cents": total,
                "points_earned": 0,
                "points_redeemed": points_to_redeem,
            },
        )
    )
    projections.emit(conn, clock, specs, store=store, relay=("order.placed", "loyalty.entry"))
    return orders.get(conn, order_id)


def ship_from_warehouse(
    conn: Connection, clock: HybridClock, order_id: str, warehouse: str
) -> dict[str, Any]:
    """The hub's own fulfilment (warehouse orders): placed → shipped; points are earned then."""
    order = orders.get(conn, order_id)
    if order["store"] != warehouse:
        raise Conflict(f"order {order_id} is fulfilled by store {order['store']}, not the warehouse")
    projections.emit(
        conn,
        clock,
        [
            (
                "order.transition",
                {
                    "order_id": order_id,
                    "state": "shipped",
                    "store": warehouse,
                    "at": utc_now_text(),
                    "by": "cloud",
                },
            )
        ],
    )
    return orders.get(conn, order_id)


def cancel(conn: Connection, clock: HybridClock, order_id: str, warehouse: str) -> dict[str, Any]:
    """Cancel an order its store has not picked yet, as far as the hub knows (the store's pick,
    made offline before the cancel reaches it, wins: :mod:`cloud.orders`)."""
    order = orders.get(conn, order_id)
    if order["state"] != "placed":
        raise Conflict(
            f"order {order_id} is {order['state']} at store {order['store']}; only placed orders can be "
            f"cancelled online: ask store {order['store']} to cancel it"
        )
    projections.emit(
        conn,
        clock,
        [
            (
                "order.transition",
                {
                    "order_id": order_id,
                    "state": "cancelled",
                    "store": order["store"],
                    "at": utc_now_text(),
                    "by": "cloud",
                },
            )
        ],
        store=order["store"],
    )
    out = orders.get(conn, order_id)
    if order["store"] != warehouse:
        out["notice"] = (
            f"cancelled; store {order['store']} is told now, or when it is back online. If it picked the "
            "order before that (offline), the store's pick wins and the order is reinstated: GET the "
            "order to follow it"
        )
    return out


def return_online(
    conn: Connection, clock: HybridClock, order_id: str, lines: list[dict[str, Any]], warehouse: str
) -> dict[str, Any]:
    """Return goods of a delivered/collected order by post: stock goes back to the warehouse,
    points earned are reversed in proportion (see :mod:`cloud.order_effects`)."""
    order = orders.get(conn, order_id)
    if order["state"] not in ("collected", "shipped"):
        raise Conflict(f"order {order_id} is {order['state']}; only delivered orders can be returned")
    bought = {line["sku"]: line for line in order["lines"]}
    refund = 0
    out_lines = []
    for line in lines:
        sku, qty = str(line["sku"]), int(line["qty"])
        if sku not in bought or not 0 < qty <= int(bought[sku]["qty"]):
            raise InvalidInput(f"cannot return {qty} of {sku!r} from order {order_id}")
        cents = qty * int(bought[sku]["unit_cents"])
        refund += cents
        out_lines.append({"sku": sku, "qty": qty, "refund_cents": cents})
    if not out_lines:
        raise InvalidInput("a return needs at least one line")
    return_id = "r-" + uuid.uuid4().hex[:16]
    held = returnable.reserve(
        conn,
        clock,
        store=warehouse,
        return_id=return_id,
        receipt_id=order_id,
        lines=[{"sku": x["sku"], "qty": x["qty"]} for x in out_lines],
    )
    if not held["approved"]:
        raise Conflict(f"{held['reason']}; nothing was refunded")
    now = utc_now_text()
    specs: list[tuple[str, dict[str, Any]]] = [
        (
            "stock.delta",
            {
                "sku": line["sku"],
                "store": warehouse,
                "zone": "",
                "qty": line["qty"],
                "reason": "return",
                "ref": return_id,
            },
        )
        for line in out_lines
    ]
    specs.append(
        (
            "return.recorded",
            {
                "return_id": return_id,
                "receipt_id": order_id,
                "store": warehouse,
                "channel": order["channel"],
                "at": now,
                "lines": out_lines,
                "refund_cents": refund,
                "points_reversed": int(held["points_reversed"]),
            },
        )
    )
    projections.emit(conn, clock, specs)
    return {
        "return_id": return_id,
        "order_id": order_id,
        "refund_cents": refund,
        "points_reversed": int(held["points_reversed"]),
        "lines": out_lines,
        "order": orders.get(conn, order_id),
    }
