"""``customers.lookup``: a store asks for a customer it has never seen (card scanned at a kiosk,
email or phone typed at a handheld, or a customer id).

The answer is that one customer's record, as the store's replica needs it: the canonical id (after
merges), profile fields with their per-field HLC stamps (so the store merges them last-writer-wins
exactly like a ``customer.upsert`` from the downlink), identities, marketing consent, and the
loyalty balance as of an HLC the hub issues now. Nothing about any other customer.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, select

from cloud import consent, customers
from cloud.errors import InvalidInput, NotFound
from cloud.loyalty import ledger
from cloud.storage import schema as s
from cloud.storage.sql import loads
from sync.hlc import HybridClock

# Fields the cloud holds without a stamp (never written through an op) lose to any real write.
UNSTAMPED = "0000000000000.0000.cloud"
MAX_ID = 128
MAX_VALUE = 254


def _text(params: dict[str, Any], key: str, limit: int) -> str:
    value = params.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidInput(f"{key} must be a string of 1-{limit} characters")
    return value


def resolve(conn: Connection, params: dict[str, Any]) -> str:
    """The canonical id asked for by ``{customer_id}`` or ``{kind, value}``. Raises InvalidInput
    or NotFound."""
    by_id = "customer_id" in params
    by_identity = "kind" in params or "value" in params
    if by_id == by_identity:
        raise InvalidInput("customers.lookup needs either {customer_id} or {kind, value}")
    if by_id:
        cid = _text(params, "customer_id", MAX_ID)
        found = conn.execute(
            select(s.customers.c.customer_id).where(s.customers.c.customer_id == cid)
        ).scalar()
        if found is None:
            raise NotFound(f"unknown customer {cid!r}")
        return customers.canonical(conn, cid)
    kind = params.get("kind")
    if kind not in customers.IDENTITY_KINDS:
        raise InvalidInput(f"kind must be one of {list(customers.IDENTITY_KINDS)}")
    value = _text(params, "value", MAX_VALUE)
    found_id = customers.find_by_identity(conn, str(kind), value)
    if found_id is None:
        raise NotFound(f"no customer with {kind} {customers.normalise_identity(str(kind), value)!r}")
    return found_id


def customer_for_store(engine: Engine, clock: HybridClock, params: dict[str, Any]) -> dict[str, Any]:
    """``{customer_id, fields, field_hlc, identities, created_at, loyalty: {points, as_of_hlc},
    consent_proof: {granted, at, channel, wording_version} | null}`` (the latest consent act).

    ``fields`` holds the profile fields that have a value (``name``, ``email``, ``phone``,
    ``card``, ``consent_marketing``); ``field_hlc`` their stamps. ``loyalty.points`` is the hub's
    balance including every ledger entry it holds, all of which are older than ``as_of_hlc``."""
    with engine.connect() as conn:
        cid = resolve(conn, params)
        row = conn.execute(select(s.customers).where(s.customers.c.customer_id == cid)).mappings().one()
        stamps: dict[str, str] = loads(row["field_hlc"]) or {}
        fields = {
            name: bool(row[name]) if name == "consent_marketing" else row[name]
            for name in customers.PROFILE_FIELDS
            if row[name] is not None
        }
        identities = conn.execute(
            select(s.customer_identities.c.kind, s.customer_identities.c.value)
            .where(s.customer_identities.c.customer_id == cid)
            .order_by(s.customer_identities.c.kind, s.customer_identities.c.value)
        ).all()
        as_of = str(clock.now())
        points = ledger.balance(conn, cid)
        proof = consent.latest(conn, cid)
    return {
        "customer_id": cid,
        "fields": fields,
        "field_hlc": {name: str(stamps.get(name) or UNSTAMPED) for name in fields},
        "identities": [{"kind": str(k), "value": str(v)} for k, v in identities],
        "created_at": str(row["created_at"]),
        "loyalty": {"points": points, "as_of_hlc": as_of},
        "consent_proof": None if proof is None else {**proof, "at": str(proof["at"])},
    }
