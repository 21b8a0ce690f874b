"""The projections of a stream do not depend on how it was cut into batches.

``projections.apply`` gathers the high-volume ops of a batch into set-based groups and applies
them ahead of ops that commute with them; this checks that one op per batch, big batches and a
ragged split all leave the same rows (and the same stock as ``sync.fold``).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from sqlalchemy import Connection, Engine, select

from cloud import projections
from cloud.storage import schema as s
from sync.fold import fold_stock
from sync.ops import Op
from sync.testing.workload import Workload

COMPARED = (
    s.stock,
    s.stock_moves,
    s.stock_counts,
    s.sales,
    s.sale_lines,
    s.loyalty_ledger,
    s.overdrafts,
    s.customers,
    s.customer_identities,
)
VOLATILE = {"id", "created_at", "detected_at"}
VOLATILE_BY_TABLE = {"stock_counts": {"at", "day"}}  # counts without "at" are stamped on arrival


def _stream(seed: int, count: int) -> list[Op]:
    """A busy store on few SKUs and customers (so cells oversell and balances overdraw), with a
    few profile updates from another node that claim an identity already held (merges)."""
    workload = Workload("s1", seed=seed, skus=12, customers=10)
    ops = list(itertools.islice(workload, count))
    rnd = random.Random(seed)
    phones = [
        (op.body["customer_id"], op.body["fields"]["phone"])
        for op in ops
        if op.type == "customer.upsert" and op.body.get("fields", {}).get("phone")
    ]
    merged = list(ops)
    for n in range(1, 4):
        owner, phone = rnd.choice(phones)
        other = f"C-X{n}"
        at = rnd.randrange(len(merged) // 4, len(merged))
        wall = merged[at].hlc.split(".")[0]
        body = {"customer_id": other, "fields": {"phone": phone, "name": f"dup {n}"}}
        merged.insert(at, Op("cloud", n, f"{wall}.0000.cloud", "customer.upsert", body))
        merged.insert(
            at + 1,
            Op(
                "cloud",
                100 + n,
                f"{wall}.0001.cloud",
                "loyalty.entry",
                {
                    "entry_id": f"E-X{n}",
                    "customer_id": other,
                    "kind": "redeem",
                    "points": -25,
                    "at": "2026-11-23T10:00:00Z",
                },
            ),
        )
        assert owner != other
    cells = [op.body for op in ops if op.type == "stock.count"]
    for n in range(1, 7):  # oversell a cell, refill it, and deliver a delta older than ops before it
        cell = rnd.choice(cells)
        at = (
            rnd.randrange(len(merged) // 4, len(merged) - 50) if n % 2 else len(merged) - rnd.randrange(5, 30)
        )
        for k, (pos, qty) in enumerate([(at, -80), (at + rnd.randrange(1, 4), 100), (at // 2, -3)]):
            wall = merged[pos].hlc.split(".")[0]
            body = {"sku": cell["sku"], "store": "s1", "zone": cell.get("zone") or "", "qty": qty}
            delta = Op(
                "cloud", 200 + 10 * n + k, f"{wall}.0002.cloud", "stock.delta", {**body, "reason": "t"}
            )
            merged.insert(at + k, delta)
    return merged


def _project(engine: Engine, ops: list[Op], sizes: list[int]) -> dict[str, list[tuple[Any, ...]]]:
    with engine.begin() as conn:
        for table in reversed(s.metadata.sorted_tables):
            conn.execute(table.delete())
    start = 0
    for size in itertools.cycle(sizes):
        if start >= len(ops):
            break
        with engine.begin() as conn:
            projections.apply(conn, ops[start : start + size])
        start += size
    with engine.connect() as conn:
        return _snapshot(conn)


def _snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in COMPARED:
        skip = VOLATILE | VOLATILE_BY_TABLE.get(table.name, set())
        cols = [c for c in table.c if c.name not in skip]
        out[table.name] = sorted((tuple(r) for r in conn.execute(select(*cols))), key=repr)
    return out


def test_batch_boundaries_do_not_change_projections(engine: Engine) -> None:
    ops = _stream(seed=7, count=900)
    one_by_one = _project(engine, ops, [1])
    big = _project(engine, ops, [500])
    ragged = _project(engine, ops, [3, 170, 1, 41, 9])

    stock = {(r[0], r[1], r[2]): r for r in one_by_one["stock"]}
    assert any(r[5] for r in stock.values()), "the workload must oversell some cell"
    assert one_by_one["overdrafts"], "the workload must overdraw some balance"
    assert any(r[7] for r in one_by_one["customers"]), "the workload must merge customers"
    for table in one_by_one:
        assert big[table] == one_by_one[table], table
        assert ragged[table] == one_by_one[table], table

    folded = fold_stock(ops)
    assert {k: (r[3], bool(r[5])) for k, r in stock.items()} == {
        k: (v.qty, v.oversold) for k, v in folded.items()
    }
