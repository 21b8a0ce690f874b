"""Manager dashboard in headless Chromium: a real Mosquitto, the edge's sync link and a cloud hub.

The broker is stopped → the dashboard shows the store offline with a backlog that grows as the
store keeps selling → the broker comes back → the backlog drains to zero.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from cloud.ingest.hub import start_hub
from cloud.storage import make_engine, migrate
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess
from sync.transport import MqttConfig
from tests.web.harness import (
    KIOSK_TOKEN,
    MANAGER_PIN,
    MANAGER_TOKEN,
    STAFF_TOKEN,
    Edge,
    VirtualSerialScanner,
    open_page,
    place_click_collect,
    rfid_profiles,
    running_edge,
    scanner_profile,
    screenshot,
    wait_for,
)

pytestmark = [pytest.mark.browser, pytest.mark.broker]
BASKETS = [
    ("store", "17850", [("85123A", 2), ("71053", 1)]),
    ("store", None, [("22752", 1)]),
    ("kiosk", "13047", [("84029G", 3)]),
    ("store", "12583", [("21731", 4), ("22745", 2)]),
]


def sell(edge: Edge, channel: str, customer: str | None, lines: list[tuple[str, int]]) -> str:
    body: dict[str, object] = {"channel": channel, "lines": [{"sku": s, "qty": q} for s, q in lines]}
    if customer:
        body["customer_id"] = customer
    with edge.api(STAFF_TOKEN) as client:
        resp = client.post("/api/v1/sales", json=body)
    assert resp.status_code == 201, resp.text
    return str(resp.json()["receipt_id"])


def backlog_shown(page: Page) -> int:
    return int(page.locator("#sync-backlog").get_attribute("data-value") or -1)


def store_activity(edge: Edge) -> None:
    """A morning in the store: sales on two channels, a return, an RFID count, orders to collect."""
    receipts = [sell(edge, *basket) for basket in BASKETS]
    with edge.api(MANAGER_TOKEN) as client:
        resp = client.post(
            "/api/v1/returns", json={"receipt_id": receipts[0], "lines": [{"sku": "71053", "qty": 1}]}
        )
        assert resp.status_code == 201, resp.text
        book = {
            sku: client.get(f"/api/v1/stock/{sku}").json()["on_hand"] for sku in ("22752", "84029G", "21731")
        }
        counted = [{"sku": "22752", "qty": book["22752"] - 2}, {"sku": "84029G", "qty": book["84029G"] + 1},
                   {"sku": "21731", "qty": book["21731"]}]  # fmt: skip
        resp = client.post(
            "/api/v1/stock/counts", json={"zone": "floor", "session": "rfid-count-1", "items": counted}
        )
        assert resp.status_code == 201, resp.text
        resp = client.post("/api/v1/stock/adjustments", json={"sku": "22745", "qty": -client.get(
            "/api/v1/stock/22745").json()["on_hand"] + 1, "reason": "damage"})  # fmt: skip
        assert resp.status_code == 201, resp.text
    place_click_collect(edge, "CC-2001", "17850", [("85123A", 1)])
    place_click_collect(edge, "CC-2002", "13047", [("22752", 2)])


def test_manager_dashboard_offline_backlog_then_drain(
    browser: BrowserContext,
    tmp_path: Path,
    retail_sync_slice: Path,
    monkeypatch: pytest.MonkeyPatch,
    broker: MosquittoProcess,
) -> None:
    monkeypatch.setenv("VITRINE_WEB_MANAGER_REFRESH_SECONDS", "0.5")
    rfid_profiles(tmp_path / "devices")
    scanner = VirtualSerialScanner()
    scanner_profile(tmp_path / "devices", scanner, "kiosk-1")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    engine = make_engine(f"sqlite:///{tmp_path / 'cloud.db'}")
    migrate(engine)
    hub = start_hub(engine, MqttConfig(port=broker.port, client_id="hub-1"))
    try:
        assert hub.transport.wait_connected(10), "cloud hub did not connect"
        with running_edge(tmp_path, retail_sync_slice, monkeypatch) as edge:
            link = SyncLink(
                SyncLinkConfig(store_id=edge.settings.store_id, broker_port=broker.port, reconnect_max_s=0.3,
                               ack_timeout_s=1.0),
                edge.node.outbox,
                edge.node.inbox,
            )  # fmt: skip
            edge.app.state.sync_link = link
            link.start()
            try:
                store_activity(edge)
                page = open_page(browser, f"{edge.url}/manager", 1440, 1000)
                page.fill("#pin", MANAGER_PIN)
                page.press("#pin", "Enter")
                expect(page.locator("#sync")).to_have_attribute("data-state", "online", timeout=20_000)
                wait_for(lambda: backlog_shown(page) == 0, 30, "the seed's ops to reach the cloud")

                broker.stop()
                expect(page.locator("#sync")).to_have_attribute("data-state", "offline")
                sell(edge, "store", "17850", [("85123A", 1)])
                wait_for(lambda: backlog_shown(page) > 0, 10, "a backlog while offline")
                first = backlog_shown(page)
                sell(edge, "store", None, [("22752", 1)])
                sell(edge, "kiosk", "13047", [("71053", 2)])
                wait_for(lambda: backlog_shown(page) > first, 10, "the backlog to grow")
                expect(page.locator("#sync-oldest")).not_to_have_text("none")
                screenshot(page, "manager-offline.png")

                broker.start()
                expect(page.locator("#sync")).to_have_attribute("data-state", "online", timeout=20_000)
                wait_for(lambda: backlog_shown(page) == 0, 30, "the backlog to drain")
                assert edge.node.outbox.acked_seq() == edge.node.outbox.last_seq()
                expect(page.locator("#kpi-sales-n")).to_contain_text("7 sales")
                expect(page.locator("#discrepancies tbody tr")).to_have_count(2)
                expect(page.locator("#orders tbody tr")).to_have_count(2)
                # the shipped readers (Mercury, R2000, the LLRP stockroom reader) and the kiosk scanner
                expect(page.locator("#devices tbody tr")).to_have_count(4)
                screenshot(page, "manager.png")
                assert page.errors == []  # type: ignore[attr-defined]
                assert page.external == []  # type: ignore[attr-defined]
            finally:
                link.stop()
    finally:
        hub.stop()
        engine.dispose()
        scanner.close()


def test_manager_refuses_a_staff_pin_and_kiosk_token(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        page = open_page(browser, f"{edge.url}/manager", 1280, 800)
        page.fill("#pin", "4821")
        page.press("#pin", "Enter")
        expect(page.locator("#notice .notice.error")).to_contain_text("not a manager")
        with edge.api(KIOSK_TOKEN) as client:
            assert client.get("/ui/manager/dashboard").status_code == 403
            assert client.get("/ui/manager/sync").status_code == 403
