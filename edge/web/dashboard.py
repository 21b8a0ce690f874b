"""Read models for the manager dashboard, computed from the replica with read-only SQL.

Stock follows the replica's fold (DESIGN.md): per (sku, zone) the last count plus every delta after
it in HLC order. Nothing here writes.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from sync.instants import instant_text

# Per (sku, zone): the latest count and the deltas after it.
CELLS_SQL = """
WITH cells AS (SELECT sku, zone FROM stock_counts UNION SELECT sku, zone FROM stock_deltas),
last_count AS (
    SELECT c.sku, c.zone, c.qty, c.hlc FROM stock_counts c
    JOIN (SELECT sku, zone, max(hlc) AS hlc FROM stock_counts GROUP BY sku, zone) m
      ON m.sku = c.sku AND m.zone = c.zone AND m.hlc = c.hlc
)
SELECT cells.sku, cells.zone,
       coalesce(lc.qty, 0) + coalesce((SELECT sum(d.qty) FROM stock_deltas d
                                        WHERE d.sku = cells.sku AND d.zone = cells.zone
                                          AND d.hlc > coalesce(lc.hlc, '')), 0) AS qty
FROM cells LEFT JOIN last_count lc ON lc.sku = cells.sku AND lc.zone = cells.zone
"""


class TodaySales(BaseModel):
    day: str
    sales: int
    revenue_cents: int
    average_basket_cents: int
    loyalty_rate: float = Field(description="share of today's sales with an identified loyalty customer")
    revenue_per_channel_cents: dict[str, int] = Field(
        description="till and kiosk sales by channel, the lines that picked up a reservation as "
        "'reservation', plus orders handed over today by kind (click_collect, reserve_in_store): "
        "a pickup is a sale of this store"
    )
    sales_per_hour: list[int] = Field(description="24 counts, store-local hours")
    returns: int
    refunds_cents: int


class LowStockItem(BaseModel):
    sku: str
    name: str
    qty: int


class ZoneCount(BaseModel):
    zone: str
    book: int = Field(description="stock the replica expected in this zone just before the count")
    counted: int


class Discrepancy(BaseModel):
    """One product whose count session found another quantity than the book, over the zones the
    session replaced (:mod:`sync.zones`: units found on another shelf are a relocation, no gap)."""

    sku: str
    name: str
    session: str
    book: int = Field(description="stock the replica expected just before the count, over the zones counted")
    counted: int
    at_hlc: str
    zones: list[ZoneCount] = Field(description="book vs counted per zone the session replaced")


class ReturnSummary(BaseModel):
    return_id: str
    receipt_id: str | None
    channel: str
    at: str
    refund_cents: int
    points_reversed: int


class Dashboard(BaseModel):
    today: TodaySales
    low_stock: list[LowStockItem]
    discrepancies: list[Discrepancy]
    returns: list[ReturnSummary]


def day_bounds(now: datetime) -> tuple[str, str]:
    """ISO-8601 UTC bounds of the store-local day containing ``now`` (an aware datetime)."""
    start_local = now.replace(hour=0, minute=0, second=0, microsecond=0)
    end_local = start_local + timedelta(days=1)
    return instant_text(start_local), instant_text(end_local)  # sync.instants: compared as instants


def today_sales(conn: sqlite3.Connection, now: datetime) -> TodaySales:
    start, end = day_bounds(now)
    rows = conn.execute(
        "SELECT channel, customer_id, total_cents, at, "
        "coalesce((SELECT sum(r.line_cents) FROM reservation_sales r WHERE r.receipt_id = sales.receipt_id), 0) "
        "FROM sales WHERE at >= ? AND at < ? AND baseline = 0",
        (start, end),
    ).fetchall()
    per_channel: dict[str, int] = {}
    per_hour = [0] * 24
    loyal = 0
    revenue = 0
    for channel, customer_id, total, at, reserved in rows:
        revenue += int(total)
        # the lines that picked up a reservation are the "reservation" channel's; the rest the sale's
        if reserved:
            per_channel["reservation"] = per_channel.get("reservation", 0) + int(reserved)
        if int(total) - int(reserved):
            per_channel[channel] = per_channel.get(channel, 0) + int(total) - int(reserved)
        loyal += 1 if customer_id else 0
        moment = _parse(at)
        if moment is not None:
            per_hour[moment.astimezone(now.tzinfo).hour] += 1
    # Orders handed over today (no sale row: the order is the sale), by kind.
    pickups = conn.execute(
        "SELECT kind, customer_id, total_cents, updated_at FROM orders "
        "WHERE state = 'collected' AND updated_at >= ? AND updated_at < ?",
        (start, end),
    ).fetchall()
    for kind, customer_id, total, at in pickups:
        revenue += int(total)
        per_channel[kind] = per_channel.get(kind, 0) + int(total)
        loyal += 1 if customer_id else 0
        moment = _parse(at)
        if moment is not None:
            per_hour[moment.astimezone(now.tzinfo).hour] += 1
    count = len(rows) + len(pickups)
    returned = conn.execute(
        "SELECT count(*), coalesce(sum(refund_cents), 0) FROM returns WHERE at >= ? AND at < ? AND baseline = 0",
        (start, end),
    ).fetchone()
    return TodaySales(
        day=now.date().isoformat(),
        sales=count,
        revenue_cents=revenue,
        average_basket_cents=revenue // count if count else 0,
        loyalty_rate=loyal / count if count else 0.0,
        revenue_per_channel_cents=per_channel,
        sales_per_hour=per_hour,
        returns=int(returned[0]),
        refunds_cents=int(returned[1]),
    )


def low_stock(conn: sqlite3.Connection, threshold: int, limit: int = 50) -> list[LowStockItem]:
    """Products whose on-hand stock (all zones) is at or below ``threshold``, lowest first."""
    rows = conn.execute(
        f"SELECT s.sku, coalesce(c.name, s.sku), sum(s.qty) AS qty FROM ({CELLS_SQL}) s "
        "LEFT JOIN catalog c ON c.sku = s.sku GROUP BY s.sku HAVING qty <= ? ORDER BY qty, s.sku LIMIT ?",
        (threshold, limit),
    ).fetchall()
    return [LowStockItem(sku=r[0], name=r[1], qty=int(r[2])) for r in rows]


def discrepancies(conn: sqlite3.Connection, limit: int = 50) -> list[Discrepancy]:
    """Products whose latest count session found another quantity than the book (sync.zones).

    Per (sku, zone) whose latest count came from a count session, book = the previous count of the
    cell (0 if none) plus the deltas between it and this count (HLC order); a product is a
    discrepancy when the totals over the zones its session replaced differ (a full-store count
    replaces every zone of the book, so stock booked in ``floor`` and found on ``shelf-a`` is a
    relocation). Opening counts (no session, the seed's, or the hub's bootstrap's) are the book
    itself and never discrepancies."""
    rows = conn.execute(
        """
        WITH latest AS (
            SELECT c.sku, c.zone, c.qty, c.hlc, c.session FROM stock_counts c
            JOIN (SELECT sku, zone, max(hlc) AS hlc FROM stock_counts GROUP BY sku, zone) m
              ON m.sku = c.sku AND m.zone = c.zone AND m.hlc = c.hlc
            WHERE c.session NOT IN ('', 'seed', 'bootstrap')
        )
        SELECT l.sku, coalesce(cat.name, l.sku), l.zone, l.session, l.qty, l.hlc,
               coalesce((SELECT p.qty FROM stock_counts p WHERE p.sku = l.sku AND p.zone = l.zone AND p.hlc < l.hlc
                         ORDER BY p.hlc DESC LIMIT 1), 0)
               + coalesce((SELECT sum(d.qty) FROM stock_deltas d WHERE d.sku = l.sku AND d.zone = l.zone
                           AND d.hlc < l.hlc
                           AND d.hlc > coalesce((SELECT max(p.hlc) FROM stock_counts p WHERE p.sku = l.sku
                                                 AND p.zone = l.zone AND p.hlc < l.hlc), '')), 0) AS book
        FROM latest l LEFT JOIN catalog cat ON cat.sku = l.sku
        """
    ).fetchall()
    grouped: dict[tuple[str, str], Discrepancy] = {}
    for sku, name, zone, session, counted, at_hlc, book in rows:
        d = grouped.setdefault(
            (str(sku), str(session)),
            Discrepancy(sku=sku, name=name, session=session, book=0, counted=0, at_hlc=at_hlc, zones=[]),
        )
        d.book += int(book)
        d.counted += int(counted)
        d.at_hlc = max(d.at_hlc, str(at_hlc))
        d.zones.append(ZoneCount(zone=zone, book=int(book), counted=int(counted)))
    found = [d for d in grouped.values() if d.book != d.counted]
    for d in found:
        d.zones.sort(key=lambda z: z.zone)
    found.sort(key=lambda d: (-abs(d.counted - d.book), d.sku))
    return found[:limit]


def recent_returns(conn: sqlite3.Connection, limit: int = 20) -> list[ReturnSummary]:
    rows = conn.execute(
        "SELECT return_id, receipt_id, channel, at, refund_cents, points_reversed FROM returns "
        "WHERE baseline = 0 ORDER BY hlc DESC LIMIT ?",
        (limit,),
    ).fetchall()
    return [
        ReturnSummary(
            return_id=r[0],
            receipt_id=r[1],
            channel=r[2],
            at=r[3],
            refund_cents=int(r[4]),
            points_reversed=int(r[5]),
        )
        for r in rows
    ]


def dashboard(conn: sqlite3.Connection, now: datetime, low_threshold: int) -> Dashboard:
    return Dashboard(
        today=today_sales(conn, now),
        low_stock=low_stock(conn, low_threshold),
        discrepancies=discrepancies(conn),
        returns=recent_returns(conn),
    )


def _parse(at: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment
