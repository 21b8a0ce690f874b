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

from sqlalchemy import insert, select

from cloud import bulk, sales
from cloud.importing import values as v
from cloud.importing.context import Context
from cloud.importing.loaders.products import units
from cloud.importing.loaders.stores import known_stores
from cloud.importing.reader import Row
from cloud.importing.tally import FileTally
from cloud.storage import schema as s
from sync.ops import CLOUD_ORIGIN, Op
from sync.vocabulary import CHANNELS

SIBLING = "receipt has a rejected line"
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
    done = _recorded(ctx, list(receipts))
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
        if qty == 0:
            raise v.Bad("bad quantity", "zero")
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
    wanted = sorted({r.head[2] for r in receipts if r.head and r.head[2]})
    c = s.customers
    out: dict[str, str] = {}
    for start in range(0, len(wanted), ctx.batch):
        chunk = wanted[start : start + ctx.batch]
        for cid, merged in ctx.conn.execute(
            select(c.c.customer_id, c.c.merged_into).where(c.c.customer_id.in_(chunk))
        ):
            out[str(cid)] = str(merged) if merged else str(cid)
    return out


def _recorded(ctx: Context, ids: list[str]) -> set[str]:
    out: set[str] = set()
    for start in range(0, len(ids), ctx.batch):
        chunk = ids[start : start + ctx.batch]
        out |= {
            str(x)
            for x in ctx.conn.execute(
                select(s.sales.c.receipt_id).where(s.sales.c.receipt_id.in_(chunk))
            ).scalars()
        }
        out |= {
            str(x)
            for x in ctx.conn.execute(
                select(s.returns.c.return_id).where(s.returns.c.return_id.in_(chunk))
            ).scalars()
        }
    return out


def _amounts(line: _Line) -> tuple[int, int]:
    """(items, unit cents) of a line as ``sale_lines`` holds it: a measured line is one item
    worth its value; a counted line keeps its quantity and unit price."""
    if line.unit == "each":
        return abs(int(line.qty)), line.unit_cents
    return 1, v.cents_of(abs(line.qty) * line.unit_cents / 100)


def _write(ctx: Context, batch: list[_Receipt], canon: dict[str, str]) -> None:
    sale_ops: list[Op] = []
    returns: list[dict[str, Any]] = []
    measures: list[dict[str, Any]] = []
    for receipt in batch:
        assert receipt.head is not None
        store, channel, customer, at, original = receipt.head
        lines = [parsed for _row, parsed in receipt.rows if isinstance(parsed, _Line)]
        shaped = [(line, *_amounts(line)) for line in lines]
        total = sum(qty * cents - line.discount_cents for line, qty, cents in shaped)
        if lines[0].qty < 0:
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
        body = {
            "receipt_id": receipt.receipt_id,
            "store": store,
            "channel": channel,
            "customer_id": customer or None,
            "at": at,
            "lines": [
                {"sku": line.sku, "qty": qty, "unit_cents": cents, "discount_cents": line.discount_cents}
                for line, qty, cents in shaped
            ],
            "total_cents": total,
            "points_earned": 0,
            "points_redeemed": 0,
        }
        # Projection input only (like a store's sale.recorded), never journaled or sent.
        sale_ops.append(Op(CLOUD_ORIGIN, len(sale_ops) + 1, "", "sale.recorded", body))
        measures += [
            {
                "receipt_id": receipt.receipt_id,
                "line_no": i,
                "quantity": str(line.qty),
                "unit": line.unit,
                "unit_price_cents": line.unit_cents,
            }
            for i, line in enumerate(lines)
            if line.unit != "each"
        ]
    if sale_ops:
        bulk.sales(ctx.conn, sale_ops, canon)
    if measures:
        ctx.conn.execute(insert(s.sale_line_measures), measures)
    for body in returns:  # after the sales: a return takes the channel of its original sale
        sales.record_return(ctx.conn, body)
