"""Manager dashboard: click & collect pickups count in today's revenue per channel; loss-prevention
alerts named by product, acknowledged from the page, raised once per tag and window."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from drivers.loss_prevention import LossAlert
from edge.devices.alerts import AlertStore
from tests.web.harness import (
    MANAGER_PIN,
    MANAGER_TOKEN,
    STAFF_TOKEN,
    open_page,
    place_click_collect,
    rfid_profiles,
    running_edge,
    screenshot,
)


def test_pickups_and_reservations_count_in_revenue_per_channel(
    tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        place_click_collect(edge, "CC-REV-1", "17850", [("85123A", 2)])
        place_click_collect(edge, "CC-REV-2", "17850", [("71053", 1)])  # picked, not collected yet
        with edge.api(STAFF_TOKEN) as client:
            sale = client.post(
                "/api/v1/sales", json={"channel": "store", "lines": [{"sku": "85123A", "qty": 1}]}
            )
            assert sale.status_code == 201
            held = client.post(
                "/api/v1/reservations", json={"customer_id": "17850", "sku": "22752", "qty": 1}
            )
            reservation = held.json()["reservation_id"]
            lines = [{"sku": "22752", "qty": 1, "reservation_id": reservation}, {"sku": "71053", "qty": 1}]
            mixed = client.post("/api/v1/sales", json={"customer_id": "17850", "lines": lines})
            assert mixed.status_code == 201, mixed.text
            by_sku = {line["sku"]: line["line_cents"] for line in mixed.json()["lines"]}
            for order_id in ("CC-REV-1", "CC-REV-2"):
                assert client.post(f"/api/v1/orders/{order_id}/pick").status_code == 200
            done = client.post("/api/v1/orders/CC-REV-1/collect", json={"customer": "VC-17850"})
            assert done.status_code == 200, done.text
            order_total = done.json()["total_cents"]
            waiting = client.get("/api/v1/orders", params={"state": "picked"}).json()
            name = client.get("/api/v1/customers/17850").json()["name"]
        assert [(o["order_id"], o["customer_name"]) for o in waiting] == [("CC-REV-2", name)]
        with edge.api(MANAGER_TOKEN) as manager:
            today = manager.get("/ui/manager/dashboard").json()["today"]
        per_channel = today["revenue_per_channel_cents"]
        assert per_channel["click_collect"] == order_total
        assert per_channel["reservation"] == by_sku["22752"]  # the reserved line, picked up
        assert per_channel["store"] == sale.json()["total_cents"] + by_sku["71053"]
        assert (
            today["revenue_cents"] == order_total + sale.json()["total_cents"] + mixed.json()["total_cents"]
        )
        assert today["sales"] == 3


def test_an_alert_per_tag_is_raised_once_per_window(tmp_path: Path) -> None:
    store = AlertStore(tmp_path / "alerts.db", repeat_s=600)
    epc = "3034257BF400B7800004CB2F"
    assert store.add(LossAlert(epc, "85123A", "exit", 1000.0, "unpaid"), "HEART") is not None
    assert store.add(LossAlert(epc, "85123A", "exit", 1020.0, "unpaid"), "HEART") is None  # 20 s later
    assert store.add(LossAlert("3034257BF400B7800004CB30", None, "exit", 1020.0, "unpaid"), None) is not None
    assert store.add(LossAlert(epc, "85123A", "exit", 1700.0, "unpaid"), "HEART") is not None
    assert len(store.recent()) == 3
    store.close()


@pytest.mark.browser
def test_manager_acknowledges_an_alert_named_by_product(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rfid_profiles(tmp_path / "devices")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        hub = edge.app.state.device_hub
        hub.alerts.add(
            LossAlert("3034257BF400B7800004CB2F", "85123A", "exit", time.time(), "unpaid"),
            "WHITE HANGING HEART T-LIGHT HOLDER",
        )
        page = open_page(browser, f"{edge.url}/manager", 1280, 900)
        page.fill("#pin", MANAGER_PIN)
        page.click("#pin-form button[type=submit]")
        row = page.locator("#alerts tr", has_text="WHITE HANGING HEART T-LIGHT HOLDER")
        expect(row).to_be_visible()
        screenshot(page, "manager-alerts.png")
        row.get_by_role("button", name="Acknowledge").click()
        expect(page.locator("#alerts")).to_contain_text("No alert")
        assert hub.alerts.recent(include_acknowledged=False) == []
        assert page.errors == []  # type: ignore[attr-defined]
