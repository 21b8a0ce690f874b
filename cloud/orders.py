"""Orders as state machines with one owner per transition.

The cloud places (and returns or cancels before picking); the fulfilling store picks, collects,
ships or cancels. A transition not allowed from the current state is ignored by the projection
(it came late or twice) and rejected by the API.

One race is resolved by rule, not by timing: the shop cancels an order the hub still sees
``placed`` while its store, offline, has already picked it. The store's pick wins: the store
ignores the relayed cancel of an order it picked, and the hub, receiving that store's pick of an
order the cloud cancelled, reinstates it ``picked`` (:func:`reinstate`), so both end the same.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cloud.errors import Conflict, NotFound
from cloud.storage import schema as s

KIND_CHANNEL = {
    "home_delivery": "online",
    "click_collect": "click_collect",
    "reserve_in_store": "reserve",
    "ship_from_store": "ship_from_store",
}
TRANSITIONS: dict[str, frozenset[str]] = {
    "placed": frozenset({"picked", "cancelled", "shipped"}),
    "picked": frozenset({"collected", "shipped", "cancelled"}),
    "collected": frozenset({"returned"}),
    "shipped": frozenset({"returned"}),
    "cancelled": frozenset(),
    "returned": frozenset(),
}
STORE_TRANSITIONS = frozenset({"picked", "collected", "shipped", "cancelled"})


def can_move(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def get(conn: Connection, order_id: str) -> dict[str, Any]:
    row = conn.execute(select(s.orders).where(s.orders.c.order_id == order_id)).mappings().first()
    if row is None:
        raise NotFound(f"unknown order {order_id!r}")
    out = dict(row)
    out["lines"] = json.loads(out["lines"])
    return out


def find(conn: Connection, order_id: str) -> dict[str, Any] | None:
    try:
        return get(conn, order_id)
    except NotFound:
        return None


def move(conn: Connection, order_id: str, target: str, *, by: str, at: str, hlc: str, strict: bool) -> bool:
    """Move ``order_id`` to ``target``; False (or :class:`Conflict` when ``strict``) if not allowed."""
    order = get(conn, order_id)
    if not can_move(order["state"], target):
        if strict:
            raise Conflict(f"order {order_id} is {order['state']}, cannot become {target}")
        return False
    conn.execute(
        update(s.orders)
        .where(s.orders.c.order_id == order_id)
        .values(state=target, updated_at=at, state_hlc=hlc)
    )
    conn.execute(insert(s.order_events).values(order_id=order_id, state=target, by=by, at=at, hlc=hlc))
    return True


def cancelled_by_cloud(conn: Connection, order_id: str) -> bool:
    """Whether the order's last move was the shop's cancel (not the store's own)."""
    last = conn.execute(
        select(s.order_events.c.state, s.order_events.c.by)
        .where(s.order_events.c.order_id == order_id)
        .order_by(s.order_events.c.id.desc())
        .limit(1)
    ).first()
    return last is not None and last[0] == "cancelled" and last[1] == "cloud"


def reinstate(conn: Connection, order_id: str, *, by: str, at: str, hlc: str) -> None:
    """cancelled (by the cloud) -> picked: the fulfilling store's pick, made before the cancel
    reached it, wins (see the module docstring)."""
    conn.execute(
        update(s.orders)
        .where(s.orders.c.order_id == order_id)
        .values(state="picked", updated_at=at, state_hlc=hlc)
    )
    conn.execute(insert(s.order_events).values(order_id=order_id, state="picked", by=by, at=at, hlc=hlc))


def events(conn: Connection, order_id: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(s.order_events.c.state, s.order_events.c.by, s.order_events.c.at)
        .where(s.order_events.c.order_id == order_id)
        .order_by(s.order_events.c.id)
    ).mappings()
    return [dict(r) for r in rows]
