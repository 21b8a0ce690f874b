"""Reports computed by SQL in the database (SQLite and PostgreSQL), for any date range.

Every report is ``fn(conn, start_day, end_day) -> list[row dict]`` over inclusive ``YYYY-MM-DD``
days, filtered on indexed ``day`` columns. Money in cents, rates as fractions 0-1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Integer, case, cast, distinct, func, select

from cloud.errors import InvalidInput
from cloud.storage import schema as s

Row = dict[str, Any]
RESERVATION_CHANNEL = "reservation"  # the sale lines that picked up a reservation in a store


def _num(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return 0 if value is None else value


def _rows(result: Any) -> list[Row]:
    return [{k: _num(v) if not isinstance(v, str) else v for k, v in r.items()} for r in result.mappings()]


def _ratio(num: Any, den: Any) -> float:
    return round(float(num) / float(den), 6) if den else 0.0


def check_range(start: str, end: str) -> tuple[str, str]:
    try:
        a, b = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as err:
        raise InvalidInput(f"dates must be YYYY-MM-DD: {err}") from err
    if b < a:
        raise InvalidInput("end date is before start date")
    return a.isoformat(), b.isoformat()


def revenue(conn: Connection, start: str, end: str, by: str = "channel") -> list[Row]:
    """Revenue per channel or per store: receipts, revenue (after line discounts), units.

    Read from the receipt-level projection (``sales``: one row per receipt with its total and item
    count), not from ``sale_lines``: the same figures from a table several times smaller, with no
    COUNT(DISTINCT receipt).

    Per channel, online orders count in their own channel (``online``, ``click_collect``,
    ``reserve``, ``ship_from_store``) from the day they are placed until they are cancelled; the
    lines of a store sale that picked up a reservation count as ``reservation`` (as on the store
    manager's dashboard), the rest of that receipt in its own channel. ``receipts`` is the number
    of receipts with revenue in the row, so a receipt mixing both counts in both rows."""
    if by not in ("channel", "store"):
        raise InvalidInput("by must be channel or store")
    sa = s.sales
    key = sa.c.channel if by == "channel" else sa.c.store
    stmt = (
        select(
            key.label(by),
            func.sum(sa.c.total_cents).label("revenue_cents"),
            func.count().label("receipts"),
            func.sum(sa.c.item_count).label("units"),
        )
        .where(sa.c.day >= start, sa.c.day <= end)
        .group_by(key)
        .order_by(key)
    )
    rows = _rows(conn.execute(stmt))
    return _split_reservations(conn, start, end, rows) if by == "channel" else rows


def _split_reservations(conn: Connection, start: str, end: str, rows: list[Row]) -> list[Row]:
    """Move the sale lines that picked up a reservation from their receipt's channel to
    ``reservation``."""
    sa, sr = s.sales, s.sale_reservations
    per_receipt = (
        select(
            sr.c.receipt_id,
            func.sum(sr.c.line_cents).label("cents"),
            func.sum(sr.c.qty).label("qty"),
        )
        .where(sr.c.day >= start, sr.c.day <= end)  # the sale's day, as sales.day
        .group_by(sr.c.receipt_id)
        .subquery()
    )
    p = per_receipt
    picked = _rows(
        conn.execute(
            select(
                sa.c.channel,
                func.sum(p.c.cents).label("cents"),
                func.sum(p.c.qty).label("qty"),
                func.count().label("receipts"),
                func.sum(cast(case((p.c.qty >= sa.c.item_count, 1), else_=0), Integer)).label("only"),
            )
            .join(p, p.c.receipt_id == sa.c.receipt_id)
            .where(sa.c.day >= start, sa.c.day <= end)
            .group_by(sa.c.channel)
        )
    )
    if not picked:
        return rows
    by_channel = {r["channel"]: r for r in rows}
    total = {"channel": RESERVATION_CHANNEL, "revenue_cents": 0, "receipts": 0, "units": 0}
    for r in picked:
        row = by_channel[r["channel"]]
        row["revenue_cents"] -= r["cents"]
        row["units"] -= r["qty"]
        row["receipts"] -= r["only"]
        total["revenue_cents"] += r["cents"]
        total["units"] += r["qty"]
        total["receipts"] += r["receipts"]
    merged = [r for r in rows if r["receipts"] or r["revenue_cents"] or r["units"]] + [total]
    return sorted(merged, key=lambda r: str(r["channel"]))


def average_basket(conn: Connection, start: str, end: str) -> list[Row]:
    """Per store and channel: receipts, average basket value and size."""
    sa = s.sales
    stmt = (
        select(
            sa.c.store,
            sa.c.channel,
            func.count().label("receipts"),
            func.sum(sa.c.total_cents).label("revenue_cents"),
            func.sum(sa.c.item_count).label("items"),
        )
        .where(sa.c.day >= start, sa.c.day <= end)
        .group_by(sa.c.store, sa.c.channel)
        .order_by(sa.c.store, sa.c.channel)
    )
    out = _rows(conn.execute(stmt))
    for r in out:
        r["avg_basket_cents"] = round(_ratio(r["revenue_cents"], r["receipts"]), 2)
        r["avg_items"] = round(_ratio(r["items"], r["receipts"]), 3)
    return out


def visit_frequency(conn: Connection, start: str, end: str) -> list[Row]:
    """Per store: identified customers and their average number of visit days in the range."""
    sa = s.sales
    visits = (
        select(sa.c.store, sa.c.customer_id, func.count(distinct(sa.c.day)).label("days"))
        .where(sa.c.day >= start, sa.c.day <= end, sa.c.customer_id.is_not(None))
        .group_by(sa.c.store, sa.c.customer_id)
        .subquery()
    )
    stmt = (
        select(
            visits.c.store,
            func.count().label("customers"),
            func.sum(visits.c.days).label("visit_days"),
            func.max(visits.c.days).label("max_visit_days"),
        )
        .group_by(visits.c.store)
        .order_by(visits.c.store)
    )
    out = _rows(conn.execute(stmt))
    for r in out:
        r["avg_visits_per_customer"] = round(_ratio(r["visit_days"], r["customers"]), 3)
    return out


def loyalty_rate(conn: Connection, start: str, end: str) -> list[Row]:
    """Per store: share of receipts with an identified loyalty customer."""
    sa = s.sales
    stmt = (
        select(
            sa.c.store,
            func.count().label("receipts"),
            func.sum(cast(case((sa.c.customer_id.is_not(None), 1), else_=0), Integer)).label(
                "loyalty_receipts"
            ),
        )
        .where(sa.c.day >= start, sa.c.day <= end)
        .group_by(sa.c.store)
        .order_by(sa.c.store)
    )
    out = _rows(conn.execute(stmt))
    for r in out:
        r["loyalty_rate"] = _ratio(r["loyalty_receipts"], r["receipts"])
    return out


def return_rate(conn: Connection, start: str, end: str) -> list[Row]:
    """Per channel of the original sale: items sold, items returned, refund vs revenue."""
    sa, rt = s.sales, s.returns
    sold = dict(
        (r[0], (int(_num(r[1])), int(_num(r[2]))))
        for r in conn.execute(
            select(sa.c.channel, func.sum(sa.c.item_count), func.sum(sa.c.total_cents))
            .where(sa.c.day >= start, sa.c.day <= end)
            .group_by(sa.c.channel)
        )
    )
    back = dict(
        (r[0], (int(_num(r[1])), int(_num(r[2])), int(_num(r[3]))))
        for r in conn.execute(
            select(rt.c.channel, func.sum(rt.c.item_count), func.sum(rt.c.refund_cents), func.count())
            .where(rt.c.day >= start, rt.c.day <= end)
            .group_by(rt.c.channel)
        )
    )
    out = []
    for channel in sorted(set(sold) | set(back)):
        items, revenue_cents = sold.get(channel, (0, 0))
        r_items, refund, returns_count = back.get(channel, (0, 0, 0))
        out.append(
            {
                "channel": channel,
                "items_sold": items,
                "items_returned": r_items,
                "returns": returns_count,
                "revenue_cents": revenue_cents,
                "refund_cents": refund,
                "return_rate": _ratio(r_items, items),
                "refund_rate": _ratio(refund, revenue_cents),
            }
        )
    return out


def stock_accuracy(conn: Connection, start: str, end: str) -> list[Row]:
    """Per store: counts (RFID or manual) vs the book they replaced, judged per product and count
    session over every zone the session replaced (:mod:`sync.zones`): units found on another
    shelf than booked are a relocation, not an error. A count without a session is its own group."""
    sc = s.stock_counts
    group = func.coalesce(sc.c.session, sc.c.op_id)
    per_product = (
        select(
            sc.c.store,
            func.sum(sc.c.counted).label("counted"),
            func.sum(sc.c.book).label("book"),
        )
        .where(sc.c.day >= start, sc.c.day <= end)
        .group_by(sc.c.store, group, sc.c.sku)
        .subquery()
    )
    p = per_product
    stmt = (
        select(
            p.c.store,
            func.count().label("counts"),
            func.sum(cast(case((p.c.counted == p.c.book, 1), else_=0), Integer)).label("exact"),
            func.sum(func.abs(p.c.counted - p.c.book)).label("abs_diff"),
            func.sum(case((p.c.counted > p.c.book, p.c.counted), else_=p.c.book)).label("scale"),
            func.sum(p.c.counted - p.c.book).label("net_diff"),
        )
        .group_by(p.c.store)
        .order_by(p.c.store)
    )
    out = _rows(conn.execute(stmt))
    for r in out:
        r["exact_rate"] = _ratio(r["exact"], r["counts"])
        r["accuracy"] = round(1.0 - _ratio(r["abs_diff"], r["scale"]), 6) if r["scale"] else 1.0
    return out


REPORTS: dict[str, Callable[[Connection, str, str], list[Row]]] = {
    "revenue_by_channel": lambda c, a, b: revenue(c, a, b, "channel"),
    "revenue_by_store": lambda c, a, b: revenue(c, a, b, "store"),
    "average_basket": average_basket,
    "visit_frequency": visit_frequency,
    "loyalty_rate": loyalty_rate,
    "return_rate": return_rate,
    "stock_accuracy": stock_accuracy,
}


def run(conn: Connection, name: str, start: str, end: str) -> list[Row]:
    if name not in REPORTS:
        raise InvalidInput(f"unknown report {name!r}; one of {sorted(REPORTS)}")
    a, b = check_range(start, end)
    return REPORTS[name](conn, a, b)


def to_csv(rows: list[Row]) -> str:
    buf = io.StringIO()
    if rows:
        writer = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return buf.getvalue()
