"""Customer accounts for the web shop: one profile, one ledger, whole history across channels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from cloud import consent, customers, projections
from cloud.errors import Conflict, InvalidInput
from cloud.loyalty import ledger
from cloud.storage import schema as s
from cloud.timefmt import utc_now_text
from sync.hlc import HybridClock

CONSENT_FIELD = "consent_marketing"


def register(conn: Connection, clock: HybridClock, fields: dict[str, Any]) -> dict[str, Any]:
    """Create a customer. An identity (email, phone, card) that already belongs to a customer is a
    :class:`Conflict` naming that customer and the way forward; nothing is overwritten."""
    wording = fields.get("consent_wording")
    given = {k: v for k, v in fields.items() if k in customers.PROFILE_FIELDS and v is not None}
    idents = [(k, str(given[k])) for k in customers.IDENTITY_KINDS if given.get(k)]
    if not idents:
        raise InvalidInput("a customer needs an email, a phone or a loyalty card")
    for kind, value in idents:
        found = customers.find_by_identity(conn, kind, value)
        if found is not None:
            raise Conflict(
                f"a customer with this {kind} already exists ({found}); nothing was changed. Sign the "
                f"customer in and change their profile with PATCH /shop/v1/customers/{found}, or, if "
                f"this is the same person, add the other identities with POST "
                f"/shop/v1/customers/{found}/identities (which merges them explicitly)"
            )
    if given.get(CONSENT_FIELD) and not wording:
        raise InvalidInput(
            "marketing consent needs consent_wording: the version of the wording the customer agreed to"
        )
    cid = customers.new_customer_id()
    now = utc_now_text()
    _emit(conn, clock, cid, _with_proof(given, wording, now))
    if wording and CONSENT_FIELD in given:
        consent.record(conn, cid, bool(given[CONSENT_FIELD]), "online", str(wording), at=now)
    return account(conn, customers.canonical(conn, cid))


def add_identity(
    conn: Connection, clock: HybridClock, customer_id: str, kind: str, value: str
) -> dict[str, Any]:
    """Add an identity; if it belongs to another customer, the two are merged (explicitly)."""
    cid = customers.canonical(conn, customer_id)
    customers.profile(conn, cid)
    _emit(conn, clock, cid, {kind: value})
    return account(conn, customers.canonical(conn, cid))


def update_profile(
    conn: Connection, clock: HybridClock, customer_id: str, fields: dict[str, Any]
) -> dict[str, Any]:
    """Change profile fields. Marketing consent changes only with ``consent_wording`` (the version of
    the wording the customer agreed to): it is the customer's own act, kept as proof."""
    cid = customers.canonical(conn, customer_id)
    customers.profile(conn, cid)
    wording = fields.get("consent_wording")
    changes = {k: v for k, v in fields.items() if k in customers.PROFILE_FIELDS and v is not None}
    if CONSENT_FIELD in changes and not wording:
        raise InvalidInput(
            "marketing consent changes only by the customer's own act: send consent_wording, the "
            "version of the wording they agreed to"
        )
    if not changes:
        raise InvalidInput("nothing to change")
    now = utc_now_text()
    _emit(conn, clock, cid, _with_proof(changes, wording, now))
    if CONSENT_FIELD in changes:
        consent.record(conn, cid, bool(changes[CONSENT_FIELD]), "online", str(wording), at=now)
    return account(conn, customers.canonical(conn, cid))


def _with_proof(fields: dict[str, Any], wording: Any, at: str) -> dict[str, Any]:
    """A consent change travels with its proof, so the stores holding the customer show it."""
    if CONSENT_FIELD not in fields or not wording:
        return fields
    return {**fields, "consent_wording": str(wording), "consent_at": at, "consent_channel": "online"}


def _emit(conn: Connection, clock: HybridClock, cid: str, fields: dict[str, Any]) -> None:
    """The change as a ``customer.upsert`` cloud op: folded here and relayed to every store holding
    the customer (:mod:`cloud.customer_relay`)."""
    projections.emit(conn, clock, [("customer.upsert", {"customer_id": cid, "fields": fields})])


def account(conn: Connection, customer_id: str) -> dict[str, Any]:
    prof = customers.profile(conn, customer_id)
    cid = prof["customer_id"]
    purchases = conn.execute(
        select(s.sales.c.receipt_id, s.sales.c.store, s.sales.c.channel, s.sales.c.at, s.sales.c.total_cents)
        .where(s.sales.c.customer_id == cid)
        .order_by(s.sales.c.at)
    ).mappings()
    order_rows = conn.execute(
        select(
            s.orders.c.order_id, s.orders.c.kind, s.orders.c.store, s.orders.c.state, s.orders.c.total_cents
        )
        .where(s.orders.c.customer_id == cid)
        .order_by(s.orders.c.created_at)
    ).mappings()
    return {
        **prof,
        "points": ledger.balance(conn, cid),
        "consent_proof": consent.latest(conn, cid),
        "ledger": ledger.history(conn, cid),
        "purchases": [dict(r) for r in purchases],
        "orders": [dict(r) for r in order_rows],
    }
