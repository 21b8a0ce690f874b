"""Customers: enrol, update (per-field last-writer-wins by HLC), identities, wishlist.

Identities (card, email, phone) are unique across customers at this store; the cloud merges
identities across channels and its ``customer.upsert`` ops win where they are newer.

A customer this store has never seen (registered online or at another store) is asked of the
cloud on a local miss (``lookup``/``get``, through a :class:`CustomerDirectory`) and adopted into
the replica without emitting an op (:mod:`edge.services.customer_adoption`); offline, the miss is
a NotFound that says so.
"""

from __future__ import annotations

import json
import re
import secrets
from typing import Any

from edge.errors import Invalid, NotFound
from edge.replica import queries as q
from edge.replica.customer_merge import (
    IDENTITY_KINDS,
    PROFILE_FIELDS,
    apply_customer_fields,
    write_consent_proof,
)
from edge.services.cloud_port import CloudCustomer, CustomerDirectory
from edge.services.context import StoreContext
from edge.services.customer_adoption import adopt
from edge.services.models import ConsentProof, CustomerView, WishlistView
from sync.phone import try_canonical_phone

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$")
CARD = re.compile(r"^[A-Z0-9-]{4,32}$")


def normalise_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Validated profile fields; unknown keys rejected. Raises Invalid."""
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key not in PROFILE_FIELDS:
            raise Invalid(f"unknown customer field {key!r}")
        if value is None:
            if key in {"name", "consent_marketing"}:
                raise Invalid(f"{key} cannot be cleared")
            out[key] = None
        elif key == "name":
            name = " ".join(str(value).split())
            if not 1 <= len(name) <= 120:
                raise Invalid("name must be 1 to 120 characters")
            out[key] = name
        elif key == "email":
            email = str(value).strip().lower()
            if not EMAIL.match(email):
                raise Invalid(f"not an email address: {value!r}")
            out[key] = email
        elif key == "phone":
            phone = try_canonical_phone(str(value))
            if phone is None:
                raise Invalid(f"not a phone number: {value!r} (e.g. +33 6 12 34 56 78)")
            out[key] = phone
        elif key == "card":
            card = str(value).strip().upper()
            if not CARD.match(card):
                raise Invalid("loyalty card must be 4 to 32 letters, digits or '-'")
            out[key] = card
        else:
            if not isinstance(value, bool):
                raise Invalid("consent_marketing must be true or false")
            out[key] = value
    return out


def consent_proof(row: Any) -> ConsentProof | None:
    try:
        found = json.loads(row["attributes"] or "{}").get("consent_proof")
        return ConsentProof(**found) if isinstance(found, dict) else None
    except (ValueError, TypeError):
        return None


NEEDS_WORDING = (
    "a marketing consent change needs consent_wording: the version of the wording the customer agreed "
    "to (their own act, kept as proof); nothing was changed"
)


def customer_view(row: Any) -> CustomerView:
    return CustomerView(
        consent_proof=consent_proof(row),
        customer_id=row["customer_id"],
        name=row["name"],
        email=row["email"],
        phone=row["phone"],
        card=row["card"],
        consent_marketing=bool(row["consent_marketing"]),
        created_at=row["created_at"],
    )


OFFLINE_MISS = "not known in this store; the cloud cannot be reached to look them up"


class CustomerService:
    def __init__(self, ctx: StoreContext, directory: CustomerDirectory | None = None) -> None:
        self.ctx = ctx
        self.directory = directory

    def enrol(
        self, fields: dict[str, Any], terms_version: str | None = None, consent_wording: str | None = None
    ) -> CustomerView:
        """New customer; a loyalty card number is issued when none is given. ``terms_version``, the
        programme terms the customer accepted, is kept with the profile (``attributes``) and sent to
        the hub in the same op as the consent (``consent`` of ``customer.upsert``).

        Marketing consent is written only when the customer gives it (``consent_marketing`` true,
        with ``consent_wording`` or, at the kiosk, the terms whose notice holds the box); a box
        left unticked is no act and writes nothing, so enrolling again under an identity the hub
        knows never turns an earlier consent off."""
        clean = normalise_fields(fields)
        if "name" not in clean:
            raise Invalid("name is required")
        wording = None
        if clean.get("consent_marketing"):
            wording = consent_wording or terms_version
            if not wording:
                raise Invalid(NEEDS_WORDING)
        else:
            clean.pop("consent_marketing", None)
        if not clean.get("card"):
            clean["card"] = "VC-" + secrets.token_hex(6).upper()
        customer_id = "c-" + secrets.token_hex(8)
        consent = None
        if terms_version:
            consent = {"terms_version": terms_version, "accepted_at": self.ctx.now_iso()}
        return self._write(customer_id, clean, must_exist=False, consent=consent, wording=wording)

    def update(
        self, customer_id: str, fields: dict[str, Any], consent_wording: str | None = None
    ) -> CustomerView:
        """Change profile fields; marketing consent only with ``consent_wording`` (Invalid otherwise)."""
        clean = normalise_fields(fields)
        if not clean:
            raise Invalid("nothing to update")
        if "consent_marketing" in clean and not consent_wording:
            raise Invalid(NEEDS_WORDING)
        wording = consent_wording if "consent_marketing" in clean else None
        return self._write(customer_id, clean, must_exist=True, wording=wording)

    def _write(
        self,
        customer_id: str,
        clean: dict[str, Any],
        must_exist: bool,
        consent: dict[str, str] | None = None,
        wording: str | None = None,
    ) -> CustomerView:
        with self.ctx.replica.write() as tx:
            if must_exist and q.customer(tx.conn, customer_id) is None:
                raise NotFound(f"unknown customer {customer_id!r}")
            hlc = tx.hlc()
            now = self.ctx.now_iso()
            apply_customer_fields(tx, customer_id, clean, hlc=hlc, now=now, remote=False)
            op_fields = dict(clean)
            if wording is not None:  # the customer's own act: its proof travels with the change
                proof = {
                    "granted": bool(clean["consent_marketing"]),
                    "at": now,
                    "channel": self.ctx.store_id,
                    "wording_version": wording,
                }
                write_consent_proof(tx, customer_id, proof)
                op_fields.update(consent_wording=wording, consent_at=now, consent_channel=self.ctx.store_id)
            body: dict[str, Any] = {"customer_id": customer_id, "fields": op_fields}
            if consent:
                body["consent"] = consent
                tx.execute(
                    "UPDATE customers SET attributes = json_patch(attributes, ?) WHERE customer_id = ?",
                    (json.dumps({"terms_version": consent["terms_version"],
                                 "terms_accepted_at": consent["accepted_at"]}), customer_id),
                )  # fmt: skip
            tx.emit("customer.upsert", body, hlc=hlc)
            row = q.customer(tx.conn, customer_id)
        return customer_view(row)

    def get(self, customer_id: str) -> CustomerView:
        """The customer; one unknown here is asked of the cloud (its answer carries the canonical
        id, which differs from ``customer_id`` when the cloud merged them). Raises NotFound."""
        row = q.customer(self.ctx.replica.reader(), customer_id)
        if row is not None:
            return customer_view(row)
        wanted = f"customer {customer_id!r}"
        return self._adopt(self._ask_cloud(wanted, customer_id=customer_id))

    def lookup(self, kind: str, value: str) -> CustomerView:
        """By card, email or phone; on a local miss the cloud is asked. Raises Invalid, NotFound."""
        if kind not in IDENTITY_KINDS:
            raise Invalid(f"lookup by one of {IDENTITY_KINDS}")
        normal = normalise_fields({kind: value})[kind]
        customer_id = q.customer_by_identity(self.ctx.replica.reader(), kind, normal)
        if customer_id is not None:
            return self.get(customer_id)
        wanted = f"customer with {kind} {normal!r}"
        return self._adopt(self._ask_cloud(wanted, kind=kind, value=normal), also=(kind, normal))

    def _ask_cloud(self, wanted: str, **query: str) -> CloudCustomer:
        record = self.directory.customer_for_lookup(**query) if self.directory is not None else None
        if record is None:
            raise NotFound(f"{wanted} is {OFFLINE_MISS}")
        return record

    def _adopt(self, record: CloudCustomer, also: tuple[str, str] | None = None) -> CustomerView:
        with self.ctx.replica.write() as tx:
            adopt(tx, record, self.ctx.now_iso(), also)
            row = q.customer(tx.conn, record.customer_id)
        return customer_view(row)

    def set_wishlist(self, customer_id: str, sku: str, present: bool) -> WishlistView:
        with self.ctx.replica.write() as tx:
            if q.customer(tx.conn, customer_id) is None:
                raise NotFound(f"unknown customer {customer_id!r}")
            if q.product(tx.conn, sku) is None:
                raise NotFound(f"unknown sku {sku!r}")
            op = tx.emit("wishlist.set", {"customer_id": customer_id, "sku": sku, "present": present})
            tx.execute(
                "INSERT INTO wishlist VALUES (?, ?, ?, ?) ON CONFLICT (customer_id, sku) "
                "DO UPDATE SET present = excluded.present, hlc = excluded.hlc WHERE excluded.hlc > wishlist.hlc",
                (customer_id, sku, int(present), op.hlc),
            )
        return self.wishlist(customer_id)

    def wishlist(self, customer_id: str) -> WishlistView:
        conn = self.ctx.replica.reader()
        if q.customer(conn, customer_id) is None:
            raise NotFound(f"unknown customer {customer_id!r}")
        rows = conn.execute(
            "SELECT sku FROM wishlist WHERE customer_id = ? AND present = 1 ORDER BY sku", (customer_id,)
        ).fetchall()
        return WishlistView(customer_id=customer_id, skus=[str(r[0]) for r in rows])
