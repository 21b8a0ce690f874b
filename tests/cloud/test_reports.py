"""Reports: exact figures on a small known data set, both backends, JSON and CSV."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cloud import projections, reports
from cloud.errors import InvalidInput
from tests.cloud.helpers import StoreStream


def _sale(
    st: StoreStream, rid: str, day: str, channel: str, customer: str | None, lines: list[tuple[str, int, int]]
):
    total = sum(q * c for _, q, c in lines)
    return st.op(
        "sale.recorded",
        {
            "receipt_id": rid,
            "store": st.store,
            "channel": channel,
            "customer_id": customer,
            "payment_ref": "p",
            "at": f"{day}T10:00:00Z",
            "lines": [{"sku": s, "qty": q, "unit_cents": c, "discount_cents": 0} for s, q, c in lines],
            "total_cents": total,
            "points_earned": 0,
            "points_redeemed": 0,
        },
    )


@pytest.fixture
def data(engine: Engine) -> Engine:
    a, b = StoreStream("a"), StoreStream("b")
    ops = [
        _sale(a, "r1", "2026-01-01", "store", "c1", [("X", 2, 500)]),
        _sale(a, "r2", "2026-01-02", "store", None, [("Y", 1, 1000)]),
        _sale(a, "r3", "2026-01-05", "store", "c1", [("X", 1, 500), ("Y", 1, 1000)]),
        _sale(b, "r4", "2026-01-02", "kiosk", "c2", [("X", 4, 500)]),
        _sale(b, "r5", "2026-02-01", "store", "c2", [("X", 1, 500)]),  # outside January
        b.op(
            "return.recorded",
            {
                "return_id": "t1",
                "receipt_id": "r4",
                "store": "b",
                "channel": "store",
                "at": "2026-01-03T10:00:00Z",
                "lines": [{"sku": "X", "qty": 1, "refund_cents": 500}],
                "refund_cents": 500,
                "points_reversed": 0,
            },
        ),
        a.op("stock.delta", {"sku": "X", "store": "a", "zone": "floor", "qty": 10, "reason": "receipt"}),
        a.op(
            "stock.count", {"sku": "X", "store": "a", "zone": "floor", "qty": 8, "at": "2026-01-06T08:00:00Z"}
        ),
        a.op(
            "stock.count", {"sku": "Y", "store": "a", "zone": "floor", "qty": 0, "at": "2026-01-06T08:00:00Z"}
        ),
    ]
    with engine.begin() as conn:
        projections.apply(conn, ops)
    return engine


def test_revenue_basket_visits_loyalty(data: Engine) -> None:
    with data.connect() as conn:
        by_channel = reports.run(conn, "revenue_by_channel", "2026-01-01", "2026-01-31")
        assert by_channel == [
            {"channel": "kiosk", "revenue_cents": 2000, "receipts": 1, "units": 4},
            {"channel": "store", "revenue_cents": 3500, "receipts": 3, "units": 5},
        ]
        by_store = {
            r["store"]: r["revenue_cents"]
            for r in reports.run(conn, "revenue_by_store", "2026-01-01", "2026-12-31")
        }
        assert by_store == {"a": 3500, "b": 2500}
        basket = {
            (r["store"], r["channel"]): r["avg_basket_cents"]
            for r in reports.run(conn, "average_basket", "2026-01-01", "2026-01-31")
        }
        assert basket == {("a", "store"): pytest.approx(3500 / 3, rel=1e-3), ("b", "kiosk"): 2000}
        visits = {
            r["store"]: r["avg_visits_per_customer"]
            for r in reports.run(conn, "visit_frequency", "2026-01-01", "2026-01-31")
        }
        assert visits == {"a": 2.0, "b": 1.0}
        loyal = {
            r["store"]: r["loyalty_rate"]
            for r in reports.run(conn, "loyalty_rate", "2026-01-01", "2026-01-31")
        }
        assert loyal == {"a": pytest.approx(2 / 3, rel=1e-4), "b": 1.0}


def test_return_rate_and_stock_accuracy(data: Engine) -> None:
    with data.connect() as conn:
        rates = {r["channel"]: r for r in reports.run(conn, "return_rate", "2026-01-01", "2026-01-31")}
        assert rates["kiosk"]["return_rate"] == 0.25 and rates["kiosk"]["refund_cents"] == 500
        assert rates["store"]["return_rate"] == 0.0
        acc = reports.run(conn, "stock_accuracy", "2026-01-06", "2026-01-06")
        assert acc[0]["store"] == "a" and acc[0]["counts"] == 2
        assert acc[0]["exact"] == 1  # Y: book 0, counted 0; X: book 10, counted 8
        assert acc[0]["abs_diff"] == 2 and acc[0]["accuracy"] == pytest.approx(1 - 2 / 10)
        csv_text = reports.to_csv(reports.run(conn, "revenue_by_channel", "2026-01-01", "2026-01-31"))
        assert csv_text.splitlines()[0] == "channel,revenue_cents,receipts,units"
        assert csv_text.splitlines()[1] == "kiosk,2000,1,4"


def test_bad_ranges_are_rejected(data: Engine) -> None:
    with data.connect() as conn:
        with pytest.raises(InvalidInput):
            reports.run(conn, "revenue_by_channel", "2026-02-01", "2026-01-01")
        with pytest.raises(InvalidInput):
            reports.run(conn, "nope", "2026-01-01", "2026-01-02")


def test_stock_accuracy_judges_a_session_per_product_over_its_zones(engine: Engine) -> None:
    """Opening stock booked in ``floor``, found on ``shelf-a`` (4) and ``backroom`` (2) by a full-store
    count: a relocation, not an error (sync.zones); the session's count of Y is 1 short."""
    a = StoreStream("a")
    at = "2026-03-02T08:00:00Z"

    def count(sku: str, zone: str, qty: int, session: str | None) -> object:
        return a.op(
            "stock.count", {"sku": sku, "store": "a", "zone": zone, "qty": qty, "session": session, "at": at}
        )

    ops = [
        count("X", "floor", 6, None),
        count("Y", "floor", 3, None),
        count("X", "floor", 0, "s1"),
        count("X", "shelf-a", 4, "s1"),
        count("X", "backroom", 2, "s1"),
        count("Y", "floor", 0, "s1"),
        count("Y", "shelf-a", 2, "s1"),
    ]
    with engine.begin() as conn:
        projections.apply(conn, ops)  # type: ignore[arg-type]
    with engine.connect() as conn:
        [acc] = reports.run(conn, "stock_accuracy", "2026-03-02", "2026-03-02")
    # groups: the two opening counts (book 0 each), then X (book 6, counted 6) and Y (book 3, counted 2)
    assert acc["counts"] == 4 and acc["exact"] == 1
    assert acc["abs_diff"] == 6 + 3 + 1 and acc["net_diff"] == 9 - 1


def test_reservation_pickups_are_their_own_channel(engine: Engine) -> None:
    """A receipt made only of a reservation pickup leaves its channel's receipts; a mixed one counts
    in both rows; a re-delivered sale changes nothing."""
    a = StoreStream("a")
    only = _sale(a, "r1", "2026-04-01", "store", "c1", [("X", 2, 500)])
    only.body["lines"][0]["reservation_id"] = "RS-1"
    mixed = _sale(a, "r2", "2026-04-01", "store", "c1", [("X", 1, 500), ("Y", 1, 1000)])
    mixed.body["lines"][1]["reservation_id"] = "RS-2"
    plain = _sale(a, "r3", "2026-04-01", "kiosk", None, [("Y", 1, 1000)])
    with engine.begin() as conn:
        projections.apply(conn, [only, mixed, plain])
    with engine.begin() as conn:
        projections.apply(conn, [only])
    with engine.connect() as conn:
        rows = reports.run(conn, "revenue_by_channel", "2026-04-01", "2026-04-01")
        by_store = reports.run(conn, "revenue_by_store", "2026-04-01", "2026-04-01")
    assert rows == [
        {"channel": "kiosk", "revenue_cents": 1000, "receipts": 1, "units": 1},
        {"channel": "reservation", "revenue_cents": 2000, "receipts": 2, "units": 3},
        {"channel": "store", "revenue_cents": 500, "receipts": 1, "units": 1},
    ]
    assert by_store == [{"store": "a", "revenue_cents": 3500, "receipts": 3, "units": 5}]
