"""Click & collect and other store-fulfilled orders: placed (by the cloud) -> picked -> collected,
or cancelled from placed/picked. The store owns these transitions; each is an ``order.transition`` op.

Stock leaves the shelf when an order is picked (``stock.delta`` reason "order", -qty) and returns to
it when a picked order is cancelled. Collection needs the order's customer (id or a card, email or
phone identity) and, when the order carries one, its pickup code.
"""

from __future__ import annotations

import hmac
import json

from edge.errors import Conflict, NotFound
from edge.replica import queries as q
from edge.replica.customer_merge import IDENTITY_KINDS
from edge.replica.database import Tx
from edge.services.context import StoreContext
from edge.services.models import OrderLine, OrderView
from edge.services.stock import record_delta
from sync.phone import try_canonical_phone

TRANSITIONS = {"picked": ("placed",), "collected": ("picked",), "cancelled": ("placed", "picked")}


def order_view(row: object) -> OrderView:
    r = dict(row)  # type: ignore[call-overload]
    return OrderView(
        order_id=r["order_id"],
        kind=r["kind"],
        customer_id=r["customer_id"],
        store=r["store"],
        channel=r["channel"],
        lines=[OrderLine(**line) for line in json.loads(r["lines"])],
        total_cents=r["total_cents"],
        state=r["state"],
        placed_at=r["placed_at"],
        updated_at=r["updated_at"],
        customer_name=r.get("customer_name"),
    )


# Orders with their customer's name (staff see who collects, not an id).
ORDERS_SQL = (
    "SELECT o.*, c.name AS customer_name FROM orders o LEFT JOIN customers c ON c.customer_id = o.customer_id"
)


class OrderService:
    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx

    def list(self, state: str | None = None, limit: int = 100) -> list[OrderView]:
        conn = self.ctx.replica.reader()
        if state:
            rows = conn.execute(
                f"{ORDERS_SQL} WHERE o.state = ? ORDER BY o.placed_at LIMIT ?", (state, limit)
            ).fetchall()
        else:
            rows = conn.execute(f"{ORDERS_SQL} ORDER BY o.placed_at LIMIT ?", (limit,)).fetchall()
        return [order_view(r) for r in rows]

    def get(self, order_id: str) -> OrderView:
        row = q.order(self.ctx.replica.reader(), order_id)
        if row is None:
            raise NotFound(f"unknown order {order_id!r}")
        return order_view(row)

    def pick(self, order_id: str, by: str) -> OrderView:
        return self._transition(order_id, "picked", by)

    def cancel(self, order_id: str, by: str) -> OrderView:
        return self._transition(order_id, "cancelled", by)

    def collect(self, order_id: str, customer_ref: str, pickup_code: str | None, by: str) -> OrderView:
        return self._transition(order_id, "collected", by, customer_ref=customer_ref, pickup_code=pickup_code)

    def _transition(
        self,
        order_id: str,
        state: str,
        by: str,
        customer_ref: str | None = None,
        pickup_code: str | None = None,
    ) -> OrderView:
        now = self.ctx.now_iso()
        with self.ctx.replica.write() as tx:
            row = q.order(tx.conn, order_id)
            if row is None:
                raise NotFound(f"unknown order {order_id!r}")
            if row["store"] != self.ctx.store_id:
                raise Conflict(f"order {order_id} is for store {row['store']}")
            if row["state"] not in TRANSITIONS[state]:
                raise Conflict(f"order {order_id} is {row['state']}; cannot become {state}")
            if state == "collected":
                self._verify_collector(tx, row, customer_ref or "", pickup_code)
            # Picking takes the goods off the shelf; cancelling a picked order puts them back.
            shelf_sign = (
                -1 if state == "picked" else 1 if state == "cancelled" and row["state"] == "picked" else 0
            )
            if shelf_sign:
                for line in json.loads(row["lines"]):
                    record_delta(
                        tx,
                        self.ctx.store_id,
                        sku=line["sku"],
                        zone=self.ctx.default_zone,
                        qty=shelf_sign * line["qty"],
                        reason="order",
                        ref=order_id,
                    )
            op = tx.emit(
                "order.transition",
                {"order_id": order_id, "state": state, "store": self.ctx.store_id, "at": now, "by": by},
            )
            tx.execute(
                "UPDATE orders SET state = ?, updated_at = ?, hlc = ? WHERE order_id = ?",
                (state, now, op.hlc, order_id),
            )
            updated = q.order(tx.conn, order_id)
        return order_view(updated)

    @staticmethod
    def _verify_collector(tx: Tx, row: object, customer_ref: str, pickup_code: str | None) -> None:
        order = dict(row)  # type: ignore[call-overload]
        owner = order["customer_id"]
        matches = (
            customer_ref == owner
            or any(
                q.customer_by_identity(tx.conn, kind, variant) == owner
                for kind in IDENTITY_KINDS
                for variant in {customer_ref, customer_ref.strip().lower(), customer_ref.strip().upper()}
            )
            or q.customer_by_identity(tx.conn, "phone", try_canonical_phone(customer_ref) or "") == owner
        )
        if not matches:
            raise Conflict("the customer presented does not match the order")
        expected = order.get("pickup_code")
        if expected and not hmac.compare_digest(str(expected), pickup_code or ""):
            raise Conflict("wrong or missing pickup code")
