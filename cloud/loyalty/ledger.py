"""The loyalty ledger: entries with unique ids; balance = sum of points per (canonical) customer.

An entry that drives a balance below zero is recorded (never dropped) and flagged in
``overdrafts`` — that is how double spending across offline stores is detected at merge.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from cloud import customers
from cloud.errors import InvalidInput
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from cloud.timefmt import normalise, utc_now_text
from sync.vocabulary import LOYALTY_KINDS

_SIGN = {"earn": 1, "redeem": -1, "reverse": -1, "expire": -1}


def validate_entry(body: dict[str, Any]) -> None:
    kind = body.get("kind")
    if kind not in LOYALTY_KINDS:
        raise InvalidInput(f"unknown loyalty entry kind {kind!r}")
    points = int(body.get("points", 0))
    sign = _SIGN.get(str(kind))
    if sign is not None and points * sign < 0:
        raise InvalidInput(f"{kind} entry has points of the wrong sign: {points}")


def add_entry(conn: Connection, body: dict[str, Any], hlc: str) -> bool:
    """Record one ``loyalty.entry`` body; False if its ``entry_id`` was already recorded."""
    validate_entry(body)
    original = str(body["customer_id"])
    cid = customers.ensure(conn, original)
    at = normalise(str(body.get("at") or utc_now_text()))
    inserted = insert_ignore(
        conn,
        s.loyalty_ledger,
        {
            "entry_id": str(body["entry_id"]),
            "customer_id": cid,
            "original_customer_id": original,
            "kind": str(body["kind"]),
            "points": int(body["points"]),
            "ref": body.get("ref"),
            "channel": body.get("channel"),
            "store": body.get("store"),
            "at": at,
            "hlc": hlc,
            "lease_id": body.get("lease_id"),
        },
        ["entry_id"],
    )
    if inserted and int(body["points"]) < 0:
        after = balance(conn, cid)
        if after < 0:
            insert_ignore(
                conn,
                s.overdrafts,
                {
                    "customer_id": cid,
                    "entry_id": str(body["entry_id"]),
                    "store": body.get("store"),
                    "balance_after": after,
                    "detected_at": utc_now_text(),
                },
                ["entry_id"],
            )
    return inserted


def balance(conn: Connection, customer_id: str) -> int:
    cid = customers.canonical(conn, customer_id)
    total = conn.execute(
        select(func.coalesce(func.sum(s.loyalty_ledger.c.points), 0)).where(
            s.loyalty_ledger.c.customer_id == cid
        )
    ).scalar_one()
    return int(total)


def history(conn: Connection, customer_id: str, limit: int = 500) -> list[dict[str, Any]]:
    cid = customers.canonical(conn, customer_id)
    rows = conn.execute(
        select(s.loyalty_ledger)
        .where(s.loyalty_ledger.c.customer_id == cid)
        .order_by(s.loyalty_ledger.c.at, s.loyalty_ledger.c.entry_id)
        .limit(limit)
    ).mappings()
    return [
        {
            k: r[k]
            for k in ("entry_id", "kind", "points", "ref", "channel", "store", "at", "original_customer_id")
        }
        for r in rows
    ]


def overdraft_report(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(s.overdrafts).order_by(s.overdrafts.c.id)).mappings()
    return [dict(r) for r in rows]
