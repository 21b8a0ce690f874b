"""How replicated state is folded from ops (DESIGN.md "The replicated data model").

Pure functions over op collections; both the edge and the cloud fold the same way, so two nodes
that hold the same set of ops hold the same state whatever order the ops were delivered in.

* Stock per (sku, store, zone) = the last absolute ``stock.count`` in HLC order + the sum of
  ``stock.delta`` quantities whose HLC is after it. Never last-write-wins on a quantity.
  A cell whose running quantity goes below zero is flagged ``oversold`` (never dropped).
* Loyalty balance per customer = the sum of ``loyalty.entry`` points, de-duplicated by
  ``entry_id``. A running balance below zero in HLC order is flagged ``overdraft``.
* Customer profile fields: last writer wins per field, by op HLC.
* Orders: ``order.placed`` creates, ``order.transition`` moves; the latest transition by HLC wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sync.ops import Op

StockKey = tuple[str, str, str]  # (sku, store, zone); zone "" when the op names none


def hlc_order(ops: Iterable[Op]) -> list[Op]:
    """Ops de-duplicated by id and sorted by (hlc, origin, seq): a total order every node agrees on."""
    unique = {op.id: op for op in ops}
    return sorted(unique.values(), key=lambda op: (op.hlc, op.origin, op.seq))


@dataclass(slots=True)
class StockCell:
    """One (sku, store, zone) cell: the latest count and the deltas after it.

    Order-independent: ``add`` may receive ops in any order and ends in the same state.
    """

    count_hlc: str = ""
    count_qty: int = 0
    deltas: dict[str, int] = field(default_factory=dict)  # op id -> qty, only those after count_hlc
    delta_hlc: dict[str, str] = field(default_factory=dict)

    def add(self, op: Op) -> None:
        if op.type == "stock.count":
            if op.hlc > self.count_hlc:
                self.count_hlc, self.count_qty = op.hlc, int(op.body["qty"])
                for oid in [oid for oid, h in self.delta_hlc.items() if h <= op.hlc]:
                    del self.deltas[oid], self.delta_hlc[oid]
        elif op.type == "stock.delta" and op.hlc > self.count_hlc:
            self.deltas[op.id] = int(op.body["qty"])
            self.delta_hlc[op.id] = op.hlc

    @property
    def qty(self) -> int:
        return self.count_qty + sum(self.deltas.values())


@dataclass(frozen=True, slots=True)
class StockLevel:
    qty: int
    oversold: bool


def stock_key(body: dict[str, Any]) -> StockKey:
    return (str(body["sku"]), str(body["store"]), str(body.get("zone") or ""))


def fold_stock(ops: Iterable[Op]) -> dict[StockKey, StockLevel]:
    """Stock per (sku, store, zone). ``oversold`` when the running quantity ever went below zero
    after the last count."""
    running: dict[StockKey, int] = {}
    oversold: dict[StockKey, bool] = {}
    for op in hlc_order(op for op in ops if op.type in ("stock.count", "stock.delta")):
        key = stock_key(op.body)
        if op.type == "stock.count":
            running[key] = int(op.body["qty"])
            oversold[key] = False
        else:
            running[key] = running.get(key, 0) + int(op.body["qty"])
            if running[key] < 0:
                oversold[key] = True
    return {key: StockLevel(qty, oversold.get(key, False)) for key, qty in running.items()}


def stock_by_store(levels: dict[StockKey, StockLevel]) -> dict[tuple[str, str], int]:
    """Collapse zones: quantity per (sku, store)."""
    out: dict[tuple[str, str], int] = {}
    for (sku, store, _zone), level in levels.items():
        out[(sku, store)] = out.get((sku, store), 0) + level.qty
    return out


@dataclass(frozen=True, slots=True)
class LoyaltyBalance:
    points: int
    overdraft: bool


def fold_loyalty(ops: Iterable[Op]) -> dict[str, LoyaltyBalance]:
    """Balance per customer from ``loyalty.entry`` ops; each ``entry_id`` counts once."""
    seen: set[str] = set()
    balance: dict[str, int] = {}
    overdraft: dict[str, bool] = {}
    for op in hlc_order(op for op in ops if op.type == "loyalty.entry"):
        entry = str(op.body["entry_id"])
        if entry in seen:
            continue
        seen.add(entry)
        customer = str(op.body["customer_id"])
        balance[customer] = balance.get(customer, 0) + int(op.body["points"])
        if balance[customer] < 0:
            overdraft[customer] = True
    return {c: LoyaltyBalance(p, overdraft.get(c, False)) for c, p in balance.items()}


def fold_customers(ops: Iterable[Op]) -> dict[str, dict[str, Any]]:
    """Customer profiles: each field holds the value of the op with the greatest HLC that set it."""
    profiles: dict[str, dict[str, Any]] = {}
    for op in hlc_order(op for op in ops if op.type == "customer.upsert"):
        fields = op.body.get("fields") or {}
        profiles.setdefault(str(op.body["customer_id"]), {}).update(fields)
    return profiles


def fold_orders(ops: Iterable[Op]) -> dict[str, str]:
    """Order id -> state. ``order.placed`` sets "placed"; later transitions (by HLC) move it."""
    states: dict[str, str] = {}
    for op in hlc_order(op for op in ops if op.type in ("order.placed", "order.transition")):
        order = str(op.body["order_id"])
        if op.type == "order.placed":
            states.setdefault(order, "placed")
        else:
            states[order] = str(op.body["state"])
    return states


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything the fault tests compare between edge and cloud."""

    stock: dict[tuple[str, str], int]
    loyalty: dict[str, int]
    orders: dict[str, str]
    customers: dict[str, dict[str, Any]]


def snapshot(ops: Iterable[Op]) -> Snapshot:
    ordered = hlc_order(ops)
    return Snapshot(
        stock=stock_by_store(fold_stock(ordered)),
        loyalty={c: b.points for c, b in fold_loyalty(ordered).items()},
        orders=fold_orders(ordered),
        customers=fold_customers(ordered),
    )
