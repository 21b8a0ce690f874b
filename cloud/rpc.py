"""Every RPC method the hub serves to stores (``sync.rpc.RpcServer`` handlers).

* loyalty methods: see :mod:`cloud.loyalty.rpc`
* ``orders.lookup`` {order_id} → the order (lines, customer, state) so that any store can take
  the return of an online order it never saw; the answer carries no other customer data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from cloud import orders
from cloud.errors import InvalidInput
from cloud.loyalty.rpc import Handler
from cloud.loyalty.rpc import handlers as loyalty_handlers
from sync.hlc import HybridClock


def order_for_return(engine: Engine, order_id: Any) -> dict[str, Any]:
    if not isinstance(order_id, str) or not 0 < len(order_id) <= 64:
        raise InvalidInput("order_id must be a string of 1-64 characters")
    with engine.connect() as conn:
        order = orders.get(conn, order_id)
    keep = (
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
    return {k: order[k] for k in keep}


def hub_handlers(engine: Engine, clock: HybridClock, allowance_ttl_hours: int = 72) -> dict[str, Handler]:
    methods = loyalty_handlers(engine, clock, allowance_ttl_hours)
    methods["orders.lookup"] = lambda _store, params: order_for_return(engine, params.get("order_id"))
    return methods
