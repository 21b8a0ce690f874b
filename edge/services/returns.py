"""Returns from any channel: by store/kiosk receipt, by online order id, or by customer lookup.

Invariants: per (receipt, sku) the returned quantity never exceeds the sold quantity (double
returns and over-quantity are refused with Conflict). Refunds and reversed points are proportional
to the net value returned, computed cumulatively per receipt so partial returns add up exactly to
the sale's paid amount and earned points.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from edge.errors import Conflict, Invalid, NotFound
from edge.replica import queries as q
from edge.replica.database import Tx
from edge.services.cloud_port import OrderDirectory
from edge.services.context import StoreContext, id_from_hlc
from edge.services.loyalty import write_entry
from edge.services.models import ReturnLineView, ReturnRecord
from edge.services.pricing import proportional_share
from edge.services.stock import record_delta

RETURN_CHANNELS = frozenset({"store", "kiosk"})
MAX_QTY = 999


@dataclass(frozen=True, slots=True)
class ReturnLine:
    sku: str
    qty: int


@dataclass(slots=True)
class Source:
    """What was sold on one receipt (a sale or an online order), enough to price a return."""

    receipt_id: str
    customer_id: str | None
    channel: str
    total_cents: int
    paid_cents: int
    points_earned: int
    sold: dict[str, int] = field(default_factory=dict)  # sku -> qty
    value: dict[str, int] = field(default_factory=dict)  # sku -> net cents of all units


def _source_from_sale(tx: Tx, receipt_id: str) -> Source | None:
    sale = q.sale(tx.conn, receipt_id)
    if sale is None:
        return None
    src = Source(
        receipt_id=receipt_id,
        customer_id=sale["customer_id"],
        channel=sale["channel"],
        total_cents=sale["total_cents"],
        paid_cents=sale["total_cents"] - sale["redeemed_cents"],
        points_earned=sale["points_earned"],
    )
    for line in q.sale_lines(tx.conn, receipt_id):
        sku = line["sku"]
        src.sold[sku] = src.sold.get(sku, 0) + line["qty"]
        src.value[sku] = src.value.get(sku, 0) + line["qty"] * line["unit_cents"] - line["discount_cents"]
    return src


def _source_from_order(tx: Tx, order_id: str) -> Source | None:
    order = q.order(tx.conn, order_id)
    if order is None:
        return None
    if order["state"] not in ("collected", "shipped"):
        raise Conflict(
            f"order {order_id} is {order['state']}; only collected or shipped orders can be returned"
        )
    src = Source(
        order_id, order["customer_id"], order["channel"], order["total_cents"], order["total_cents"], 0
    )
    for line in json.loads(order["lines"]):
        sku = line["sku"]
        src.sold[sku] = src.sold.get(sku, 0) + int(line["qty"])
        src.value[sku] = src.value.get(sku, 0) + int(line["qty"]) * int(line["unit_cents"])
    return src


def _source_from_cloud_order(order_id: str, order: dict[str, Any]) -> Source:
    """An online order this store never saw, as the cloud describes it (``orders.lookup``).

    Its points were earned by the cloud, which reverses them when it applies the return, so the
    store reverses none itself (``points_earned`` 0)."""
    if order.get("state") not in ("collected", "shipped"):
        raise Conflict(
            f"order {order_id} is {order.get('state')}; only collected or shipped orders can be returned"
        )
    try:
        total = int(order["total_cents"])
        customer = str(order["customer_id"]) if order.get("customer_id") else None
        src = Source(order_id, customer, str(order.get("channel") or "online"), total, total, 0)
        for line in order["lines"]:
            sku, qty = str(line["sku"]), int(line["qty"])
            src.sold[sku] = src.sold.get(sku, 0) + qty
            src.value[sku] = src.value.get(sku, 0) + qty * int(line["unit_cents"])
    except (KeyError, TypeError, ValueError) as err:
        raise Invalid(f"the cloud's description of order {order_id} is unusable: {err}") from err
    return src


class ReturnService:
    def __init__(self, ctx: StoreContext, directory: OrderDirectory | None = None) -> None:
        self.ctx = ctx
        self.directory = directory

    def _cloud_order(self, key: str) -> dict[str, Any] | None:
        """Ask the cloud about an order id unknown here; outside the write transaction (network)."""
        if self.directory is None:
            return None
        reader = self.ctx.replica.reader()
        if q.sale(reader, key) is not None or q.order(reader, key) is not None:
            return None
        return self.directory.order_for_return(key)

    def return_items(
        self,
        lines: Sequence[ReturnLine],
        *,
        receipt_id: str | None = None,
        order_id: str | None = None,
        customer_id: str | None = None,
        channel: str = "store",
        zone: str | None = None,
    ) -> list[ReturnRecord]:
        """Book a return; one record per receipt involved (several only for customer lookup)."""
        if sum(x is not None for x in (receipt_id, order_id, customer_id)) != 1:
            raise Invalid("give exactly one of receipt_id, order_id or customer_id")
        if channel not in RETURN_CHANNELS:
            raise Invalid(f"a store return's channel is one of {sorted(RETURN_CHANNELS)}")
        if not lines:
            raise Invalid("a return needs at least one line")
        if len({line.sku for line in lines}) != len(lines):
            raise Invalid("each sku may appear once per return")
        for line in lines:
            if not 1 <= line.qty <= MAX_QTY:
                raise Invalid(f"quantity of {line.sku} must be 1..{MAX_QTY}")
        zone = zone or self.ctx.default_zone
        remote = self._cloud_order(order_id or receipt_id or "") if customer_id is None else None
        with self.ctx.replica.write() as tx:
            if customer_id is not None:
                plan = self._allocate_by_customer(tx, customer_id, lines)
            else:
                key = receipt_id or order_id or ""
                src = _source_from_sale(tx, key) or _source_from_order(tx, key)
                if src is None and remote is not None:
                    src = _source_from_cloud_order(key, remote)
                if src is None:
                    kind = "receipt" if receipt_id else "order"
                    hint = (
                        "" if self.directory is None else " (and the cloud cannot be reached to look it up)"
                    )
                    raise NotFound(f"unknown {kind} {key!r}{hint}")
                plan = [(src, list(lines))]
            return [self._book(tx, src, src_lines, channel, zone) for src, src_lines in plan]

    def _allocate_by_customer(
        self, tx: Tx, customer_id: str, lines: Sequence[ReturnLine]
    ) -> list[tuple[Source, list[ReturnLine]]]:
        """Each line goes to the customer's most recent receipt that still has that many to return."""
        if q.customer(tx.conn, customer_id) is None:
            raise NotFound(f"unknown customer {customer_id!r}")
        chosen: dict[str, tuple[Source, list[ReturnLine]]] = {}
        for line in lines:
            receipts = tx.all(
                "SELECT DISTINCT s.receipt_id, s.at FROM sales s JOIN sale_lines l ON l.receipt_id = s.receipt_id "
                "WHERE s.customer_id = ? AND l.sku = ? ORDER BY s.at DESC",
                (customer_id, line.sku),
            )
            for rec in receipts:
                rid = str(rec["receipt_id"])
                if rid not in chosen:
                    src = _source_from_sale(tx, rid)
                    assert src is not None
                    chosen[rid] = (src, [])
                src = chosen[rid][0]
                if src.sold.get(line.sku, 0) - q.returned_qty(tx.conn, rid).get(line.sku, 0) >= line.qty:
                    chosen[rid][1].append(line)
                    break
            else:
                raise Conflict(
                    f"customer {customer_id} has no purchase of {line.qty} × {line.sku} left to return"
                )
        return [entry for entry in chosen.values() if entry[1]]

    def _book(self, tx: Tx, src: Source, lines: list[ReturnLine], channel: str, zone: str) -> ReturnRecord:
        returned = q.returned_qty(tx.conn, src.receipt_id)
        for line in lines:
            sold = src.sold.get(line.sku, 0)
            if sold == 0:
                raise Conflict(f"{line.sku} is not on receipt {src.receipt_id}")
            left = sold - returned.get(line.sku, 0)
            if left == 0:
                raise Conflict(f"{line.sku} on receipt {src.receipt_id} was already returned")
            if line.qty > left:
                raise Conflict(f"only {left} × {line.sku} left to return on receipt {src.receipt_id}")
        # Cumulative value returned after this return, as a fraction of the receipt total.
        after = dict(returned)
        for line in lines:
            after[line.sku] = after.get(line.sku, 0) + line.qty
        value_before = sum(
            proportional_share(src.value[s], n, src.sold[s]) for s, n in returned.items() if s in src.sold
        )
        value_after = sum(
            proportional_share(src.value[s], n, src.sold[s]) for s, n in after.items() if s in src.sold
        )
        refunded_before, reversed_before = q.returned_totals(tx.conn, src.receipt_id)
        refund = proportional_share(src.paid_cents, value_after, src.total_cents, "half") - refunded_before
        points = proportional_share(src.points_earned, value_after, src.total_cents) - reversed_before
        refund, points = max(refund, 0), max(points, 0)
        line_views = self._split_refund(src, lines, returned, refund, value_after - value_before)

        now = self.ctx.now_iso()
        hlc = tx.hlc()
        return_id = id_from_hlc("RT", hlc)
        store = self.ctx.store_id
        tx.execute(
            "INSERT INTO returns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (return_id, src.receipt_id, store, channel, src.customer_id, now, hlc, refund, points, store),
        )
        for n, view in enumerate(line_views, start=1):
            tx.execute(
                "INSERT INTO return_lines VALUES (?, ?, ?, ?, ?)",
                (return_id, n, view.sku, view.qty, view.refund_cents),
            )
        tx.emit(
            "return.recorded",
            {
                "return_id": return_id,
                "receipt_id": src.receipt_id,
                "store": store,
                "channel": channel,
                "at": now,
                "lines": [v.model_dump() for v in line_views],
                "refund_cents": refund,
                "points_reversed": points,
            },
            hlc=hlc,
        )
        for view in line_views:
            record_delta(tx, store, sku=view.sku, zone=zone, qty=view.qty, reason="return", ref=return_id)
        if points and src.customer_id:
            write_entry(
                tx,
                store,
                entry_id=f"{return_id}:reverse",
                customer_id=src.customer_id,
                kind="reverse",
                points=-points,
                ref=return_id,
                channel=channel,
                at=now,
            )
        return ReturnRecord(
            return_id=return_id,
            receipt_id=src.receipt_id,
            store=store,
            channel=channel,
            customer_id=src.customer_id,
            at=now,
            lines=line_views,
            refund_cents=refund,
            points_reversed=points,
        )

    @staticmethod
    def _split_refund(
        src: Source, lines: list[ReturnLine], returned: dict[str, int], refund: int, value: int
    ) -> list[ReturnLineView]:
        """Per-line refunds proportional to each line's returned value, summing exactly to ``refund``."""
        views: list[ReturnLineView] = []
        given = 0
        for i, line in enumerate(lines):
            before = returned.get(line.sku, 0)
            sku_value = proportional_share(src.value[line.sku], before + line.qty, src.sold[line.sku]) - (
                proportional_share(src.value[line.sku], before, src.sold[line.sku])
            )
            share = (
                refund - given
                if i == len(lines) - 1
                else proportional_share(refund, sku_value, value, "half")
            )
            given += share
            views.append(ReturnLineView(sku=line.sku, qty=line.qty, refund_cents=share))
        return views
