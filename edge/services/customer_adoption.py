"""Adopting a customer the cloud knows into this store's replica (``customers.lookup`` answer).

The record is applied as a **remote** write, exactly like the downlink applies a cloud
``customer.upsert``: each field with the cloud's own HLC stamp (last writer wins), identities taken
over where the cloud's write is newer, and no op emitted — the cloud already has all of it, and
later downlink ops converge with it field by field.

Loyalty: the hub's balance becomes the customer's snapshot (``loyalty_balances``) only when this
store holds no ledger entry of theirs yet, so nothing the store booked can be hidden by it; the
replica's clock observes the snapshot's HLC so the store's later entries count on top of it.
"""

from __future__ import annotations

import contextlib
import json

from edge.replica import queries as q
from edge.replica.customer_merge import IDENTITY_KINDS, apply_customer_fields, write_consent_proof
from edge.replica.database import Tx
from edge.services.cloud_port import CloudCustomer
from sync.errors import ClockError
from sync.hlc import Timestamp


def adopt(tx: Tx, record: CloudCustomer, now: str, also: tuple[str, str] | None = None) -> None:
    """Write ``record`` into the replica in ``tx``. ``also`` = an identity ``(kind, value)`` the
    store looked them up by, kept locally when no one here holds it (so it resolves offline)."""
    cid = record.customer_id
    created = record.created_at or now
    if q.customer(tx.conn, cid) is None:
        apply_customer_fields(tx, cid, {}, hlc="", now=created, remote=True)
    for name, value in record.fields.items():
        apply_customer_fields(tx, cid, {name: value}, hlc=record.field_hlc[name], now=created, remote=True)
    stamp = record.field_hlc.get("consent_marketing")
    row = q.customer(tx.conn, cid)
    if (
        record.consent_proof
        and stamp
        and row is not None
        and json.loads(row["field_hlc"]).get("consent_marketing") == stamp
    ):
        write_consent_proof(tx, cid, record.consent_proof)  # the proof of the consent adopted
    for kind, value in [*record.identities, *([also] if also else [])]:
        if kind in IDENTITY_KINDS and q.customer_by_identity(tx.conn, kind, value) is None:
            tx.execute("INSERT INTO customer_identities VALUES (?, ?, ?)", (kind, value, cid))
    snapshot = record.loyalty
    if snapshot is None or tx.one("SELECT 1 FROM loyalty_ledger WHERE customer_id = ?", (cid,)):
        return
    with contextlib.suppress(ClockError):  # a hub clock far ahead must not poison ours
        tx.clock.observe(Timestamp.parse(snapshot.as_of_hlc))
    tx.execute(
        "INSERT INTO loyalty_balances VALUES (?, ?, ?) ON CONFLICT (customer_id) DO UPDATE SET "
        "balance = excluded.balance, as_of_hlc = excluded.as_of_hlc WHERE excluded.as_of_hlc > as_of_hlc",
        (cid, snapshot.points, snapshot.as_of_hlc),
    )
