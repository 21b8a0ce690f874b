"""Proof of marketing consent: each change, by the customer's own act, with its time, channel (online
or the store where the customer changed it) and the version of the wording they agreed to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from cloud.storage import schema as s
from cloud.timefmt import normalise, utc_now_text


def record(
    conn: Connection, customer_id: str, granted: bool, channel: str, wording: str, *, at: str | None = None
) -> None:
    """Keep one proof; ``at`` is the act's time (a store's, sent with its change), default now."""
    conn.execute(
        insert(s.consent_proofs).values(
            customer_id=customer_id,
            granted=granted,
            at=normalise(at) if at else utc_now_text(),
            channel=channel,
            wording_version=wording,
        )
    )


def latest(conn: Connection, customer_id: str) -> dict[str, Any] | None:
    cp = s.consent_proofs
    row = (
        conn.execute(
            select(cp.c.granted, cp.c.at, cp.c.channel, cp.c.wording_version)
            .where(cp.c.customer_id == customer_id)
            .order_by(cp.c.id.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    return None if row is None else {**row, "granted": bool(row["granted"])}
