"""Merging customer profile fields into the replica: last writer wins per field, by HLC.

Each customer row keeps, per field, the HLC of the write that set it (``field_hlc``); a write
only lands on fields whose stamp it beats, so local edits and the cloud's ``customer.upsert`` ops
converge whatever order they arrive in. Identities (card, email, phone) stay unique: a local
clash is a Conflict; a newer remote write (the cloud merged identities) takes the identity over.
"""

from __future__ import annotations

import json
from typing import Any

from edge.errors import Conflict
from edge.replica import queries as q
from edge.replica.database import Tx

IDENTITY_KINDS = ("card", "email", "phone")
PROFILE_FIELDS = ("name", "email", "phone", "card", "consent_marketing")


def apply_customer_fields(
    tx: Tx, customer_id: str, fields: dict[str, Any], *, hlc: str, now: str, remote: bool
) -> None:
    """Merge ``fields`` into the profile, field by field, where ``hlc`` is newer (LWW).

    Identity clashes: a local change raises Conflict; a newer remote one (cloud-merged) takes
    the identity over.
    """
    row = q.customer(tx.conn, customer_id)
    if row is None:
        tx.execute(
            "INSERT INTO customers (customer_id, name, created_at) VALUES (?, '', ?)",
            (customer_id, now),
        )
        stamps: dict[str, str] = {}
    else:
        stamps = json.loads(row["field_hlc"])
    for key, value in fields.items():
        if key not in PROFILE_FIELDS or stamps.get(key, "") >= hlc:
            continue
        if key in IDENTITY_KINDS:
            if value is not None:
                owner = q.customer_by_identity(tx.conn, key, value)
                if owner is not None and owner != customer_id:
                    if not remote:
                        raise Conflict(
                            f"{key} {value!r} already belongs to another customer", reason="identity_taken"
                        )
                    tx.execute("DELETE FROM customer_identities WHERE kind = ? AND value = ?", (key, value))
                    tx.execute(f"UPDATE customers SET {key} = NULL WHERE customer_id = ?", (owner,))
            tx.execute(
                "DELETE FROM customer_identities WHERE kind = ? AND customer_id = ?", (key, customer_id)
            )
            if value is not None:
                tx.execute("INSERT INTO customer_identities VALUES (?, ?, ?)", (key, value, customer_id))
        column_value = int(value) if key == "consent_marketing" else value
        tx.execute(f"UPDATE customers SET {key} = ? WHERE customer_id = ?", (column_value, customer_id))
        stamps[key] = hlc
    tx.execute("UPDATE customers SET field_hlc = ? WHERE customer_id = ?", (json.dumps(stamps), customer_id))


def write_consent_proof(tx: Tx, customer_id: str, proof: dict[str, Any]) -> None:
    """Keep the proof of the customer's latest consent act (``attributes.consent_proof``)."""
    tx.execute(
        "UPDATE customers SET attributes = json_set(attributes, '$.consent_proof', json(?)) WHERE customer_id = ?",
        (json.dumps(proof), customer_id),
    )


def apply_remote_consent_proof(
    tx: Tx, customer_id: str, fields: dict[str, Any], *, hlc: str, origin: str
) -> None:
    """A relayed consent change carries its proof (``consent_wording``, ``consent_at``,
    ``consent_channel``); it is kept when the change itself landed (its HLC won the field)."""
    if "consent_marketing" not in fields or not fields.get("consent_wording"):
        return
    row = q.customer(tx.conn, customer_id)
    if row is None or json.loads(row["field_hlc"]).get("consent_marketing") != hlc:
        return
    write_consent_proof(
        tx,
        customer_id,
        {
            "granted": bool(fields["consent_marketing"]),
            "at": str(fields.get("consent_at") or ""),
            "channel": str(fields.get("consent_channel") or origin),
            "wording_version": str(fields["consent_wording"]),
        },
    )
