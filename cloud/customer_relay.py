"""One customer everywhere: profile changes reach every store that holds the customer.

A store holds a customer once it enrolled, changed or looked them up (``customer_stores``), or
sold to them or fulfils their orders. Every ``customer.upsert`` the hub folds — from a store, or
emitted by the hub itself for a change made online — is queued on the downlink of each other
store holding that customer, with its own HLC, so each replica merges it last-writer-wins per
field exactly like the hub did.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from cloud import customers, downlink
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from sync.ops import CLOUD_ORIGIN, Op


def remember(conn: Connection, customer_id: str, store: str) -> None:
    insert_ignore(
        conn, s.customer_stores, {"customer_id": customer_id, "store": store}, ["customer_id", "store"]
    )


def holders(conn: Connection, customer_id: str) -> set[str]:
    cid = customers.canonical(conn, customer_id)
    ids = [
        cid,
        *conn.execute(select(s.customers.c.customer_id).where(s.customers.c.merged_into == cid)).scalars(),
    ]
    found: set[str] = set()
    for table in (s.customer_stores, s.sales, s.orders):
        found.update(
            str(x)
            for x in conn.execute(
                select(table.c.store).where(table.c.customer_id.in_(ids)).distinct()
            ).scalars()
            if x
        )
    return found & set(downlink.active_stores(conn))


def relay(conn: Connection, ops: Sequence[Op]) -> None:
    """Queue the ``customer.upsert`` ops among ``ops`` for the other stores holding the customer."""
    for op in ops:
        if op.type != "customer.upsert":
            continue
        cid = str(op.body["customer_id"])
        if op.origin != CLOUD_ORIGIN:
            remember(conn, cid, op.origin)
        for store in sorted(holders(conn, cid) - {op.origin}):
            downlink.queue(conn, store, [op])
