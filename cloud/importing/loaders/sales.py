"""sales.csv: past receipts (sales, and returns as receipts with negative quantities) into the
hub's sales projection, so reports (revenue, visit frequency, loyalty rate, return rate...) and
each store's own history include them. History moves no stock and earns no points.

A receipt is all or nothing: when one of its lines is rejected, its other lines are rejected
too (reason "receipt has a rejected line"), so no partial basket reaches the reports. A line of
a product sold by measure (``unit`` kg, l...) keeps its decimal quantity in
``sale_line_measures``; in ``sale_lines`` it counts as one item worth the line's value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, or_, select, update

from cloud import sales
from cloud.importing import values as v
from cloud.importing.batch import existing, insert_rows
from cloud.importing.context import Context
from cloud.importing.loaders.products import units
from cloud.importing.loaders.stores import known_stores
from cloud.importing.reader import Row
from cloud.importing.tally import FileTally
from cloud.storage import schema as s
from sync.vocabulary import CHANNELS

SIBLING = "receipt has a rejected line"
MAX_QTY = 1_000_000
_MEASURE_PLACES = Decimal("0.001")


@dataclass
class _Line:
    sku: str
    qty: Decimal
    unit: str
    unit_cents: int
    discount_cents: int


@dataclass
class _Receipt:
    receipt_id: str
    head: tuple[str, str, str, str, str] | None = None  # store, channel, customer, at, original
    first_line: int = 0
    rows: list[tuple[Row, _Line | v.Bad]] = field(default_factory=list)


def load(ctx: Context, rows: Iterable[Row], tally: FileTally) -> None:
    stores = known_stores(ctx)
    catalog = units(ctx)
    receipts: dict[str, _Receipt] = {}
    for row in rows:
        try:
            rid = v.text(row.values, "receipt_id", 96)
        except v.Bad as bad:
            tally.reject(row.line, bad.reason, bad.detail, row.raw)
            continue
        receipt = receipts.setdefault(rid, _Receipt(rid))
        receipt.rows.append((row, _parse(ctx, row, receipt, stores, catalog)))
    canon = _customers(ctx, receipts.values())
    done = _recorded(ctx, list(receipts.values()))
    fresh: list[_Receipt] = []
    for receipt in receipts.values():
        verdict = _verdict(receipt, canon)
        if verdict is not None:
            line, why = verdict
            for row, parsed in receipt.rows:
                if isinstance(parsed, v.Bad):
                    tally.reject(row.line, parsed.reason, parsed.detail, row.raw)
                elif row.line == line:
                    tally.reject(row.line, why.reason, why.detail, row.raw)
                else:
                    tally.reject(row.line, SIBLING, f"line {line}: {why.reason}", row.raw)
        elif receipt.receipt_id in done:
            tally.unchanged += len(receipt.rows)
        else:
            fresh.append(receipt)
            tally.imported += len(receipt.rows)
    for start in range(0, len(fresh), ctx.batch):
        _write(ctx, fresh[start : start + ctx.batch], canon)


def _parse(
    ctx: Context, row: Row, receipt: _Receipt, stores: set[str], catalog: dict[str, str]
) -> _Line | v.Bad:
    values = row.values
    try:
        channel = v.text(values, "channel", 32)
        if channel not in CHANNELS:
            raise v.Bad("bad channel", f"{channel!r} is not one of {', '.join(sorted(CHANNELS))}")
        store = v.text(values, "store", 64, required=channel != "online") or ctx.warehouse
        if store not in stores:
            raise v.Bad("unknown store", f"{store} is neither in stores.csv nor at the hub")
        head = (
            store,
            channel,
            v.text(values, "customer_id", 64, required=False),
            v.moment(values.get("datetime") or "", "datetime"),
            v.text(values, "original_receipt_id", 96, required=False),
        )
        if receipt.head is None:
            receipt.head, receipt.first_line = head, row.line
        elif head != receipt.head:
            raise v.Bad(
                "receipt mismatch",
                f"store, channel, customer or datetime differ from line {receipt.first_line}",
            )
        sku = v.text(values, "sku", 64)
        unit = catalog.get(sku)
        if unit is None:
            raise v.Bad("unknown sku", f"{sku} is neither in products.csv nor at the hub")
        qty = v.decimal(values.get("quantity") or "", "quantity")
        if qty == 0 or abs(qty) > MAX_QTY:
            raise v.Bad("bad quantity", f"{qty}: zero or beyond {MAX_QTY:,}")
        if unit == "each" and qty != qty.to_integral_value():
            raise v.Bad("decimal quantity", f"{qty} of {sku}, which is sold by the unit (products.csv unit)")
        if qty != qty.quantize(_MEASURE_PLACES):
            raise v.Bad("bad quantity", f"{qty} has more than three decimals")
        return _Line(
            sku,
            qty,
            unit,
            v.money(values.get("unit_price") or "", "unit price"),
            v.money(values.get("discount") or "0", "discount"),
        )
    except v.Bad as bad:
        return bad


def _verdict(receipt: _Receipt, canon: dict[str, str]) -> tuple[int, v.Bad] | None:
    """The first reason to reject the receipt: (line, reason), or None when it is whole."""
    signs: set[bool] = set()
    for row, parsed in receipt.rows:
        if isinstance(parsed, v.Bad):
            return row.line, parsed
        signs.add(parsed.qty < 0)
        if len(signs) > 1:
            return row.line, v.Bad(
                "mixed sale and return", "a receipt's quantities are all positive or all negative"
            )
    customer = receipt.head[2] if receipt.head else ""
    if customer and customer not in canon:
        row = receipt.rows[0][0]
        return row.line, v.Bad("unknown customer", f"{customer} is neither in customers.csv nor at the hub")
    return None


def _customers(ctx: Context, receipts: Iterable[_Receipt]) -> dict[str, str]:
    """Known customer ids named by the receipts, each mapped to its canonical (surviving) id."""
    wanted = {r.head[2] for r in receipts if r.head and r.head[2]}
    if not wanted:
        return {}
    c = s.customers
    return {
        str(cid): str(merged) if merged else str(cid)
        for cid, merged in ctx.conn.execute(select(c.c.customer_id, c.c.merged_into))
        if str(cid) in wanted
    }


def _recorded(ctx: Context, receipts: list[_Receipt]) -> set[str]:
    """Receipt and return ids the hub already holds."""
    ids = [r.receipt_id for r in receipts]
    return existing(ctx.conn, s.sales.c.receipt_id, ids) | existing(ctx.conn, s.returns.c.return_id, ids)


def _amounts(line: _Line) -> tuple[int, int]:
    """(items, unit cents) of a line as ``sale_lines`` holds it: a measured line is one item
    worth its value; a counted line keeps its quantity and unit price."""
    if line.unit == "each":
        return abs(int(line.qty)), line.unit_cents
    return 1, v.cents_of(abs(line.qty) * line.unit_cents / 100)


def _write(ctx: Context, batch: list[_Receipt], canon: dict[str, str]) -> None:
    heads: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    measures: list[dict[str, Any]] = []
    returns: list[dict[str, Any]] = []
    seen: set[str] = set()
    for receipt in batch:
        assert receipt.head is not None
        store, channel, customer, at, original = receipt.head
        items = [parsed for _row, parsed in receipt.rows if isinstance(parsed, _Line)]
        shaped = [(line, *_amounts(line)) for line in items]
        total = sum(qty * cents - line.discount_cents for line, qty, cents in shaped)
        if items[0].qty < 0:
            returns.append(
                {
                    "return_id": receipt.receipt_id,
                    "receipt_id": original or receipt.receipt_id,
                    "store": store,
                    "channel": channel,
                    "at": at,
                    "lines": [{"sku": line.sku, "qty": qty} for line, qty, _cents in shaped],
                    "refund_cents": total,
                    "points_reversed": 0,
                }
            )
            continue
        cid = canon[customer] if customer else None
        if cid:
            seen.add(cid)
        day = at[:10]
        heads.append(
            {
                "receipt_id": receipt.receipt_id,
                "store": store,
                "channel": channel,
                "customer_id": cid,
                "at": at,
                "day": day,
                "total_cents": total,
                "item_count": sum(qty for _line, qty, _cents in shaped),
                "points_earned": 0,
                "points_redeemed": 0,
            }
        )
        for i, (line, qty, cents) in enumerate(shaped):
            lines.append(
                {
                    "receipt_id": receipt.receipt_id,
                    "line_no": i,
                    "sku": line.sku,
                    "qty": qty,
                    "unit_cents": cents,
                    "discount_cents": line.discount_cents,
                    "store": store,
                    "channel": channel,
                    "day": day,
                }
            )
            if line.unit != "each":
                measures.append(
                    {
                        "receipt_id": receipt.receipt_id,
                        "line_no": i,
                        "quantity": str(line.qty),
                        "unit": line.unit,
                        "unit_price_cents": line.unit_cents,
                    }
                )
    # The same rows as the ingest's projection of sale.recorded (cloud.bulk.sales), in bulk.
    insert_rows(ctx.conn, s.sales, heads)
    insert_rows(ctx.conn, s.sale_lines, lines)
    insert_rows(ctx.conn, s.sale_line_measures, measures)
    _last_seen(ctx, sorted(seen))
    for body in returns:  # after the sales: a return takes the channel of its original sale
        sales.record_return(ctx.conn, body)


def _last_seen(ctx: Context, ids: list[str]) -> None:
    """Move each customer's ``last_seen_at`` to their latest sale when that is later."""
    c, sa = s.customers, s.sales
    latest = select(func.max(sa.c.at)).where(sa.c.customer_id == c.c.customer_id).scalar_subquery()
    later = case((or_(c.c.last_seen_at.is_(None), c.c.last_seen_at < latest), latest), else_=c.c.last_seen_at)
    for start in range(0, len(ids), 500):
        ctx.conn.execute(
            update(c).where(c.c.customer_id.in_(ids[start : start + 500])).values(last_seen_at=later)
        )
