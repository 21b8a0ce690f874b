"""One customer everywhere: profile changes reach every store that holds the customer.

A store holds a customer once it enrolled, changed or looked them up (``customer_stores``). Every
``customer.upsert`` the hub folds — from a store, or emitted by the hub itself for a change made
online — is queued on the downlink of each other store holding that customer, with its own HLC,
so each replica merges it last-writer-wins per field exactly like the hub did. A store's consent
change that carries ``consent_wording`` (the version of the wording the customer agreed to at the
kiosk) is kept as proof (:mod:`cloud.consent`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection, select

from cloud import consent, customers, downlink
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore, insert_ignore_many
from sync.ops import CLOUD_ORIGIN, Op


def remember(conn: Connection, customer_id: str, store: str) -> None:
    insert_ignore(
        conn, s.customer_stores, {"customer_id": customer_id, "store": store}, ["customer_id", "store"]
    )


def holders(conn: Connection, customer_ids: Sequence[str]) -> dict[str, set[str]]:
    cs = s.customer_stores
    found: dict[str, set[str]] = {}
    for cid, store in conn.execute(
        select(cs.c.customer_id, cs.c.store).where(cs.c.customer_id.in_(customer_ids))
    ):
        found.setdefault(str(cid), set()).add(str(store))
    return found


def relay(conn: Connection, ops: Sequence[Op]) -> None:
    """Queue the ``customer.upsert`` ops among ``ops`` for the other stores holding the customer."""
    upserts = [op for op in ops if op.type == "customer.upsert"]
    if not upserts:
        return
    rows = [
        {"customer_id": str(op.body["customer_id"]), "store": op.origin}
        for op in upserts
        if op.origin != CLOUD_ORIGIN
    ]
    insert_ignore_many(conn, s.customer_stores, rows, ["customer_id", "store"])
    held = holders(conn, sorted({str(op.body["customer_id"]) for op in upserts}))
    active = set(downlink.active_stores(conn)) if held else set()
    for op in upserts:
        cid = str(op.body["customer_id"])
        fields = op.body.get("fields") or {}
        if op.origin != CLOUD_ORIGIN and "consent_marketing" in fields and fields.get("consent_wording"):
            consent.record(
                conn,
                customers.canonical(conn, cid),
                bool(fields["consent_marketing"]),
                op.origin,
                str(fields["consent_wording"]),
                at=str(fields["consent_at"]) if fields.get("consent_at") else None,
            )
        for store in sorted((held.get(cid, set()) & active) - {op.origin}):
            downlink.queue(conn, store, [op])
