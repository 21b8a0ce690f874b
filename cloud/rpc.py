"""Every RPC method the hub serves to stores (``sync.rpc.RpcServer`` handlers).

* loyalty methods: see :mod:`cloud.loyalty.rpc`
* ``orders.lookup`` {order_id} → the order (lines, customer, state) so that any store can take
  the return of an online order it never saw; for another store's receipt id, that receipt
  (``kind: sale``, lines with discounts, ``paid_cents``); the answer carries no other customer data.
* ``returns.reserve`` {return_id, receipt_id, lines:[{sku, qty}], own_sold?} → {approved, reason,
  remaining, points_reversed}: the hub, the one authority on what is still returnable, reserves
  the quantities of a return (idempotent by return id); see :mod:`cloud.returnable`.
* ``orders.place`` {kind, store, customer_id, lines:[{sku, qty}]} → the order: a kiosk orders an
  item held by another store for click & collect (or reservation) there; the hub places it with
  the same service as the web shop (stock check, price, ``order.placed`` to that store).
* ``sync.history`` {after, limit} → {hwm, ops}: the calling store's own ops as the hub holds them,
  for ``vitrine-edge restore-from-cloud`` (see :mod:`cloud.ingest.history`).
* ``customers.lookup`` {kind, value} or {customer_id} → one customer's record for a store that
  never saw them (canonical id, stamped fields, identities, loyalty balance): see
  :mod:`cloud.customer_lookup`.
* ``bootstrap.open`` / ``bootstrap.page``: a new store fills its replica (:mod:`cloud.bootstrap`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from cloud import customer_lookup, customer_relay, orders, returnable
from cloud.bootstrap import service as bootstrap
from cloud.errors import InvalidInput
from cloud.ingest.history import history_page
from cloud.loyalty.rpc import Handler
from cloud.loyalty.rpc import handlers as loyalty_handlers
from cloud.shop import ordering
from sync.hlc import HybridClock

OWN_ORDER_FIELDS = (
    "order_id",
    "kind",
    "customer_id",
    "store",
    "channel",
    "state",
    "lines",
    "total_cents",
    "points_redeemed",
    "created_at",
)
RETURNABLE_STATES = frozenset({"collected", "shipped"})


def order_for_return(engine: Engine, store: str, order_id: Any) -> dict[str, Any]:
    """The hub's answer to ``store`` looking up an order or receipt to take its return.

    Its own orders (fulfilled by ``store``) come whole. Any other order is a return authority's
    answer: for an order that can be returned (collected or shipped) what a refund needs (kind,
    channel, state, lines with unit prices, total), nothing about the customer or the fulfilling
    store; for any other order only its state, so the store can tell the customer why not. A store
    or kiosk receipt of another store is described by the returns authority (:mod:`cloud.returnable`)."""
    if not isinstance(order_id, str) or not 0 < len(order_id) <= 96:
        raise InvalidInput("order_id must be a string of 1-96 characters")
    with engine.connect() as conn:
        order = orders.find(conn, order_id)
        if order is None:  # a store or kiosk receipt of another store
            return returnable.describe(conn, order_id)
    if order.get("store") == store:
        return {k: order[k] for k in OWN_ORDER_FIELDS}
    if order["state"] not in RETURNABLE_STATES:
        return {"order_id": order["order_id"], "state": order["state"]}
    return {
        "order_id": order["order_id"],
        "kind": order["kind"],
        "channel": order["channel"],
        "state": order["state"],
        "lines": [
            {"sku": line["sku"], "qty": line["qty"], "unit_cents": line["unit_cents"]}
            for line in order["lines"]
        ],
        "total_cents": order["total_cents"],
    }


def reserve_return(engine: Engine, clock: HybridClock, store: str, params: dict[str, Any]) -> dict[str, Any]:
    own = params.get("own_sold")
    if own is not None and not (
        isinstance(own, dict) and all(isinstance(k, str) and isinstance(v, int) for k, v in own.items())
    ):
        raise InvalidInput("own_sold must be {sku: qty}")
    with engine.begin() as conn:
        return returnable.reserve(
            conn,
            clock,
            store=store,
            return_id=params.get("return_id"),
            receipt_id=params.get("receipt_id"),
            lines=params.get("lines"),
            own_sold=own,
        )


def lookup_for_store(
    engine: Engine, clock: HybridClock, store: str, params: dict[str, Any]
) -> dict[str, Any]:
    """``customers.lookup``; the store holds the customer from now on, so their changes reach it
    (remembered before the answer is read, so no change falls between the two)."""
    with engine.begin() as conn:
        customer_relay.remember(conn, customer_lookup.resolve(conn, params), store)
    return customer_lookup.customer_for_store(engine, clock, params)


STORE_ORDER_KINDS = frozenset({"click_collect", "reserve_in_store"})


def place_for_store(
    engine: Engine, clock: HybridClock, warehouse: str, params: dict[str, Any]
) -> dict[str, Any]:
    kind, store, customer, lines = (params.get(k) for k in ("kind", "store", "customer_id", "lines"))
    if kind not in STORE_ORDER_KINDS or not isinstance(store, str) or not isinstance(customer, str):
        raise InvalidInput(
            f"orders.place needs kind in {sorted(STORE_ORDER_KINDS)}, a store and a customer_id"
        )
    if not isinstance(lines, list) or not all(
        isinstance(x, dict) and isinstance(x.get("sku"), str) and isinstance(x.get("qty"), int) for x in lines
    ):
        raise InvalidInput("lines must be [{sku, qty}]")
    with engine.begin() as conn:
        return ordering.place(
            conn,
            clock,
            kind=kind,
            lines=[{"sku": x["sku"], "qty": x["qty"]} for x in lines],
            customer_id=customer,
            store=store,
            warehouse=warehouse,
        )


def hub_handlers(
    engine: Engine,
    clock: HybridClock,
    allowance_ttl_hours: int = 72,
    warehouse: str = "warehouse",
    bootstrap_customers: str = "active",
) -> dict[str, Handler]:
    methods = loyalty_handlers(engine, clock, allowance_ttl_hours)
    methods["orders.lookup"] = lambda store, params: order_for_return(engine, store, params.get("order_id"))
    methods["customers.lookup"] = lambda store, params: lookup_for_store(engine, clock, store, params)
    methods["orders.place"] = lambda _store, params: place_for_store(engine, clock, warehouse, params)
    methods["returns.reserve"] = lambda store, params: reserve_return(engine, clock, store, params)
    methods.update(bootstrap.handlers(engine, clock, bootstrap_customers))
    methods["sync.history"] = lambda store, params: history_page(engine, store, params)
    # The hub's wall clock, for the stores' skew measurement (edge/hub_clock.py).
    methods["clock.now"] = lambda _store, _params: {"now_ms": clock.wall_ms()}
    return methods
