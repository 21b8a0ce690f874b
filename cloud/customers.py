"""One customer across channels: profiles (per-field LWW by HLC), identities, merges.

Identities (normalised email, phone, loyalty card) map to exactly one customer id. When a new
profile claims an identity already held by another customer, the two are merged: the older
profile survives, the other points at it (``merged_into``), and every ledger entry, sale,
order and identity moves to the survivor, so history and balance are whole.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import Connection, select, update

from cloud.errors import InvalidInput, NotFound
from cloud.marketing import outbox
from cloud.storage import schema as s
from cloud.storage.sql import dumps, insert_ignore, loads
from cloud.timefmt import utc_now_text
from sync.phone import try_canonical_phone

IDENTITY_KINDS = ("email", "phone", "card")
PROFILE_FIELDS = ("name", "email", "phone", "card", "consent_marketing")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_identity(kind: str, value: str) -> str:
    value = str(value).strip()
    if kind == "email":
        value = value.lower()
        if not _EMAIL.match(value):
            raise InvalidInput(f"not an email address: {value!r}")
    elif kind == "phone":
        # E.164 whenever the number is possible; a store op written before E.164 keeps its digits
        digits = re.sub(r"[^\d+]", "", value)
        if len(re.sub(r"\D", "", digits)) < 6:
            raise InvalidInput(f"not a phone number: {value!r} (e.g. +33 6 12 34 56 78)")
        value = try_canonical_phone(value) or digits
    elif kind == "card":
        if not value or len(value) > 64:
            raise InvalidInput("loyalty card id must be 1-64 characters")
    else:
        raise InvalidInput(f"unknown identity kind {kind!r}")
    return value


def canonical(conn: Connection, customer_id: str) -> str:
    """The surviving id of ``customer_id`` (itself when never merged)."""
    merged = conn.execute(
        select(s.customers.c.merged_into).where(s.customers.c.customer_id == customer_id)
    ).scalar()
    return str(merged) if merged else customer_id


def ensure(conn: Connection, customer_id: str) -> str:
    """Create a stub profile if ``customer_id`` is unknown; returns the canonical id."""
    insert_ignore(
        conn,
        s.customers,
        {
            "customer_id": customer_id,
            "consent_marketing": False,
            "field_hlc": "{}",
            "created_at": utc_now_text(),
        },
        ["customer_id"],
    )
    return canonical(conn, customer_id)


def new_customer_id() -> str:
    return "c-" + uuid.uuid4().hex[:16]


def upsert_fields(conn: Connection, customer_id: str, fields: dict[str, Any], hlc: str) -> str:
    """Apply profile ``fields`` written at ``hlc``: each field keeps the value with the greatest HLC.
    Identity fields are (re)linked, merging customers that share one. Returns the canonical id."""
    cid = ensure(conn, customer_id)
    row = conn.execute(select(s.customers).where(s.customers.c.customer_id == cid)).mappings().one()
    stamps: dict[str, str] = loads(row["field_hlc"]) or {}
    changes = field_changes(stamps, fields, hlc)
    if changes:
        conn.execute(
            update(s.customers)
            .where(s.customers.c.customer_id == cid)
            .values(**changes, field_hlc=dumps(stamps))
        )
        if changes.get("consent_marketing") is False:
            outbox.cancel_for(conn, cid)
    for kind in IDENTITY_KINDS:
        value = fields.get(kind)
        if value:
            cid = link_identity(conn, cid, kind, str(value))
    return cid


def field_changes(stamps: dict[str, str], fields: dict[str, Any], hlc: str) -> dict[str, Any]:
    """The profile fields ``fields`` written at ``hlc`` change (each field keeps the value with the
    greatest HLC); ``stamps`` (field -> HLC) is updated in place."""
    changes: dict[str, Any] = {}
    for name, value in fields.items():
        if name not in PROFILE_FIELDS or hlc <= stamps.get(name, ""):
            continue
        if name in IDENTITY_KINDS and value is not None:
            changes[name] = normalise_identity(name, value)
        elif name == "consent_marketing":
            changes[name] = bool(value)
        else:
            changes[name] = value
        stamps[name] = hlc
    return changes


def link_identity(conn: Connection, customer_id: str, kind: str, value: str) -> str:
    """Attach identity ``kind:value`` to ``customer_id``; if another customer holds it, merge the two.
    Returns the surviving canonical id."""
    value = normalise_identity(kind, value)
    cid = canonical(conn, customer_id)
    if insert_ignore(
        conn, s.customer_identities, {"kind": kind, "value": value, "customer_id": cid}, ["kind", "value"]
    ):
        return cid
    holder = canonical(
        conn,
        str(
            conn.execute(
                select(s.customer_identities.c.customer_id).where(
                    s.customer_identities.c.kind == kind, s.customer_identities.c.value == value
                )
            ).scalar_one()
        ),
    )
    if holder == cid:
        return cid
    return merge(conn, cid, holder)


def find_by_identity(conn: Connection, kind: str, value: str) -> str | None:
    value = normalise_identity(kind, value)
    found = conn.execute(
        select(s.customer_identities.c.customer_id).where(
            s.customer_identities.c.kind == kind, s.customer_identities.c.value == value
        )
    ).scalar()
    return canonical(conn, str(found)) if found else None


def merge(conn: Connection, a: str, b: str) -> str:
    """Merge customers ``a`` and ``b``; the one created first survives. Returns the survivor's id."""
    a, b = canonical(conn, a), canonical(conn, b)
    if a == b:
        return a
    rows = {
        r["customer_id"]: r
        for r in conn.execute(select(s.customers).where(s.customers.c.customer_id.in_([a, b]))).mappings()
    }
    if a not in rows or b not in rows:
        raise NotFound("cannot merge an unknown customer")
    survivor, other = sorted((a, b), key=lambda c: (rows[c]["created_at"], c))
    keep, gone = rows[survivor], rows[other]
    keep_stamps: dict[str, str] = loads(keep["field_hlc"]) or {}
    gone_stamps: dict[str, str] = loads(gone["field_hlc"]) or {}
    changes: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if gone[name] is not None and gone_stamps.get(name, "") > keep_stamps.get(name, ""):
            changes[name] = gone[name]
            keep_stamps[name] = gone_stamps[name]
    seen = [v for v in (keep["last_seen_at"], gone["last_seen_at"]) if v]
    conn.execute(
        update(s.customers)
        .where(s.customers.c.customer_id == survivor)
        .values(**changes, field_hlc=dumps(keep_stamps), last_seen_at=max(seen) if seen else None)
    )
    conn.execute(update(s.customers).where(s.customers.c.customer_id == other).values(merged_into=survivor))
    conn.execute(update(s.customers).where(s.customers.c.merged_into == other).values(merged_into=survivor))
    for table in (
        s.customer_identities,
        s.loyalty_ledger,
        s.allowances,
        s.overdrafts,
        s.sales,
        s.orders,
        s.consent_proofs,
        s.reservations,
    ):
        conn.execute(update(table).where(table.c.customer_id == other).values(customer_id=survivor))
    return survivor


def profile(conn: Connection, customer_id: str) -> dict[str, Any]:
    cid = canonical(conn, customer_id)
    row = conn.execute(select(s.customers).where(s.customers.c.customer_id == cid)).mappings().first()
    if row is None:
        raise NotFound(f"unknown customer {customer_id!r}")
    idents = conn.execute(
        select(s.customer_identities.c.kind, s.customer_identities.c.value).where(
            s.customer_identities.c.customer_id == cid
        )
    ).all()
    merged = (
        conn.execute(select(s.customers.c.customer_id).where(s.customers.c.merged_into == cid))
        .scalars()
        .all()
    )
    return {
        "customer_id": cid,
        "name": row["name"],
        "email": row["email"],
        "phone": row["phone"],
        "card": row["card"],
        "consent_marketing": bool(row["consent_marketing"]),
        "identities": [{"kind": k, "value": v} for k, v in sorted(idents)],
        "merged_ids": sorted(str(m) for m in merged),
        "created_at": row["created_at"],
        "last_seen_at": row["last_seen_at"],
    }
