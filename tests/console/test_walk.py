"""Defects found walking ``make demo`` as head office would, on the hub's API and console pages
(in-process hub, SQLite and PostgreSQL; the ops a store sends applied as the ingest worker does).

* Oversold: the fleet view and its drill-down counted every (sku, zone) cell that went below zero,
  so a store selling from ``floor`` while its stock was booked ``unlocated`` showed dozens of
  "oversold" where ``GET /admin/v1/stock/oversold`` (the documented rule: a store's book for a sku,
  zones summed, below zero) listed none.
* The customer 360 said "Customer since" the import's time, after the purchases it lists; its
  purchases said "0" points earned for a collected click & collect order whose points the ledger
  on the same page shows (an order's points are earned at collection).
"""

from __future__ import annotations

import re
from pathlib import Path

from cloud import projections
from tests.cloud.helpers import StoreStream
from tests.console.harness import running_hub


def test_fleet_oversold_is_the_apis_oversold(tmp_path: Path, db_url: str) -> None:
    with running_hub(tmp_path, db_url) as hub:
        with hub.api() as api:
            for store in ("a", "b"):
                assert (
                    api.post("/admin/v1/stores", json={"store_id": store, "name": store}).status_code == 201
                )
        st = StoreStream("a")
        ops = [
            # MUG: 10 received without a location, 2 sold from the floor: 8 on hand, not oversold
            st.op("stock.count", {"sku": "MUG", "store": "a", "zone": "unlocated", "qty": 10}),
            st.op("stock.delta", {"sku": "MUG", "store": "a", "zone": "floor", "qty": -2, "reason": "sale"}),
            # TEE: 1 on hand, 3 sold: oversold by 2
            st.op("stock.count", {"sku": "TEE", "store": "a", "zone": "unlocated", "qty": 1}),
            st.op("stock.delta", {"sku": "TEE", "store": "a", "zone": "floor", "qty": -3, "reason": "sale"}),
        ]
        with hub.hub.engine.begin() as conn:
            projections.apply(conn, ops)
        with hub.session("alan") as client:
            api_rows = client.get("/admin/v1/stock/oversold").json()
            assert [(r["store"], r["sku"], r["oversold"]) for r in api_rows] == [("a", "TEE", 2)]
            fleet = client.get("/console/fleet.json").json()
            by_store = {s["store_id"]: s["anomalies"]["oversold"] for s in fleet["stores"]}
            assert by_store == {"a": 1, "b": 0}
            page = client.get("/console/anomalies/oversold").text
            assert "TEE" in page
            assert "MUG" not in page


def test_customer_360_shows_the_points_a_collected_order_earned(tmp_path: Path, db_url: str) -> None:
    with running_hub(tmp_path, db_url) as hub:
        st = StoreStream("a")
        at = "2026-12-05T10:00:00Z"
        sale = {"receipt_id": "o-1", "store": "a", "channel": "click_collect", "customer_id": "ann",
                "at": at, "lines": [{"sku": "X", "qty": 1, "unit_cents": 413}], "total_cents": 413,
                "points_earned": 0, "points_redeemed": 0}  # fmt: skip
        earn = {"entry_id": "order:o-1:earn", "customer_id": "ann", "kind": "earn", "points": 8,
                "ref": "o-1", "channel": "click_collect", "store": "a", "at": at}  # fmt: skip
        with hub.hub.engine.begin() as conn:
            projections.apply(conn, [st.op("sale.recorded", sale), st.op("loyalty.entry", earn)])
        with hub.session("mona") as client:
            page = client.get("/console/customers/ann").text
        row = re.search(r'<tr data-receipt="o-1"[^>]*>(.*?)</tr>', page, re.S)
        assert row is not None, page
        assert re.findall(r"<td>(.*?)</td>", row.group(1))[-1] == "8"
        # imported customers: the profile is created at import, years after their first purchase
        assert '<dd id="first-purchase">2026-12-05T10:00:00Z</dd>' in page
        assert "Customer since" not in page


def test_reports_say_which_days_the_hub_holds_sales_for(tmp_path: Path, db_url: str) -> None:
    """``make demo`` walk: the reports open on the last 30 days, where the demo has a few minutes of
    sales; its imported history (2010–2011) was invisible unless one guessed its dates."""
    with running_hub(tmp_path, db_url) as hub:
        st = StoreStream("a")
        ops = [
            st.op(
                "sale.recorded",
                {
                    "receipt_id": rid,
                    "store": "a",
                    "channel": "store",
                    "customer_id": None,
                    "at": at,
                    "lines": [{"sku": "X", "qty": 1, "unit_cents": 100}],
                    "total_cents": 100,
                },
            )
            for rid, at in (("r-1", "2010-12-01T08:26:00Z"), ("r-2", "2011-12-09T12:50:00Z"))
        ]
        with hub.hub.engine.begin() as conn:
            projections.apply(conn, ops)
        with hub.session("alan") as client:
            page = client.get("/console/reports").text
        assert re.search(r"The hub holds sales from\s*2010-12-01\s*to\s*2011-12-09", page), page
        assert 'href="/console/reports?from=2010-12-01&amp;to=2011-12-09"' in page
