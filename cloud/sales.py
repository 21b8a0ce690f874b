"""Sales and returns projection (the facts the reports aggregate).

``sale_lines`` carries store, channel and day copied from its sale so reports scan one indexed
table. A receipt or return id is recorded once; re-delivery is a no-op.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, select

from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from cloud.timefmt import day_of, normalise, utc_now_text


def remove_sale(conn: Connection, receipt_id: str) -> None:
    conn.execute(delete(s.sale_lines).where(s.sale_lines.c.receipt_id == receipt_id))
    conn.execute(delete(s.sale_reservations).where(s.sale_reservations.c.receipt_id == receipt_id))
    conn.execute(delete(s.sales).where(s.sales.c.receipt_id == receipt_id))


def sale_channel(conn: Connection, receipt_id: str) -> str | None:
    found = conn.execute(select(s.sales.c.channel).where(s.sales.c.receipt_id == receipt_id)).scalar()
    return str(found) if found else None


def record_return(conn: Connection, body: dict[str, Any]) -> bool:
    """Returns are attributed to the channel of the original sale when it is known."""
    at = normalise(str(body.get("at") or utc_now_text()))
    receipt = str(body["receipt_id"])
    channel = sale_channel(conn, receipt) or str(body.get("channel") or "store")
    return insert_ignore(
        conn,
        s.returns,
        {
            "return_id": str(body["return_id"]),
            "receipt_id": receipt,
            "store": str(body["store"]),
            "channel": channel,
            "at": at,
            "day": day_of(at),
            "refund_cents": int(body.get("refund_cents") or 0),
            "item_count": sum(int(line.get("qty", 0)) for line in body.get("lines") or []),
            "points_reversed": int(body.get("points_reversed") or 0),
        },
        ["return_id"],
    )
