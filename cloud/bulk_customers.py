"""Set-based projection of ``customer.upsert`` ops that merge nobody.

Contract: :func:`apply` leaves the same ``customers`` and ``customer_identities`` rows as calling
``customers.upsert_fields`` for each op in the given (stream) order, or — when one of the ops
would merge two customers — writes nothing and returns False, so the caller applies them one by
one at their place in the stream (a merge changes how other ops are attributed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, tuple_, update

from cloud import customers
from cloud.marketing import outbox
from cloud.storage import schema as s
from cloud.storage.sql import dumps, insert_ignore_many, loads
from cloud.timefmt import utc_now_text
from sync.ops import Op

Identity = tuple[str, str]
_CHUNK = 200


def _identities(op: Op) -> list[Identity]:
    fields = dict(op.body.get("fields") or {})
    return [
        (kind, customers.normalise_identity(kind, str(fields[kind])))
        for kind in customers.IDENTITY_KINDS
        if fields.get(kind)
    ]


def apply(conn: Connection, ops: Sequence[Op]) -> bool:
    ids = sorted({str(op.body["customer_id"]) for op in ops})
    canon = _canonical(conn, ids)
    claimed = {ident for op in ops for ident in _identities(op)}
    held = _holders(conn, sorted(claimed))
    stored = set(held)
    for op in ops:
        own = canon[str(op.body["customer_id"])]
        for ident in _identities(op):
            holder = held.setdefault(ident, own)
            if holder != own:
                return False
    now = utc_now_text()
    insert_ignore_many(
        conn,
        s.customers,
        [{"customer_id": c, "consent_marketing": False, "field_hlc": "{}", "created_at": now} for c in ids],
        ["customer_id"],
    )
    stamps = _stamps(conn, sorted(set(canon.values())))
    changed: dict[str, dict[str, Any]] = defaultdict(dict)
    for op in ops:
        cid = canon[str(op.body["customer_id"])]
        changes = customers.field_changes(stamps[cid], dict(op.body.get("fields") or {}), op.hlc)
        changed[cid].update(changes)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for cid, changes in changed.items():
        if changes:
            by_columns[tuple(sorted(changes))].append(
                {"k_id": cid, "field_hlc": dumps(stamps[cid]), **changes}
            )
    c = s.customers
    for columns, rows in by_columns.items():
        values: dict[str, Any] = {name: bindparam(name) for name in (*columns, "field_hlc")}
        conn.execute(update(c).where(c.c.customer_id == bindparam("k_id")).values(**values), rows)
    new = [
        {"kind": kind, "value": value, "customer_id": held[(kind, value)]}
        for kind, value in sorted(claimed - stored)
    ]
    insert_ignore_many(conn, s.customer_identities, new, ["kind", "value"])
    for cid, changes in changed.items():
        if changes.get("consent_marketing") is False:
            outbox.cancel_for(conn, cid)
    return True


def _canonical(conn: Connection, ids: list[str]) -> dict[str, str]:
    c = s.customers
    out = {i: i for i in ids}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            select(c.c.customer_id, c.c.merged_into).where(c.c.customer_id.in_(ids[start : start + _CHUNK]))
        )
        out.update((str(i), str(m)) for i, m in rows if m)
    return out


def _holders(conn: Connection, claimed: list[Identity]) -> dict[Identity, str]:
    """Canonical holder of each identity already linked."""
    i, c = s.customer_identities, s.customers
    out: dict[Identity, str] = {}
    for start in range(0, len(claimed), _CHUNK):
        rows = conn.execute(
            select(i.c.kind, i.c.value, func.coalesce(c.c.merged_into, i.c.customer_id))
            .select_from(i.outerjoin(c, c.c.customer_id == i.c.customer_id))
            .where(tuple_(i.c.kind, i.c.value).in_(claimed[start : start + _CHUNK]))
        )
        out.update(((str(k), str(v)), str(h)) for k, v, h in rows)
    return out


def _stamps(conn: Connection, ids: list[str]) -> dict[str, dict[str, str]]:
    c = s.customers
    out: dict[str, dict[str, str]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = conn.execute(
            select(c.c.customer_id, c.c.field_hlc).where(c.c.customer_id.in_(ids[start : start + _CHUNK]))
        )
        out.update((str(cid), dict(loads(stamp) or {})) for cid, stamp in rows)
    return out
