"""The handheld's sale screen serves pickups too, in headless Chromium: a click & collect order by
its typed code (the customer proves who they are with their card) and another by its scanned pickup
QR, a reservation by its reference and a shelf item, in one basket; finishing hands the orders over,
picks the reservation up and sells the rest, each counted in revenue under its own channel."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from drivers.tokens import Keyring, issue_pickup_token
from tests.web.harness import (
    MANAGER_TOKEN,
    STAFF_PIN,
    STAFF_TOKEN,
    VirtualSerialScanner,
    open_page,
    place_click_collect,
    running_edge,
    scanner_profile,
    screenshot,
)

pytestmark = pytest.mark.browser
CUSTOMER = "17850"
TOKEN_KEY = "test-deployment-key-0123456789"


def test_pickups_reservations_and_shelf_items_in_one_basket(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanner = VirtualSerialScanner()
    scanner_profile(tmp_path / "devices", scanner, "handheld-1")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k2026": TOKEN_KEY}))
    try:
        with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
            place_click_collect(edge, "CC-2001", CUSTOMER, [("85123A", 2)])
            place_click_collect(edge, "CC-2002", CUSTOMER, [("21731", 1)])  # not picked yet
            with edge.api(STAFF_TOKEN) as client:
                assert client.post("/api/v1/orders/CC-2001/pick").status_code == 200
                held = client.post(
                    "/api/v1/reservations", json={"customer_id": CUSTOMER, "sku": "22752", "qty": 1}
                )
                reservation = held.json()["reservation_id"]
                names = {
                    sku: client.get(f"/api/v1/products/{sku}").json()["name"]
                    for sku in ("85123A", "21731", "22752", "71053")
                }

            page = open_page(browser, f"{edge.url}/handheld?device=handheld-1", 400, 900)
            page.fill("#pin", STAFF_PIN)
            page.click("#pin-submit")
            expect(page.locator("#scanner-state")).to_have_attribute("data-live", "true")
            page.click('nav.tasks button[data-task="sale"]')
            basket = page.locator("#sale-basket")
            for code, sku in (("CC-2001", "85123A"), (reservation, "22752"), ("71053", "71053")):
                page.fill("#sale-code", code)
                page.press("#sale-code", "Enter")
                expect(basket).to_contain_text(names[sku])
            expect(basket).to_contain_text("order CC-2001")
            keyring = Keyring({"k2026": TOKEN_KEY.encode()}, "k2026")
            scanner.scan(
                issue_pickup_token(keyring, "CC-2002", "store-1", issued_at=int(time.time()), ttl_s=60)
            )
            expect(basket).to_contain_text(names["21731"])
            expect(basket).to_contain_text("order CC-2002")

            # the typed order code is no proof: the customer shows who they are before the hand-over
            page.click("#sale-customer-clear")
            page.click("#sale-finish")
            expect(page.locator("#sale-notice .notice.error")).to_contain_text("CC-2001")
            page.fill("#sale-customer", f"VC-{CUSTOMER}")
            page.press("#sale-customer", "Enter")
            expect(page.locator("#sale-who")).to_contain_text(f"Customer {CUSTOMER}")
            page.click("#sale-finish")

            receipt = page.locator("#sale-receipt")
            expect(receipt).to_be_visible()
            expect(receipt).to_contain_text("CC-2001 handed over")
            expect(receipt).to_contain_text("CC-2002 handed over")
            receipt_id = page.locator("#sale-receipt-id").inner_text()
            screenshot(page, "handheld-sale-pickups.png")
            with edge.api(STAFF_TOKEN) as client:
                assert client.get("/api/v1/orders/CC-2001").json()["state"] == "collected"
                assert client.get("/api/v1/orders/CC-2002").json()["state"] == "collected"
                sold = client.get(f"/api/v1/receipts/{receipt_id}").json()
                done = client.get("/api/v1/reservations", params={"state": "fulfilled"}).json()
                totals = {
                    o: client.get(f"/api/v1/orders/{o}").json()["total_cents"] for o in ("CC-2001", "CC-2002")
                }
            assert sorted((line["sku"], line["qty"]) for line in sold["lines"]) == [
                ("22752", 1),
                ("71053", 1),
            ]
            assert [r["reservation_id"] for r in done] == [reservation]
            by_sku = {line["sku"]: line["line_cents"] for line in sold["lines"]}
            with edge.api(MANAGER_TOKEN) as manager:
                per_channel = manager.get("/ui/manager/dashboard").json()["today"][
                    "revenue_per_channel_cents"
                ]
            assert per_channel == {
                "click_collect": totals["CC-2001"] + totals["CC-2002"],
                "reservation": by_sku["22752"],
                "store": by_sku["71053"],
            }
            assert page.errors == []  # type: ignore[attr-defined]
            page.close()
    finally:
        scanner.close()
