"""Fold ops into the hub's projections, inside the caller's transaction.

Contract with ``cloud/ingest`` (the sync engineer's idempotent apply):

    apply(conn, ops, clock=None) -> None

* ``conn`` is the SQLAlchemy ``Connection`` of the ingest transaction that also inserts the ops
  into ``cloud_ops`` and advances ``stream_hwm``; ``apply`` never commits or rolls back, so the
  projections move exactly when the high-water mark does.
* ``ops`` are the ops being applied *for the first time* (already validated ``sync.ops.Op``),
  in stream order. Every handler is idempotent anyway (keyed by op id, receipt id, entry id...),
  so a re-delivered op changes nothing.
* Profile changes (``customer.upsert``) are relayed to every other store holding the customer
  (:mod:`cloud.customer_relay`).
* Side effects the hub owns (points earned when a click & collect order is collected, points
  reversed when an online order is returned in a store, stock restored on cancellation) are
  written as cloud ops: applied here and queued on the store's downlink in the same transaction.
* A body that breaks the vocabulary raises :class:`cloud.errors.InvalidInput`; the caller rolls
  the batch back and quarantines it.

Services call :func:`emit` for ops they originate (online orders, admin changes).
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from cloud import (
    bulk,
    bulk_customers,
    customer_relay,
    customers,
    downlink,
    orders,
    reservations,
    sales,
    stock_summary,
)
from cloud.errors import InvalidInput
from cloud.storage import schema as s
from cloud.timefmt import normalise, utc_now_text
from sync.errors import SyncError
from sync.hlc import HybridClock, Timestamp
from sync.ops import Op


@functools.cache
def default_clock() -> HybridClock:
    """One clock per process; the pid in the node id keeps HLCs of concurrent workers distinct."""
    return HybridClock(f"cloud-{os.getpid()}")


def apply(conn: Connection, ops: Sequence[Op], clock: HybridClock | None = None) -> None:
    # Availability marks are written once, at the end of the outermost apply: handlers may emit
    # (and queue) cloud ops, and every writer takes downlink rows before marks (cloud.stock_summary).
    depth = int(conn.info.get(_DEPTH, 0))
    conn.info[_DEPTH] = depth + 1
    try:
        _apply(conn, ops, clock or default_clock())
        if depth == 0:
            _mark_availability(conn, conn.info.pop(_MARKS, []))
    finally:
        conn.info[_DEPTH] = depth
        if depth == 0:
            conn.info.pop(_MARKS, None)


_DEPTH, _MARKS = "vitrine.apply_depth", "vitrine.apply_marks"


def _apply(conn: Connection, ops: Sequence[Op], clock: HybridClock) -> None:
    hub_orders = _hub_orders(conn, ops)
    group: list[Op] = []
    for op in ops:
        if op.type in _GROUPED:  # high-volume ops are projected set-based, a group at a time
            group.append(op)
        elif _has_no_effect(op, hub_orders):  # so it may go ahead of the pending group
            if op.type in _HANDLERS:
                with contextlib.suppress(SyncError):
                    clock.observe(Timestamp.parse(op.hlc))
        else:
            _flush(conn, group, clock)
            group = []
            _apply_one(conn, op, clock)
    _flush(conn, group, clock)
    customer_relay.relay(conn, ops)
    conn.info.setdefault(_MARKS, []).extend(op for op in ops if op.type in _AVAILABILITY_TYPES)


def _mark_availability(conn: Connection, ops: Sequence[Op]) -> None:
    """Mark the figures these ops change, for the live summaries to the other stores."""
    touched = list(ops)
    if not touched:
        return
    ids = sorted({str(op.body.get("order_id")) for op in touched if op.type.startswith("order.")})
    o = s.orders
    lines_of = {
        str(oid): (str(store), json.loads(lines))
        for oid, store, lines in (
            conn.execute(select(o.c.order_id, o.c.store, o.c.lines).where(o.c.order_id.in_(ids)))
            if ids
            else ()
        )
    }
    stock_summary.mark(conn, stock_summary.changes_of(touched, lines_of))


_AVAILABILITY_TYPES = frozenset({"stock.delta", "stock.count", "order.placed", "order.transition"})


# Why a group may gather ops from all over a batch: the bulk types' projections depend only on
# the set of ops, not their order (stock: latest count by HLC + later deltas, every move kept;
# sales by receipt id; ledger by entry id, each debit judged on the balance after it in stream
# order), and customer upserts are per-field LWW by HLC, applied in stream order among
# themselves. They commute with each other unless an upsert merges two customers (it changes how
# sales and ledger entries are attributed): then each upsert is applied at its place in the stream.
_GROUPED = bulk.BULK_TYPES | {"customer.upsert"}


def _hub_orders(conn: Connection, ops: Sequence[Op]) -> set[str]:
    """Of the orders the batch's transitions name, those the hub knows or the batch places.
    (Orders are placed in the hub's own transactions, committed before any store can see them.)"""
    named = sorted({str(op.body.get("order_id")) for op in ops if op.type == "order.transition"})
    placed = {str(op.body.get("order_id")) for op in ops if op.type == "order.placed"}
    if not named:
        return placed
    o = s.orders
    return placed | {
        str(v) for v in conn.execute(select(o.c.order_id).where(o.c.order_id.in_(named))).scalars()
    }


def _has_no_effect(op: Op, hub_orders: set[str]) -> bool:
    """True for ops that change no projection: types with no handler (kept in ``cloud_ops``
    only) and valid transitions of orders the hub does not know (the handler returns early).
    Every other op (``order.placed``, ``return.recorded`` which needs its sale, transitions of
    hub orders which emit ledger entries and stock deltas) waits for the pending group, as before.
    """
    if op.type not in _HANDLERS:
        return True
    if op.type != "order.transition":
        return False
    try:
        allowed = str(op.body["state"]) in orders.STORE_TRANSITIONS or op.origin == "cloud"
        normalise(str(op.body.get("at") or utc_now_text()))
        return allowed and str(op.body["order_id"]) not in hub_orders
    except (KeyError, TypeError, ValueError, InvalidInput):
        return False  # let the handler report the bad body where it always did


def _flush(conn: Connection, group: list[Op], clock: HybridClock) -> None:
    upserts = [op for op in group if op.type == "customer.upsert"]
    if upserts and not _run(conn, upserts, clock, bulk_customers.apply):
        part: list[Op] = []  # an upsert merges customers: each upsert at its place in the stream
        for op in group:
            if op.type == "customer.upsert":
                _run(conn, part, clock, bulk.apply)
                part = []
                _apply_one(conn, op, clock)
            else:
                part.append(op)
        _run(conn, part, clock, bulk.apply)
    else:
        _run(conn, [op for op in group if op.type in bulk.BULK_TYPES], clock, bulk.apply)
    reversals = [
        op.body
        for op in group
        if op.type == "loyalty.entry" and op.origin != "cloud" and op.body.get("kind") == "reverse"
    ]
    if reversals:  # an offline double refund may reverse more than the receipt earned: cap it
        from cloud import returnable

        returnable.cap_reversals(conn, clock, reversals)


def _run(conn: Connection, group: list[Op], clock: HybridClock, project: Callable[..., Any]) -> bool:
    if not group:
        return True
    try:
        done = project(conn, group) is not False
    except (KeyError, TypeError, ValueError) as err:
        raise InvalidInput(f"ops {group[0].id}..{group[-1].id}: bad body: {err!r}") from err
    if done:
        for op in group:
            with contextlib.suppress(SyncError):
                clock.observe(Timestamp.parse(op.hlc))
    return done


def _apply_one(conn: Connection, op: Op, clock: HybridClock) -> None:
    handler = _HANDLERS.get(op.type)
    if handler is None:
        return  # types the hub keeps only in cloud_ops (wishlists, model releases...)
    with contextlib.suppress(SyncError):  # a store clock far ahead must not block its ops
        clock.observe(Timestamp.parse(op.hlc))
    try:
        handler(conn, op, clock)
    except (KeyError, TypeError, ValueError) as err:
        raise InvalidInput(f"op {op.id} ({op.type}): bad body: {err!r}") from err


def emit(
    conn: Connection,
    clock: HybridClock,
    specs: Sequence[tuple[str, dict[str, Any]]],
    store: str | None = None,
    relay: Sequence[str] | None = None,
) -> list[Op]:
    """Create cloud ops, fold them into the projections and queue them for ``store`` (all of them)
    or only the types in ``relay``. Same transaction as the caller's state change."""
    ops = downlink.new_ops(conn, clock, specs)
    if store is not None and _is_store(conn, store):  # queued before apply marks (lock order)
        downlink.queue(conn, store, [op for op in ops if relay is None or op.type in relay])
    apply(conn, ops, clock)
    return ops


def _is_store(conn: Connection, store: str) -> bool:
    return store in downlink.active_stores(conn)


def _customer(conn: Connection, op: Op, _clock: HybridClock) -> None:
    customers.upsert_fields(conn, str(op.body["customer_id"]), dict(op.body.get("fields") or {}), op.hlc)


def _order_placed(conn: Connection, op: Op, _clock: HybridClock) -> None:
    from cloud import order_effects

    order_effects.record_placed(conn, op)


def _order_transition(conn: Connection, op: Op, clock: HybridClock) -> None:
    from cloud import order_effects

    body = op.body
    target = str(body["state"])
    if target not in orders.STORE_TRANSITIONS and op.origin != "cloud":
        raise InvalidInput(f"a store may not move an order to {target!r}")
    at = normalise(str(body.get("at") or utc_now_text()))
    order = orders.find(conn, str(body["order_id"]))
    if order is None:
        return  # not an order the hub placed; kept in cloud_ops only
    if op.origin != "cloud" and order["store"] != op.origin:
        raise InvalidInput(
            f"store {op.origin} may not move order {order['order_id']} of store {order['store']}"
        )
    by = str(body.get("by") or op.origin)
    if (
        target == "picked"
        and order["state"] == "cancelled"
        and op.origin == order["store"]
        and orders.cancelled_by_cloud(conn, order["order_id"])
    ):  # the store picked it before the shop's cancel reached it: the pick wins
        orders.reinstate(conn, order["order_id"], by=by, at=at, hlc=op.hlc)
        order_effects.after_reinstate(conn, clock, order, at)
        return
    if orders.move(conn, order["order_id"], target, by=by, at=at, hlc=op.hlc, strict=False):
        order_effects.after_transition(conn, clock, order, target, at)


def _return(conn: Connection, op: Op, clock: HybridClock) -> None:
    from cloud import order_effects, returnable

    if sales.record_return(conn, op.body):
        returnable.record(conn, op.body)
        order_effects.after_return(conn, clock, op.body)


def _receipt_email(conn: Connection, op: Op, _clock: HybridClock) -> None:
    from cloud.marketing import notices

    notices.receipt_email(conn, op.body, normalise(str(op.body.get("at") or utc_now_text())))


def _reservation(conn: Connection, op: Op, _clock: HybridClock) -> None:
    reservations.record(conn, op.body, op.hlc)


_HANDLERS: dict[str, Callable[[Connection, Op, HybridClock], None]] = {
    "receipt.email": _receipt_email,
    "reservation.set": _reservation,
    "return.recorded": _return,
    "customer.upsert": _customer,
    "order.placed": _order_placed,
    "order.transition": _order_transition,
}
