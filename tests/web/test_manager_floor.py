"""Manager dashboard: click & collect pickups count in today's revenue per channel."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.harness import MANAGER_TOKEN, STAFF_TOKEN, place_click_collect, running_edge


def test_click_and_collect_pickups_count_in_revenue_per_channel(
    tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        place_click_collect(edge, "CC-REV-1", "17850", [("85123A", 2)])
        place_click_collect(edge, "CC-REV-2", "17850", [("71053", 1)])  # picked, not collected yet
        with edge.api(STAFF_TOKEN) as client:
            sale = client.post("/api/v1/sales", json={"channel": "store", "lines": [{"sku": "85123A", "qty": 1}]})
            assert sale.status_code == 201
            for order_id in ("CC-REV-1", "CC-REV-2"):
                assert client.post(f"/api/v1/orders/{order_id}/pick").status_code == 200
            done = client.post("/api/v1/orders/CC-REV-1/collect", json={"customer": "VC-17850"})
            assert done.status_code == 200, done.text
            order_total = done.json()["total_cents"]
        with edge.api(MANAGER_TOKEN) as manager:
            today = manager.get("/ui/manager/dashboard").json()["today"]
        per_channel = today["revenue_per_channel_cents"]
        assert per_channel["click_collect"] == order_total
        assert per_channel["store"] == sale.json()["total_cents"]
        assert today["revenue_cents"] == order_total + sale.json()["total_cents"]
        assert today["sales"] == 2
