"""customers.csv: profiles and identities (through the hub's customer services) and the evidence
of each marketing-consent decision (``customer_consents``).

An empty cell leaves the hub's value alone (it never erases). A customer whose email, phone or
card the hub already knows under another id is merged with it, as when a store meets them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select

from cloud import bulk_customers, customers
from cloud.errors import InvalidInput
from cloud.importing import values as v
from cloud.importing.context import Context
from cloud.importing.reader import Row
from cloud.importing.tally import FileTally
from cloud.storage import schema as s
from cloud.storage.sql import dumps, insert_ignore_many
from cloud.timefmt import utc_now_text
from sync.ops import CLOUD_ORIGIN, Op

PURPOSE = "marketing"


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
    for start in range(0, len(parsed), ctx.batch):
        _write(ctx, parsed[start : start + ctx.batch], tally)


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


def _write(ctx: Context, batch: list[_Customer], tally: FileTally) -> None:
    conn, c = ctx.conn, s.customers
    ids = [item.customer_id for item in batch]
    canon = {
        str(i): str(m) if m else str(i)
        for i, m in conn.execute(select(c.c.customer_id, c.c.merged_into).where(c.c.customer_id.in_(ids)))
    }
    profile_cols = [c.c[name] for name in customers.PROFILE_FIELDS]
    stored = {
        str(row[0]): dict(zip(customers.PROFILE_FIELDS, row[1:], strict=True))
        for row in conn.execute(
            select(c.c.customer_id, *profile_cols).where(c.c.customer_id.in_(sorted(set(canon.values()))))
        )
    }
    cs = s.customer_consents
    evidence = {
        (str(i), str(at))
        for i, at in conn.execute(select(cs.c.customer_id, cs.c.at).where(cs.c.customer_id.in_(ids)))
    }
    free = _free_identities(ctx, [item for item in batch if item.customer_id not in canon])
    ops: list[Op] = []
    fresh: list[tuple[_Customer, str]] = []
    consents: list[dict[str, Any]] = []
    for item in batch:
        known = item.customer_id in canon
        before = stored.get(canon.get(item.customer_id, ""), {})
        same_profile = known and all(_same(before.get(k), val) for k, val in item.fields.items())
        new_consent = item.consent is not None and (item.customer_id, item.consent["at"]) not in evidence
        if same_profile and not new_consent:
            tally.unchanged += 1
            continue
        if not known:
            tally.imported += 1
        else:
            tally.updated += 1
        if not known and item.customer_id in free:
            fresh.append((item, str(ctx.clock.now())))
        elif not same_profile:
            body = {"customer_id": item.customer_id, "fields": item.fields}
            ops.append(Op(CLOUD_ORIGIN, len(ops) + 1, str(ctx.clock.now()), "customer.upsert", body))
        if new_consent and item.consent is not None:
            consents.append({"customer_id": item.customer_id, **item.consent, "recorded_at": utc_now_text()})
    _insert_new(ctx, fresh)
    # The ops are the projection's input only: applied like a store's upserts, never journaled.
    if ops and not bulk_customers.apply(conn, ops):
        for op in ops:  # one of them merges two customers: each at its place, as the ingest does
            customers.upsert_fields(conn, str(op.body["customer_id"]), dict(op.body["fields"]), op.hlc)
    insert_ignore_many(conn, cs, consents, ["customer_id", "purpose", "at"])


def _same(stored: Any, given: Any) -> bool:
    if isinstance(given, bool):
        return stored is not None and bool(stored) == given
    return stored == given


def _free_identities(ctx: Context, new: list[_Customer]) -> set[str]:
    """Of the new customers, those whose email, phone and card nobody at the hub holds yet."""
    wanted = {
        (kind, item.fields[kind])
        for item in new
        for kind in customers.IDENTITY_KINDS
        if item.fields.get(kind)
    }
    i = s.customer_identities
    held: set[tuple[str, str]] = set()
    for kind in customers.IDENTITY_KINDS:
        values = sorted(value for k, value in wanted if k == kind)
        for start in range(0, len(values), ctx.batch):
            chunk = values[start : start + ctx.batch]
            held |= {
                (kind, str(x))
                for x in ctx.conn.execute(
                    select(i.c.value).where(i.c.kind == kind, i.c.value.in_(chunk))
                ).scalars()
            }
    return {
        item.customer_id
        for item in new
        if not any((kind, item.fields.get(kind)) in held for kind in customers.IDENTITY_KINDS)
    }


def _insert_new(ctx: Context, fresh: list[tuple[_Customer, str]]) -> None:
    """New customers claiming no held identity: the rows ``customers.upsert_fields`` would leave
    (each field stamped with the import's HLC, identities linked), in two bulk inserts."""
    if not fresh:
        return
    now = utc_now_text()
    rows = []
    links = []
    for item, hlc in fresh:
        profile = {name: item.fields.get(name) for name in customers.PROFILE_FIELDS}
        profile["consent_marketing"] = bool(item.fields.get("consent_marketing", False))
        stamps = {name: hlc for name in item.fields if name in customers.PROFILE_FIELDS}
        rows.append(
            {"customer_id": item.customer_id, **profile, "field_hlc": dumps(stamps), "created_at": now}
        )
        links += [
            {"kind": kind, "value": item.fields[kind], "customer_id": item.customer_id}
            for kind in customers.IDENTITY_KINDS
            if item.fields.get(kind)
        ]
    ctx.conn.execute(insert(s.customers), rows)
    if links:
        ctx.conn.execute(insert(s.customer_identities), links)
