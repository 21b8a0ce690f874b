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
  the same service as the web shop (stock check, price, ``order.placed`` to that store). Refusals
  carry a code: ``out_of_stock`` (the message names the stores that have it, or says none does),
  ``unknown_product`` (head office does not sell it), ``retry`` (the customer has not reached the
  hub yet, or its database is unavailable: transient).
* ``sync.history`` {after, limit} → {hwm, ops}: the calling store's own ops as the hub holds them,
  for ``vitrine-edge restore-from-cloud`` (see :mod:`cloud.ingest.history`).
* ``customers.lookup`` {kind, value} or {customer_id} → one customer's record for a store that
  never saw them (canonical id, stamped fields, identities, loyalty balance): see
  :mod:`cloud.customer_lookup`.
* ``bootstrap.open`` / ``bootstrap.page``: a new store fills its replica (:mod:`cloud.bootstrap`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import OperationalError

from cloud import customer_lookup, customer_relay, customers, orders, returnable
from cloud.bootstrap import service as bootstrap
from cloud.errors import InvalidInput, NotFound, StorageError
from cloud.ingest.history import history_page
from cloud.loyalty.rpc import Handler
from cloud.loyalty.rpc import handlers as loyalty_handlers
from cloud.shop import ordering
from cloud.storage import schema as s
from sync.hlc import HybridClock
from sync.rpc import RpcRefusal

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
# A returned order may still have units left to return: ``returns.reserve`` decides how many.
RETURNABLE_STATES = frozenset({"collected", "shipped", "returned"})


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
        returned = returnable.claimed(conn, order_id)
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
        "returned": returned,
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
    try:
        with engine.begin() as conn:
            known_customer(conn, customer)
            return ordering.place(
                conn,
                clock,
                kind=kind,
                lines=[{"sku": x["sku"], "qty": x["qty"]} for x in lines],
                customer_id=customer,
                store=store,
                warehouse=warehouse,
            )
    except ordering.OutOfStock as err:
        raise RpcRefusal(out_of_stock_message(store, err.alternatives), "out_of_stock") from err
    except NotFound as err:
        raise RpcRefusal(
            f"Head office does not sell this product ({err}). Check the product, or ask staff.",
            "unknown_product",
        ) from err
    except (StorageError, OperationalError) as err:
        raise RpcRefusal(
            "Head office cannot take the order this minute. Try again in a minute.", "retry"
        ) from err


def known_customer(conn: Connection, customer_id: str) -> None:
    """A customer enrolled at a store a moment ago may not have reached the hub yet: say so."""
    cid = customers.canonical(conn, customer_id)
    if (
        conn.execute(select(s.customers.c.customer_id).where(s.customers.c.customer_id == cid)).first()
        is None
    ):
        raise RpcRefusal(
            "Head office does not know this customer yet (a new card takes a moment to reach it). "
            "Try again in a minute.",
            "retry",
        )


def out_of_stock_message(store: str, alternatives: dict[str, list[dict[str, Any]]]) -> str:
    """What the person at the kiosk reads: which store has it instead, or that none does."""
    parts = []
    for sku, where in sorted(alternatives.items()):
        if where:
            places = ", ".join(f"{w['store']} ({w['qty']})" for w in where[:5])
            parts.append(f"{store} no longer has enough of {sku}; order it from {places} instead.")
        else:
            parts.append(
                f"{sku} is not available in any store in that quantity right now. "
                "Choose fewer, or ask staff when it is expected back."
            )
    return " ".join(parts)


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
