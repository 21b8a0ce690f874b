from __future__ import annotations

import random

from sqlalchemy import Engine

from cloud import customers, projections, stock
from cloud.loyalty import ledger
from sync.fold import fold_loyalty, fold_stock, stock_by_store
from sync.ops import Op


def _op(origin: str, seq: int, wall: int, kind: str, body: dict) -> Op:
    return Op(origin=origin, seq=seq, hlc=f"{wall:013d}.0000.{origin}", type=kind, body=body)


def _random_ops(seed: int, n: int = 120) -> list[Op]:
    rnd = random.Random(seed)
    ops = []
    seqs = {"s1": 0, "s2": 0}
    for i in range(n):
        origin = rnd.choice(["s1", "s2"])
        seqs[origin] += 1
        sku = rnd.choice(["A", "B"])
        if rnd.random() < 0.15:
            ops.append(
                _op(
                    origin,
                    seqs[origin],
                    1000 + i,
                    "stock.count",
                    {"sku": sku, "store": origin, "zone": "", "qty": rnd.randint(0, 5), "session": "x"},
                )
            )
        elif rnd.random() < 0.7:
            ops.append(
                _op(
                    origin,
                    seqs[origin],
                    1000 + i,
                    "stock.delta",
                    {
                        "sku": sku,
                        "store": origin,
                        "zone": "",
                        "qty": rnd.choice([-1, -1, 2]),
                        "reason": "sale",
                    },
                )
            )
        else:
            ops.append(
                _op(
                    origin,
                    seqs[origin],
                    1000 + i,
                    "loyalty.entry",
                    {
                        "entry_id": f"e{i}",
                        "customer_id": rnd.choice(["c1", "c2"]),
                        "kind": "adjust",
                        "points": rnd.randint(-20, 30),
                        "at": "2026-01-01T00:00:00Z",
                    },
                )
            )
    return ops


def test_stock_and_ledger_match_sync_fold_in_any_delivery_order(engine: Engine) -> None:
    ops = _random_ops(7)
    shuffled = ops[:]
    random.Random(1).shuffle(shuffled)
    with engine.begin() as conn:
        for i in range(0, len(shuffled), 17):
            projections.apply(conn, shuffled[i : i + 17])
        projections.apply(conn, shuffled[:30])  # re-delivery changes nothing
    expected = stock_by_store(fold_stock(ops))
    with engine.connect() as conn:
        assert stock.levels(conn) == expected
        for cid, bal in fold_loyalty(ops).items():
            assert ledger.balance(conn, cid) == bal.points


def test_oversold_is_flagged_not_dropped(engine: Engine) -> None:
    ops = [
        _op("s1", 1, 1, "stock.count", {"sku": "A", "store": "s1", "zone": "", "qty": 1}),
        _op("s1", 2, 2, "stock.delta", {"sku": "A", "store": "s1", "zone": "", "qty": -1, "reason": "sale"}),
        _op(
            "cloud",
            3,
            3,
            "stock.delta",
            {"sku": "A", "store": "s1", "zone": "", "qty": -1, "reason": "order"},
        ),
    ]
    with engine.begin() as conn:
        projections.apply(conn, ops)
        assert stock.store_qty(conn, "A", "s1") == -1
        row = conn.exec_driver_sql("SELECT oversold FROM stock WHERE sku='A'").scalar()
        assert bool(row) is True


def test_customer_fields_last_writer_wins_and_identity_merge(engine: Engine) -> None:
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                _op(
                    "s1",
                    1,
                    10,
                    "customer.upsert",
                    {"customer_id": "store-c", "fields": {"name": "Ann", "card": "CARD1"}},
                ),
                _op(
                    "s2", 1, 5, "customer.upsert", {"customer_id": "store-c", "fields": {"name": "Old name"}}
                ),
                _op(
                    "s1",
                    2,
                    11,
                    "loyalty.entry",
                    {
                        "entry_id": "x1",
                        "customer_id": "store-c",
                        "kind": "earn",
                        "points": 40,
                        "at": "2026-01-02T00:00:00Z",
                    },
                ),
            ],
        )
        web = customers.upsert_fields(conn, "web-c", {"email": "Ann@Example.com"}, "0000000000020.0000.cloud")
        ledger.add_entry(
            conn,
            {
                "entry_id": "w1",
                "customer_id": web,
                "kind": "earn",
                "points": 10,
                "at": "2026-01-03T00:00:00Z",
            },
            "0000000000021.0000.cloud",
        )
        survivor = customers.upsert_fields(conn, web, {"card": "CARD1"}, "0000000000022.0000.cloud")
        assert survivor == "store-c"
        prof = customers.profile(conn, "web-c")
        assert prof["customer_id"] == "store-c"
        assert prof["name"] == "Ann"
        assert prof["email"] == "ann@example.com"
        assert ledger.balance(conn, "web-c") == ledger.balance(conn, "store-c") == 50
        assert {e["entry_id"] for e in ledger.history(conn, "store-c")} == {"x1", "w1"}
