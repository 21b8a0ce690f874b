from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.fold import StockCell, fold_customers, fold_loyalty, fold_orders, fold_stock, snapshot
from sync.ops import Op

SKUS = ["A", "B"]


def stock_op(origin: str, seq: int, wall: int, kind: str, sku: str, qty: int) -> Op:
    body = {"sku": sku, "store": "s1", "zone": "floor", "qty": qty}
    if kind == "stock.delta":
        body |= {"reason": "sale" if qty < 0 else "receipt", "ref": f"r{seq}"}
    else:
        body["session"] = f"c{seq}"
    return Op(origin, seq, f"{wall:013d}.{seq:04d}.{origin}", kind, body)  # HLCs are unique per node


stock_ops = st.lists(
    st.tuples(
        st.sampled_from(["s1", "cloud"]),
        st.integers(0, 50),
        st.sampled_from(["stock.delta", "stock.delta", "stock.count"]),
        st.sampled_from(SKUS),
        st.integers(-5, 5),
    ),
    max_size=40,
).map(lambda rows: [stock_op(o, i + 1, w, k, s, q) for i, (o, w, k, s, q) in enumerate(rows)])


@given(stock_ops, st.randoms())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_stock_fold_is_independent_of_delivery_order_and_duplicates(ops: list[Op], rnd) -> None:
    shuffled = ops + ops[: len(ops) // 2]
    rnd.shuffle(shuffled)
    assert fold_stock(shuffled) == fold_stock(ops)
    assert snapshot(shuffled) == snapshot(ops)


@given(stock_ops, st.randoms())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_incremental_cell_matches_fold(ops: list[Op], rnd) -> None:
    cells: dict[str, StockCell] = {}
    shuffled = list(ops)
    rnd.shuffle(shuffled)
    for op in shuffled:
        cells.setdefault(op.body["sku"], StockCell()).add(op)
    folded = fold_stock(ops)
    assert {sku: c.qty for sku, c in cells.items() if (sku, "s1", "floor") in folded} == {
        k[0]: v.qty for k, v in folded.items()
    }


def test_count_resets_and_concurrent_sales_both_count() -> None:
    ops = [
        stock_op("s1", 1, 10, "stock.count", "A", 1),
        stock_op("s1", 2, 20, "stock.delta", "A", -1),  # sale in store
        stock_op("cloud", 1, 21, "stock.delta", "A", -1),  # online order of the same last item
    ]
    level = fold_stock(ops)[("A", "s1", "floor")]
    assert level.qty == -1 and level.oversold
    # a later count overrides both
    level = fold_stock([*ops, stock_op("s1", 3, 30, "stock.count", "A", 4)])[("A", "s1", "floor")]
    assert level.qty == 4 and not level.oversold
    # a delta before the count (in HLC order) is folded into the count
    assert (
        fold_stock(
            [stock_op("s1", 1, 10, "stock.delta", "A", 3), stock_op("s1", 2, 20, "stock.count", "A", 2)]
        )[("A", "s1", "floor")].qty
        == 2
    )


def loyalty_op(origin: str, seq: int, wall: int, entry: str, points: int) -> Op:
    body = {
        "entry_id": entry,
        "customer_id": "c1",
        "kind": "earn" if points > 0 else "redeem",
        "points": points,
        "ref": "x",
        "channel": "store",
        "store": "s1",
        "at": "2026-01-01T00:00:00Z",
    }
    return Op(origin, seq, f"{wall:013d}.0000.{origin}", "loyalty.entry", body)


def test_loyalty_is_a_ledger_with_overdraft_flag() -> None:
    ops = [
        loyalty_op("cloud", 1, 1, "e1", 100),
        loyalty_op("s1", 1, 2, "e2", -80),
        loyalty_op("s2", 1, 3, "e3", -80),
    ]
    bal = fold_loyalty(ops + ops)  # duplicated delivery counts once
    assert bal["c1"].points == -60 and bal["c1"].overdraft
    assert not fold_loyalty(ops[:2])["c1"].overdraft
    # same entry id relayed under another op id counts once
    assert fold_loyalty([*ops[:1], loyalty_op("s9", 7, 9, "e1", 100)])["c1"].points == 100


def test_customer_fields_last_writer_wins_per_field() -> None:
    a = Op(
        "s1",
        1,
        "0000000000010.0000.s1",
        "customer.upsert",
        {"customer_id": "c", "fields": {"email": "a", "name": "N"}},
    )
    b = Op(
        "cloud",
        1,
        "0000000000020.0000.cloud",
        "customer.upsert",
        {"customer_id": "c", "fields": {"email": "b"}},
    )
    assert fold_customers([b, a]) == {"c": {"email": "b", "name": "N"}}


def test_orders_follow_latest_transition() -> None:
    placed = Op("cloud", 1, "0000000000010.0000.cloud", "order.placed", {"order_id": "o1"})
    picked = Op("s1", 1, "0000000000020.0000.s1", "order.transition", {"order_id": "o1", "state": "picked"})
    done = Op("s1", 2, "0000000000030.0000.s1", "order.transition", {"order_id": "o1", "state": "collected"})
    assert fold_orders([done, picked, placed]) == {"o1": "collected"}
