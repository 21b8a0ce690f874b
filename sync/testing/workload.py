"""Seeded, realistic op streams for one store (sales, counts, loyalty, profiles, orders)."""

from __future__ import annotations

import random
from collections.abc import Iterator

from sync.hlc import HybridClock
from sync.ops import Op

START_MS = 1_795_000_000_000  # a fixed instant in 2026: runs are reproducible


class Workload:
    """Produces the ops a busy store would write, one at a time, with a simulated clock.

    ``step_ms`` is the mean simulated time between ops, so 100,000 ops at 5 s span ~6 days.
    """

    def __init__(
        self,
        store: str,
        *,
        seed: int = 0,
        skus: int = 500,
        customers: int = 200,
        step_ms: int = 5000,
        start_ms: int = START_MS,
    ) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.skus = [f"SKU-{i:05d}" for i in range(skus)]
        self.customers = [f"C-{i:05d}" for i in range(customers)]
        self.step_ms = step_ms
        self.now_ms = start_ms
        self.clock = HybridClock(store, wall=lambda: self.now_ms / 1000)
        self.seq = 0
        self.orders: list[str] = []

    def _op(self, type_: str, body: dict[str, object]) -> Op:
        self.now_ms += self.rng.randint(0, 2 * self.step_ms)
        self.seq += 1
        return Op(self.store, self.seq, str(self.clock.now()), type_, body)

    def next_ops(self) -> list[Op]:
        """One business event: usually 1-3 ops (e.g. a sale = stock delta + sale + loyalty earn)."""
        r = self.rng.random()
        sku = self.rng.choice(self.skus)
        at = "2026-11-23T10:00:00Z"
        if r < 0.55:
            qty = self.rng.randint(1, 3)
            ref = f"R-{self.store}-{self.seq + 1}"
            out = [
                self._op(
                    "stock.delta",
                    {
                        "sku": sku,
                        "store": self.store,
                        "zone": "floor",
                        "qty": -qty,
                        "reason": "sale",
                        "ref": ref,
                    },
                )
            ]
            if self.rng.random() < 0.3:
                cust = self.rng.choice(self.customers)
                out.append(
                    self._op(
                        "loyalty.entry",
                        {
                            "entry_id": f"E-{ref}",
                            "customer_id": cust,
                            "kind": "earn",
                            "points": qty * 10,
                            "ref": ref,
                            "channel": "store",
                            "store": self.store,
                            "at": at,
                        },
                    )
                )
            return out
        if r < 0.70:
            return [
                self._op(
                    "stock.delta",
                    {
                        "sku": sku,
                        "store": self.store,
                        "zone": "backroom",
                        "qty": self.rng.randint(1, 24),
                        "reason": "receipt",
                        "ref": f"PO-{self.seq}",
                    },
                )
            ]
        if r < 0.80:
            return [
                self._op(
                    "stock.count",
                    {
                        "sku": sku,
                        "store": self.store,
                        "zone": "floor",
                        "qty": self.rng.randint(0, 40),
                        "session": f"CS-{self.seq}",
                    },
                )
            ]
        if r < 0.88:
            items = [{"sku": sku, "qty": 1, "unit_cents": self.rng.randint(199, 9999), "discount_cents": 0}]
            return [
                self._op(
                    "sale.recorded",
                    {
                        "receipt_id": f"R-{self.store}-{self.seq + 1}",
                        "store": self.store,
                        "channel": "store",
                        "customer_id": None,
                        "payment_ref": f"P-{self.seq}",
                        "at": at,
                        "lines": items,
                        "total_cents": items[0]["unit_cents"],
                        "points_earned": 0,
                        "points_redeemed": 0,
                    },
                )
            ]
        if r < 0.93:
            cust = self.rng.choice(self.customers)
            return [
                self._op(
                    "loyalty.entry",
                    {
                        "entry_id": f"E-{self.store}-{self.seq + 1}",
                        "customer_id": cust,
                        "kind": "redeem",
                        "points": -self.rng.randint(1, 50),
                        "ref": "redeem",
                        "channel": "store",
                        "store": self.store,
                        "at": at,
                    },
                )
            ]
        if r < 0.97:
            cust = self.rng.choice(self.customers)
            return [
                self._op(
                    "customer.upsert",
                    {"customer_id": cust, "fields": {"phone": f"+33{self.rng.randint(10**8, 10**9)}"}},
                )
            ]
        order = f"O-{self.store}-{self.seq + 1}"
        return [
            self._op(
                "order.transition",
                {
                    "order_id": order,
                    "state": self.rng.choice(["picked", "collected"]),
                    "store": self.store,
                    "at": at,
                    "by": "staff",
                },
            )
        ]

    def __iter__(self) -> Iterator[Op]:
        while True:
            yield from self.next_ops()


def make_ops(store: str, first_seq: int, count: int, seed: int = 0) -> list[Op]:
    """``count`` ops of a fresh workload, renumbered to start at ``first_seq``."""
    wl = Workload(store, seed=seed)
    wl.seq = first_seq - 1
    out: list[Op] = []
    for op in wl:
        out.append(op)
        if len(out) >= count:
            return out
    return out
