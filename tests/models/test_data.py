"""The loader: cleaning rules on the real CSV, return netting on hand-made rows, the time split."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from models.data import NON_PRODUCT_CODES, Purchases, SaleRow, build_purchases, is_product, read_online_retail
from models.errors import DataError
from models.split import Split, last_month_split, validation_split

T0 = datetime(2024, 3, 1, 9, tzinfo=UTC)


def test_real_csv_is_cleaned(retail: Purchases) -> None:
    skus = set(retail.skus)
    assert not skus & NON_PRODUCT_CODES
    assert not any(s.upper().startswith("GIFT_") for s in skus)
    assert (retail.qty > 0).all()
    assert not any(b.startswith(("C", "A")) for b in retail.baskets), (
        "cancellations/adjustments are not baskets"
    )
    assert 3_500 <= retail.n_items <= 4_000
    assert 3_800 <= retail.n_customers <= 4_200
    assert retail.stats.non_product > 2_000
    assert retail.stats.returns_netted > 5_000
    start, end = retail.span()
    assert (start.year, start.month, end.year, end.month) == (2010, 12, 2011, 10)
    assert np.all(np.diff(retail.at) >= 0), "lines are sorted by time"


def test_cancellation_is_netted_on_the_real_csv(retail_rows: list[SaleRow], retail: Purchases) -> None:
    # Find a cancelled line whose customer bought that sku earlier in the file, and check the net.
    rows = retail_rows
    bought: dict[tuple[str | None, str], int] = {}
    case = None
    for row in rows:
        key = (row.customer_id, row.sku)
        if row.qty > 0:
            bought[key] = bought.get(key, 0) + row.qty
        elif row.customer_id and 0 < -row.qty < bought.get(key, 0):
            case = key
            break
    assert case is not None
    customer, sku = case
    expected = sum(r.qty for r in rows if (r.customer_id, r.sku) == case)
    c = retail.customers.index(customer)  # type: ignore[arg-type]
    i = retail.skus.index(sku)
    assert int(retail.qty[(retail.customer == c) & (retail.item == i)].sum()) == expected


def test_netting_rules_on_hand_made_rows() -> None:
    rows = [
        SaleRow("c1", "r1", "P1", 3, T0),
        SaleRow("c1", "r2", "P1", 2, T0 + timedelta(days=1)),
        SaleRow("c1", "x1", "P1", -4, T0 + timedelta(days=2)),  # empties r2, then takes 2 from r1
        SaleRow("c1", "r3", "P2", 1, T0),
        SaleRow("c1", "x2", "P2", -1, T0 + timedelta(days=1)),  # fully returned: B disappears
        SaleRow("c2", "x3", "P1", -1, T0),  # nothing to net against
        SaleRow(None, "r4", "P1", 1, T0),  # anonymous sale kept
        SaleRow(None, "x4", "P1", -1, T0 + timedelta(days=3)),  # anonymous return unmatched
        SaleRow("c1", "r5", "POST", 1, T0),
        SaleRow("c1", "r5", "gift_0001_20", 1, T0),
    ]
    p = build_purchases(rows)
    lines = {(p.baskets[b], p.skus[i], int(q)) for b, i, q in zip(p.basket, p.item, p.qty, strict=True)}
    assert lines == {("r1", "P1", 1), ("r4", "P1", 1)}
    assert p.stats.non_product == 2
    assert p.stats.returns_netted == 2
    assert p.stats.returns_unmatched == 2
    assert p.customer[p.baskets.index("r4") == p.basket][0] == -1


def test_product_codes() -> None:
    assert is_product("85123A") and is_product("sku-1")
    for code in ("POST", "dot", "M", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS", "GIFT_0001_10", "C2", ""):
        assert not is_product(code)


def test_missing_or_malformed_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        list(read_online_retail(tmp_path / "none.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text("InvoiceNo,StockCode\n1,2\n")
    with pytest.raises(DataError, match="missing columns"):
        list(read_online_retail(bad))
    worse = tmp_path / "worse.csv"
    worse.write_text(
        "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
        "1,85123A,x,six,2011-01-01 10:00:00,1.0,1,UK\n"
    )
    with pytest.raises(DataError, match=r"worse\.csv:2"):
        list(read_online_retail(worse))


def test_time_split_on_the_real_data(retail: Purchases, retail_split: Split) -> None:
    split = retail_split
    assert split.test_start == datetime(2011, 10, 1, tzinfo=UTC)
    assert split.train.span()[1] < split.test_start
    assert len(split.customers) == len(split.targets) > 900
    assert all(len(t) <= s for t, s in zip(split.targets, split.target_sizes, strict=True))
    assert split.customers.max() < split.train.n_customers
    validation = validation_split(retail)
    assert validation.test_start == datetime(2011, 9, 1, tzinfo=UTC)
    assert validation.train.span()[1] < validation.test_start


def test_split_needs_both_sides() -> None:
    only_one_month = build_purchases([SaleRow("c", "b", "P1", 1, T0)])
    with pytest.raises(DataError):
        last_month_split(only_one_month)


def _day(month: int, day: int) -> datetime:
    return datetime(2011, month, day, 12, tzinfo=UTC)


def test_a_history_ending_mid_month_tests_on_the_last_complete_month() -> None:
    rows = [
        SaleRow("c1", "r1", "P1", 1, _day(9, 5)),
        SaleRow("c1", "r2", "P2", 1, _day(10, 7)),
        SaleRow("c1", "r3", "P3", 1, _day(11, 30)),
        SaleRow("c1", "r4", "P4", 1, _day(12, 9)),  # the file ends on 9 December
    ]
    split = last_month_split(build_purchases(rows))
    assert split.test_start == datetime(2011, 11, 1, tzinfo=UTC)
    assert split.test_end == datetime(2011, 12, 1, tzinfo=UTC)
    assert [split.train.skus[i] for i in split.targets[0]] == []  # P3 is new to training
    assert set(split.train.skus) == {"P1", "P2"}  # December is in neither window
    validation = validation_split(build_purchases(rows))
    assert validation.test_start == datetime(2011, 10, 1, tzinfo=UTC)
    assert set(validation.train.skus) == {"P1"}
    on_the_last_day = last_month_split(build_purchases(rows[:3]))
    assert on_the_last_day.test_start == datetime(2011, 11, 1, tzinfo=UTC)


def test_test_month_returns_do_not_rewrite_the_training_history() -> None:
    rows = [
        SaleRow("c1", "r1", "P1", 2, _day(9, 5)),
        SaleRow("c1", "r2", "P2", 1, _day(9, 6)),
        SaleRow("c1", "x1", "P1", -2, _day(10, 3)),  # test month: returns September's P1
        SaleRow("c1", "r3", "P3", 1, _day(10, 4)),
        SaleRow("c1", "r4", "P2", 1, _day(10, 5)),
        SaleRow("c1", "x2", "P2", -1, _day(10, 6)),  # returns the October P2: no demand left
        SaleRow("c1", "r5", "P1", 1, _day(10, 31)),
    ]
    purchases = build_purchases(rows)
    assert {purchases.skus[i] for i in purchases.item} == {"P2", "P3", "P1"}
    split = last_month_split(purchases)
    train = {(split.train.skus[i], int(q)) for i, q in zip(split.train.item, split.train.qty, strict=True)}
    assert train == {("P1", 2), ("P2", 1)}  # as it was known at the end of September
    assert [split.train.skus[i] for i in split.targets[0]] == ["P1"]
    assert split.target_sizes.tolist() == [2]  # P1 and P3; the returned P2 is not demand
    # the whole history, netted at once, still loses September's P1
    assert ("P1", 2) not in {
        (purchases.skus[i], int(q)) for i, q in zip(purchases.item, purchases.qty, strict=True)
    }
