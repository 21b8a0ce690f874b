"""Sell a basket: effective price and best promotion per line, optional points redemption, loyalty
earn with the channel multiplier, stock deltas (overselling allowed and flagged), a receipt.

One write transaction holds the sale, its lines, its stock deltas, its ledger entries and every op.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edge.errors import Conflict, Invalid, NotFound
from edge.replica import queries as q
from edge.replica.database import Tx
from edge.services.context import StoreContext, id_from_hlc
from edge.services.loyalty import LoyaltyAuthority, consume_allowance, write_entry
from edge.services.models import Receipt, ReceiptLine
from edge.services.pricing import Promotion, best_promotion, points_earned
from edge.services.reservations import fulfil_reservation
from edge.services.stock import record_delta

SALE_CHANNELS = frozenset({"store", "kiosk"})
MAX_LINES = 100
MAX_QTY = 999


@dataclass(frozen=True, slots=True)
class BasketLine:
    sku: str
    qty: int
    reservation_id: str | None = None


@dataclass(frozen=True, slots=True)
class Basket:
    lines: Sequence[BasketLine]
    channel: str = "store"
    customer_id: str | None = None
    payment_ref: str = ""
    redeem_points: int = 0
    zone: str | None = None


class SellingService:
    def __init__(self, ctx: StoreContext, authority: LoyaltyAuthority | None = None) -> None:
        self.ctx = ctx
        self.authority = authority

    def sell(self, basket: Basket) -> Receipt:
        """Record the sale and everything it implies in one transaction; raises NotFound/Invalid/Conflict
        (nothing written) for an unknown sku or customer, a bad quantity, or a refused redemption."""
        self._validate(basket)
        now = self.ctx.now_iso()
        receipt_id = id_from_hlc("R", str(self.ctx.replica.clock.now()))
        decision = self._ask_cloud(basket, receipt_id)
        with self.ctx.replica.write() as tx:
            if basket.customer_id is not None and q.customer(tx.conn, basket.customer_id) is None:
                raise NotFound(f"unknown customer {basket.customer_id!r}")
            priced = [self._price(tx, line, now) for line in basket.lines]
            total = sum(line.line_cents for line in priced)
            rules = q.loyalty_rules(tx.conn, now)
            redeem_value = int(rules["redeem_cents_per_point"])
            redeemed_cents = self._redeem_check(
                tx, basket, total=total, cents_per_point=redeem_value, decision=decision, now=now
            )
            earned = points_earned(total - redeemed_cents, basket.channel, rules) if basket.customer_id else 0
            receipt = Receipt(
                receipt_id=receipt_id,
                store=self.ctx.store_id,
                channel=basket.channel,
                customer_id=basket.customer_id,
                payment_ref=basket.payment_ref,
                at=now,
                lines=priced,
                total_cents=total,
                points_redeemed=basket.redeem_points,
                redeemed_cents=redeemed_cents,
                paid_cents=total - redeemed_cents,
                points_earned=earned,
                oversold=False,
            )
            for line, pline in zip(basket.lines, priced, strict=True):
                if line.reservation_id:
                    fulfil_reservation(
                        tx, self.ctx.store_id, reservation_id=line.reservation_id, sku=line.sku, qty=line.qty,
                        customer_id=basket.customer_id, now=now,
                    )  # fmt: skip
                    tx.execute(
                        "INSERT INTO reservation_sales VALUES (?, ?, ?, ?)",
                        (line.reservation_id, receipt_id, line.sku, pline.line_cents),
                    )
            receipt.oversold = self._flag_oversold(tx, receipt.lines)
            picked_up = {n: line.reservation_id for n, line in enumerate(basket.lines) if line.reservation_id}
            self._write_sale(tx, receipt, picked_up)
            for pline in receipt.lines:
                record_delta(
                    tx, self.ctx.store_id, sku=pline.sku, zone=basket.zone or self.ctx.default_zone,
                    qty=-pline.qty, reason="sale", ref=receipt_id,
                )  # fmt: skip
            self._book_points(tx, receipt)
        return receipt

    def _ask_cloud(self, basket: Basket, receipt_id: str) -> bool | None:
        """The cloud's decision on a redemption, asked before the writer lock is taken (a network
        round trip must not block other writers). None: no authority, or unreachable."""
        if not basket.redeem_points or basket.customer_id is None or self.authority is None:
            return None
        return self.authority.authorise_redeem(
            basket.customer_id, basket.redeem_points, entry_id=f"{receipt_id}:redeem"
        )

    @staticmethod
    def _flag_oversold(tx: Tx, priced: list[ReceiptLine]) -> bool:
        """Mark lines that take more than is on hand (counting earlier lines of the same sku)."""
        wanted: dict[str, int] = {}
        for line in priced:
            wanted[line.sku] = wanted.get(line.sku, 0) + line.qty
            line.oversold = q.on_hand(tx.conn, line.sku) < wanted[line.sku]
        return any(line.oversold for line in priced)

    @staticmethod
    def _write_sale(tx: Tx, receipt: Receipt, picked_up: dict[int, str]) -> None:
        """``picked_up``: line index -> the reservation that line picked up (the hub counts those
        lines as the ``reservation`` channel, as the manager's dashboard does)."""
        tx.conn.executemany(
            "INSERT INTO sale_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    receipt.receipt_id,
                    n,
                    p.sku,
                    p.qty,
                    p.unit_cents,
                    p.discount_cents,
                    p.promo_id,
                    int(p.oversold),
                )
                for n, p in enumerate(receipt.lines, start=1)
            ],
        )
        op = tx.emit(
            "sale.recorded",
            {
                "receipt_id": receipt.receipt_id,
                "store": receipt.store,
                "channel": receipt.channel,
                "customer_id": receipt.customer_id,
                "payment_ref": receipt.payment_ref,
                "at": receipt.at,
                "lines": [
                    {
                        "sku": p.sku,
                        "qty": p.qty,
                        "unit_cents": p.unit_cents,
                        "discount_cents": p.discount_cents,
                        **({"reservation_id": picked_up[n]} if n in picked_up else {}),
                    }
                    for n, p in enumerate(receipt.lines)
                ],
                "total_cents": receipt.total_cents,
                "points_earned": receipt.points_earned,
                "points_redeemed": receipt.points_redeemed,
            },
        )
        tx.execute(
            "INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (
                receipt.receipt_id,
                receipt.store,
                receipt.channel,
                receipt.customer_id,
                receipt.payment_ref,
                receipt.at,
                op.hlc,
                receipt.total_cents,
                receipt.points_earned,
                receipt.points_redeemed,
                receipt.redeemed_cents,
                receipt.store,
            ),
        )

    @staticmethod
    def _book_points(tx: Tx, receipt: Receipt) -> None:
        if receipt.customer_id is None:
            return
        for kind, points in (("redeem", -receipt.points_redeemed), ("earn", receipt.points_earned)):
            if points:
                write_entry(
                    tx, receipt.store, entry_id=f"{receipt.receipt_id}:{kind}", customer_id=receipt.customer_id,
                    kind=kind, points=points, ref=receipt.receipt_id, channel=receipt.channel, at=receipt.at,
                )  # fmt: skip

    def receipt(self, receipt_id: str) -> Receipt:
        conn = self.ctx.replica.reader()
        sale = q.sale(conn, receipt_id)
        if sale is None:
            raise NotFound(f"unknown receipt {receipt_id!r}")
        lines = [
            ReceiptLine(
                sku=r["sku"],
                name=r["name"],
                qty=r["qty"],
                unit_cents=r["unit_cents"],
                discount_cents=r["discount_cents"],
                line_cents=r["qty"] * r["unit_cents"] - r["discount_cents"],
                promo_id=r["promo_id"],
                oversold=bool(r["oversold"]),
            )
            for r in q.sale_lines(conn, receipt_id)
        ]
        return Receipt(
            receipt_id=receipt_id,
            store=sale["store"],
            channel=sale["channel"],
            customer_id=sale["customer_id"],
            payment_ref=sale["payment_ref"],
            at=sale["at"],
            lines=lines,
            total_cents=sale["total_cents"],
            points_redeemed=sale["points_redeemed"],
            redeemed_cents=sale["redeemed_cents"],
            paid_cents=sale["total_cents"] - sale["redeemed_cents"],
            points_earned=sale["points_earned"],
            oversold=any(line.oversold for line in lines),
        )

    @staticmethod
    def _validate(basket: Basket) -> None:
        if basket.channel not in SALE_CHANNELS:
            raise Invalid(f"a store sale's channel is one of {sorted(SALE_CHANNELS)}")
        if not 1 <= len(basket.lines) <= MAX_LINES:
            raise Invalid(f"a basket has 1 to {MAX_LINES} lines")
        for line in basket.lines:
            if not 1 <= line.qty <= MAX_QTY:
                raise Invalid(f"quantity of {line.sku} must be 1..{MAX_QTY}")
        if basket.redeem_points < 0:
            raise Invalid("points to redeem cannot be negative")
        if basket.redeem_points and basket.customer_id is None:
            raise Invalid("redeeming points needs a customer")

    def _price(self, tx: Tx, line: BasketLine, now: str) -> ReceiptLine:
        product = q.product(tx.conn, line.sku)
        if product is None:
            raise NotFound(f"unknown sku {line.sku!r}")
        unit = q.effective_price(tx.conn, line.sku, now)
        if unit is None:
            raise Conflict(f"sku {line.sku!r} has no price in effect")
        promos = q.active_promotions(tx.conn, line.sku, self.ctx.store_id, now)
        per_unit, promo = best_promotion(
            unit, (Promotion(p["promo_id"], p["kind"], int(p["value"])) for p in promos)
        )
        discount = per_unit * line.qty
        return ReceiptLine(
            sku=line.sku,
            name=product["name"],
            qty=line.qty,
            unit_cents=unit,
            discount_cents=discount,
            line_cents=unit * line.qty - discount,
            promo_id=promo.promo_id if promo else None,
        )

    @staticmethod
    def _redeem_check(
        tx: Tx, basket: Basket, *, total: int, cents_per_point: int, decision: bool | None, now: str
    ) -> int:
        """Validate the redemption; consumes offline allowance. Returns the cents it pays."""
        points = basket.redeem_points
        if not points or basket.customer_id is None:
            return 0
        value = points * cents_per_point
        if value > total:
            raise Invalid(f"redeeming {points} points ({value} cents) exceeds the basket total {total}")
        balance = q.loyalty_balance(tx.conn, basket.customer_id)
        if points > balance:
            raise Conflict(f"customer has {balance} points, cannot redeem {points}")
        if decision is False:
            raise Conflict("the cloud refused this redemption")
        if decision is None:
            consume_allowance(tx, basket.customer_id, points, now)
        return value
