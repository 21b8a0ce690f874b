"""Store reservations as the hub sees them: each ``reservation.set`` op folded into one row per
reservation, the newest state by HLC winning (a re-delivered or older op changes nothing)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from cloud import customers
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore, loads


def record(conn: Connection, body: dict[str, Any], hlc: str) -> None:
    r = s.reservations
    row = {
        "reservation_id": str(body["reservation_id"]),
        "customer_id": customers.ensure(conn, str(body["customer_id"])),
        "store": str(body["store"]),
        "sku": str(body["sku"]),
        "qty": int(body["qty"]),
        "expires_at": str(body["expires_at"]),
        "state": str(body["state"]),
        "hlc": hlc,
    }
    if insert_ignore(conn, r, row, ["reservation_id"]):
        return
    conn.execute(
        update(r)
        .where(r.c.reservation_id == row["reservation_id"], r.c.hlc < hlc)
        .values(qty=row["qty"], expires_at=row["expires_at"], state=row["state"], hlc=hlc)
    )


def backfill(conn: Connection) -> None:
    """Fold the ``reservation.set`` ops the hub kept before it projected them."""
    o = s.cloud_ops
    for body, hlc in conn.execute(
        select(o.c.body, o.c.hlc).where(o.c.type == "reservation.set").order_by(o.c.hlc)
    ):
        record(conn, loads(body), str(hlc))


def of_customer(conn: Connection, customer_id: str) -> list[dict[str, Any]]:
    r = s.reservations
    rows = conn.execute(
        select(r.c.reservation_id, r.c.store, r.c.sku, r.c.qty, r.c.expires_at, r.c.state)
        .where(r.c.customer_id == customer_id)
        .order_by(r.c.expires_at, r.c.reservation_id)
    ).mappings()
    return [dict(row) for row in rows]
