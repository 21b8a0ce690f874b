"""customers.csv: profiles and identities (through the hub's customer services) and the evidence
of each marketing-consent decision (``customer_consents``).

An empty cell leaves the hub's value alone (it never erases). A customer whose email, phone or
card the hub already knows under another id is merged with it, as when a store meets them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from cloud import bulk_customers, customers
from cloud.errors import InvalidInput
from cloud.importing import values as v
from cloud.importing.batch import insert_rows
from cloud.importing.context import Context
from cloud.importing.reader import Row
from cloud.importing.tally import FileTally
from cloud.storage import schema as s
from cloud.storage.sql import dumps
from cloud.timefmt import utc_now_text
from sync.ops import CLOUD_ORIGIN, Op

PURPOSE = "marketing"
_MAX_LENGTH = {"email": 254, "phone": 32, "card": 64}  # the customers columns


@dataclass
class _Customer:
    line: int
    customer_id: str
    fields: dict[str, Any]
    consent: dict[str, Any] | None


def load(ctx: Context, rows: Iterable[Row], tally: FileTally) -> None:
    parsed: list[_Customer] = []
    seen: dict[str, int] = {}
    claimed: dict[tuple[str, str], tuple[str, int]] = {}
    for row in rows:
        try:
            item = _parse(row)
            if item.customer_id in seen:
                raise v.Bad(
                    "duplicate customer", f"{item.customer_id} already on line {seen[item.customer_id]}"
                )
            for kind in customers.IDENTITY_KINDS:
                value = item.fields.get(kind)
                holder = claimed.get((kind, value)) if value else None
                if holder is not None:
                    raise v.Bad(
                        f"duplicate {kind}", f"{value} already given to {holder[0]} on line {holder[1]}"
                    )
        except v.Bad as bad:
            tally.reject(row.line, bad.reason, bad.detail, row.raw)
            continue
        seen[item.customer_id] = row.line
        for kind in customers.IDENTITY_KINDS:
            if item.fields.get(kind):
                claimed[(kind, item.fields[kind])] = (item.customer_id, row.line)
        parsed.append(item)
    hub = _HubState.read(ctx)
    for start in range(0, len(parsed), ctx.batch):
        _write(ctx, hub, parsed[start : start + ctx.batch], tally)


def _parse(row: Row) -> _Customer:
    values = row.values
    cid = v.text(values, "customer_id", 64)
    fields: dict[str, Any] = {}
    name = v.text(values, "name", 200, required=False)
    if name:
        fields["name"] = name
    for kind in customers.IDENTITY_KINDS:
        raw = (values.get(kind) or "").strip()
        if raw:
            try:
                fields[kind] = customers.normalise_identity(kind, raw)
            except InvalidInput as err:
                raise v.Bad(f"bad {kind}", str(err)) from err
            if len(fields[kind]) > _MAX_LENGTH[kind]:
                raise v.Bad(f"bad {kind}", f"longer than {_MAX_LENGTH[kind]} characters")
    consent = None
    decision = (values.get("marketing_consent") or "").strip()
    if decision:
        granted = v.flag(decision, "marketing_consent")
        fields["consent_marketing"] = granted
        at_text = (values.get("consent_at") or "").strip()
        channel = v.text(values, "consent_channel", 32, required=False)
        wording = v.text(values, "consent_wording", 64, required=False)
        if granted and not (at_text and channel and wording):
            raise v.Bad(
                "consent without evidence",
                "marketing_consent=yes needs consent_at, consent_channel, consent_wording",
            )
        if at_text:
            consent = {
                "purpose": PURPOSE,
                "at": v.moment(at_text, "consent_at"),
                "granted": granted,
                "channel": channel or "unspecified",
                "wording_version": wording or "unspecified",
            }
    return _Customer(row.line, cid, fields, consent)


@dataclass
class _HubState:
    """What the hub holds, read once per file (a scan each, instead of a lookup per batch)."""

    canon: dict[str, str]  # every customer id -> its surviving id
    profiles: dict[str, dict[str, Any]]  # surviving id -> profile fields
    held: set[tuple[str, str]]  # (kind, value) of every linked identity
    evidence: set[tuple[str, str]]  # (customer id, at) of every recorded consent decision

    @classmethod
    def read(cls, ctx: Context) -> _HubState:
        c, i, cs = s.customers, s.customer_identities, s.customer_consents
        canon: dict[str, str] = {}
        profiles: dict[str, dict[str, Any]] = {}
        for row in ctx.conn.execute(
            select(c.c.customer_id, c.c.merged_into, *[c.c[f] for f in customers.PROFILE_FIELDS])
        ):
            cid = str(row[0])
            canon[cid] = str(row[1]) if row[1] else cid
            profiles[cid] = dict(zip(customers.PROFILE_FIELDS, row[2:], strict=True))
        held = {(str(k), str(val)) for k, val in ctx.conn.execute(select(i.c.kind, i.c.value))}
        evidence = {
            (str(k), str(at))
            for k, at in ctx.conn.execute(select(cs.c.customer_id, cs.c.at).where(cs.c.purpose == PURPOSE))
        }
        return cls(canon, profiles, held, evidence)


def _write(ctx: Context, hub: _HubState, batch: list[_Customer], tally: FileTally) -> None:
    ops: list[Op] = []
    fresh: list[_Customer] = []
    consents: list[dict[str, Any]] = []
    now = utc_now_text()
    for item in batch:
        known = item.customer_id in hub.canon
        before = hub.profiles.get(hub.canon.get(item.customer_id, ""), {})
        same_profile = known and all(_same(before.get(k), val) for k, val in item.fields.items())
        new_consent = item.consent is not None and (item.customer_id, item.consent["at"]) not in hub.evidence
        if same_profile and not new_consent:
            tally.unchanged += 1
            continue
        if not known:
            tally.imported += 1
        else:
            tally.updated += 1
        claims = {(kind, item.fields[kind]) for kind in customers.IDENTITY_KINDS if item.fields.get(kind)}
        if not known and not claims & hub.held:
            fresh.append(item)
        elif not same_profile:
            body = {"customer_id": item.customer_id, "fields": item.fields}
            ops.append(Op(CLOUD_ORIGIN, len(ops) + 1, str(ctx.clock.now()), "customer.upsert", body))
        if new_consent and item.consent is not None:
            consents.append({"customer_id": item.customer_id, **item.consent, "recorded_at": now})
    _insert_new(ctx, fresh, str(ctx.clock.now()))
    # The ops are the projection's input only: applied like a store's upserts, never journaled.
    if ops and not bulk_customers.apply(ctx.conn, ops):
        for op in ops:  # one of them merges two customers: each at its place, as the ingest does
            customers.upsert_fields(ctx.conn, str(op.body["customer_id"]), dict(op.body["fields"]), op.hlc)
    insert_rows(ctx.conn, s.customer_consents, consents, ["customer_id", "purpose", "at"])


def _same(stored: Any, given: Any) -> bool:
    if isinstance(given, bool):
        return stored is not None and bool(stored) == given
    return stored == given


def _insert_new(ctx: Context, fresh: list[_Customer], hlc: str) -> None:
    """New customers claiming no held identity: the rows ``customers.upsert_fields`` would leave
    (each given field stamped with the import's ``hlc``, identities linked), in bulk inserts."""
    now = utc_now_text()
    rows = []
    links = []
    stamps: dict[tuple[str, ...], str] = {}  # JSON of {field: hlc}, per set of given fields
    for item in fresh:
        profile = {name: item.fields.get(name) for name in customers.PROFILE_FIELDS}
        profile["consent_marketing"] = bool(item.fields.get("consent_marketing", False))
        given = tuple(name for name in item.fields if name in customers.PROFILE_FIELDS)
        if given not in stamps:
            stamps[given] = dumps(dict.fromkeys(given, hlc))
        rows.append(
            {"customer_id": item.customer_id, **profile, "field_hlc": stamps[given], "created_at": now}
        )
        links += [
            {"kind": kind, "value": item.fields[kind], "customer_id": item.customer_id}
            for kind in customers.IDENTITY_KINDS
            if item.fields.get(kind)
        ]
    insert_rows(ctx.conn, s.customers, rows)
    insert_rows(ctx.conn, s.customer_identities, links)
