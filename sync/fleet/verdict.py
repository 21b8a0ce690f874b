"""The verdict of a fleet run: does the cloud hold exactly what every store's ops fold to?

Pure: takes each store's exported outbox (``vitrine-edge export-ops``) and the cloud's sync state
(``vitrine-cloud sync-state``) and returns named checks. Green means:

* per store, the cloud stream holds seqs 1..N exactly once (count == max == high-water mark == the
  edge's last seq) and the edge has every op acknowledged: none lost, none applied twice;
* per (sku, store), the cloud's stock equals ``sync.fold`` of every store's ops;
* an entry id means one thing: stores that write the same ``entry_id`` (e.g. a shared opening
  balance) write the same customer and points;
* every loyalty entry a store wrote is in the cloud ledger once with the same customer and points,
  and every customer's cloud balance equals the fold of the store entries plus the entries the
  cloud itself authored (online earnings, reversals);
* nothing was quarantined, and every outage of the run was recovered (measured by the runner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync.fold import fold_loyalty, fold_stock, stock_by_store
from sync.ops import Op

MAX_SHOWN = 5


@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""


@dataclass
class Verdict:
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def green(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def add(self, name: str, ok: bool, detail: str = "") -> None:
        self.checks.append(Check(name, ok, detail))


def _diff(expected: dict[Any, int], got: dict[Any, int]) -> list[str]:
    keys = sorted(set(expected) | set(got), key=str)
    return [
        f"{k}: expected {expected.get(k)} got {got.get(k)}" for k in keys if expected.get(k) != got.get(k)
    ]


def judge(
    store_ops: dict[str, list[Op]],
    acked: dict[str, int],
    cloud: dict[str, Any],
    outages_recovered: bool = True,
) -> Verdict:
    v = Verdict()
    streams, marks = cloud["streams"], cloud["marks"]
    for store, ops in sorted(store_ops.items()):
        seqs = [op.seq for op in ops]
        contiguous = seqs == list(range(1, len(ops) + 1))
        s = streams.get(store, {"ops": 0, "min_seq": 0, "max_seq": 0})
        n = len(ops)
        v.add(f"{store}: outbox contiguous 1..{n}", contiguous)
        v.add(
            f"{store}: cloud holds every op once",
            s["ops"] == n and s["max_seq"] == n and (n == 0 or s["min_seq"] == 1),
            f"cloud ops={s['ops']} seqs {s['min_seq']}..{s['max_seq']}, edge ops={n}",
        )
        v.add(f"{store}: cloud high-water mark = edge last seq", marks.get(store, 0) == n,
              f"hwm={marks.get(store, 0)} last={n}")  # fmt: skip
        v.add(
            f"{store}: edge outbox fully acknowledged",
            acked.get(store) == n,
            f"acked={acked.get(store)} last={n}",
        )

    every_op = [op for ops in store_ops.values() for op in ops]
    expected_stock = {k: q for k, q in stock_by_store(fold_stock(every_op)).items() if k[1] in store_ops}
    got_stock = {(sku, store): qty for sku, store, qty in cloud["stock"] if store in store_ops}
    stock_diff = _diff(expected_stock, got_stock)
    v.add(f"stock: cloud = fold of every store op ({len(expected_stock)} sku x store cells)", not stock_diff,
          "; ".join(stock_diff[:MAX_SHOWN]))  # fmt: skip

    meanings: dict[str, set[tuple[str, int]]] = {}
    for op in every_op:
        if op.type == "loyalty.entry":
            meanings.setdefault(str(op.body["entry_id"]), set()).add(
                (str(op.body["customer_id"]), int(op.body["points"]))
            )
    conflicting = sorted(e for e, m in meanings.items() if len(m) > 1)
    v.add("loyalty: an entry id means the same in every store", not conflicting,
          f"{len(conflicting)} ids written with different customer/points, e.g. {conflicting[:MAX_SHOWN]}")  # fmt: skip
    store_entries = {e: min(m) for e, m in meanings.items()}
    ledger = {entry: (customer, points) for entry, customer, points in cloud["ledger"]}
    missing = [e for e in store_entries if e not in ledger]
    changed = [e for e, cp in store_entries.items() if e in ledger and ledger[e] != cp]
    v.add(f"loyalty: every store entry in the cloud ledger once ({len(store_entries)})", not missing and not changed,
          f"missing {missing[:MAX_SHOWN]} changed {changed[:MAX_SHOWN]}")  # fmt: skip
    expected_points = {c: b.points for c, b in fold_loyalty(every_op).items()}
    cloud_authored = [(c, p) for e, (c, p) in ledger.items() if e not in store_entries]
    for customer, points in cloud_authored:
        expected_points[customer] = expected_points.get(customer, 0) + points
    got_points: dict[str, int] = {}
    for customer, points in ledger.values():
        got_points[customer] = got_points.get(customer, 0) + points
    points_diff = _diff(expected_points, got_points)
    v.add(f"loyalty: cloud balance = fold of store entries + cloud entries ({len(expected_points)} customers)",
          not points_diff, "; ".join(points_diff[:MAX_SHOWN]))  # fmt: skip
    v.add("nothing quarantined", cloud.get("quarantined", 0) == 0, f"quarantined={cloud.get('quarantined')}")
    v.add("every outage recovered", outages_recovered)
    v.figures.update(
        ops_per_store={s: len(ops) for s, ops in sorted(store_ops.items())},
        stock_cells=len(expected_stock),
        loyalty_entries_from_stores=len(store_entries),
        loyalty_entries_from_cloud=len(cloud_authored),
        customers=len(expected_points),
    )
    return v
