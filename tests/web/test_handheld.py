"""Handheld in headless Chromium: staff PIN sign-in, then pick and hand over a click & collect order."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.web.harness import (
    MANAGER_PIN,
    STAFF_PIN,
    STAFF_TOKEN,
    open_page,
    place_click_collect,
    rfid_profiles,
    running_edge,
    screenshot,
    wait_for,
)

pytestmark = pytest.mark.browser
CUSTOMER = "17850"  # a real customer of the slice; seeded card VC-17850


def test_handheld_pick_and_hand_over_click_and_collect(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        place_click_collect(edge, "CC-1001", CUSTOMER, [("85123A", 2), ("71053", 1)])
        place_click_collect(edge, "CC-1002", "13047", [("22752", 1)])
        with edge.api(STAFF_TOKEN) as client:
            shelf_before = client.get("/api/v1/stock/85123A").json()["on_hand"]
        page = open_page(browser, f"{edge.url}/handheld", 400, 820)

        page.fill("#pin", "0000")
        page.click("#pin-submit")
        expect(page.locator("#notice .notice.error")).to_contain_text("Wrong PIN")
        for digit in STAFF_PIN:
            page.click(f'#pinpad button[data-digit="{digit}"]')
        page.click("#pin-submit")
        expect(page.locator("#who")).to_have_text("alice (staff)")

        page.click('nav.tasks button[data-task="collect"]')
        order = page.locator('#collect-list .order[data-order="CC-1001"]')
        expect(order).to_have_attribute("data-state", "placed")
        order.locator("button.pick").click()
        expect(page.locator('#collect-list .order[data-order="CC-1001"]')).to_have_attribute(
            "data-state", "picked"
        )

        page.fill("#collect-code", "CC-1001")
        page.press("#collect-code", "Enter")
        expect(page.locator("#collect-identity")).to_be_visible()
        page.fill("#collect-identity", "VC-99999")  # someone else's card: refused, with a next step
        page.locator("#collect-current button.handover").click()
        expect(page.locator("#collect-notice .notice.error")).to_contain_text("does not match")
        page.fill("#collect-identity", f"VC-{CUSTOMER}")
        page.locator("#collect-current button.handover").click()
        expect(page.locator("#handover-done")).to_contain_text("CC-1001 handed over")
        screenshot(page, "handheld.png")

        with edge.api(STAFF_TOKEN) as client:
            assert client.get("/api/v1/orders/CC-1001").json()["state"] == "collected"
            assert client.get("/api/v1/stock/85123A").json()["on_hand"] == shelf_before - 2
        assert page.errors == []  # type: ignore[attr-defined]
        assert page.external == []  # type: ignore[attr-defined]


def test_handheld_price_check_receive_return_and_adjust(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        with edge.api(STAFF_TOKEN) as client:
            product = client.get("/api/v1/products/85123A").json()
            sale = client.post(
                "/api/v1/sales", json={"customer_id": CUSTOMER, "lines": [{"sku": "85123A", "qty": 3}]}
            ).json()
        page = open_page(browser, f"{edge.url}/handheld", 400, 820)
        page.fill("#pin", STAFF_PIN)
        page.press("#pin", "Enter")
        expect(page.locator("#who")).to_contain_text("alice")

        page.fill("#price-code", product["gtin"])  # typed as a keyboard-wedge scanner would
        page.press("#price-code", "Enter")
        expect(page.locator("#price-card")).to_contain_text("WHITE HANGING HEART T-LIGHT HOLDER")
        expect(page.locator("#price-card")).to_contain_text(f"Stock here: {product['on_hand'] - 3}")

        page.click('nav.tasks button[data-task="receive"]')
        page.fill("#receive-code", "85123A")
        page.fill("#receive-qty", "12")
        page.fill("#receive-ref", "DN-5531")
        page.click("#receive-form button[type=submit]")
        expect(page.locator("#receive-result")).to_contain_text(f"is now {product['on_hand'] - 3 + 12}")

        page.click('nav.tasks button[data-task="returns"]')
        page.fill("#returns-receipt", sale["receipt_id"])
        page.press("#returns-receipt", "Enter")
        page.fill("#ret-0", "1")
        page.click("#return-submit")
        expect(page.locator("#return-done")).to_contain_text("recorded")

        page.click('nav.tasks button[data-task="adjust"]')
        page.fill("#adjust-code", "85123A")
        page.fill("#adjust-qty", "-2")
        page.select_option("#adjust-reason", "damage")
        page.click("#adjust-form button[type=submit]")
        expect(page.locator("#adjust-result .notice.error")).to_contain_text("need a manager")

        page.click("#sign-out")
        page.fill("#pin", MANAGER_PIN)
        page.press("#pin", "Enter")
        expect(page.locator("#who")).to_contain_text("maud (manager)")
        page.click('nav.tasks button[data-task="adjust"]')
        page.fill("#adjust-code", "85123A")
        page.fill("#adjust-qty", "-2")
        page.click("#adjust-form button[type=submit]")
        expect(page.locator("#adjust-result")).to_contain_text(
            f"is now {product['on_hand'] - 3 + 12 + 1 - 2}"
        )
        assert page.errors == []  # type: ignore[attr-defined]


def test_handheld_rfid_cycle_count_with_live_progress(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rfid_profiles(tmp_path / "devices")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        page = open_page(browser, f"{edge.url}/handheld", 400, 820)
        page.fill("#pin", STAFF_PIN)
        page.press("#pin", "Enter")
        page.click('nav.tasks button[data-task="count"]')
        expect(page.locator('#count-zone option[value="shelf-a"]')).to_have_count(1)
        page.select_option("#count-zone", "shelf-a")
        page.click("#count-start")
        expect(page.locator("#count-live")).to_be_visible()
        wait_for(
            lambda: int(page.locator("#count-tags").inner_text()) > 0, 20, "tags read by the simulated reader"
        )
        reads = int(page.locator("#count-reads").inner_text())
        wait_for(lambda: int(page.locator("#count-reads").inner_text()) > reads, 10, "progress to move")
        page.click("#count-finish")
        expect(page.locator("#count-done")).to_contain_text("Count recorded")
        first = page.locator("#count-result tbody tr").first
        sku = first.locator("td").nth(0).inner_text()
        counted = int(first.locator("td").nth(3).inner_text())
        with edge.api(STAFF_TOKEN) as client:
            assert client.get(f"/api/v1/stock/{sku}").json()["zones"]["shelf-a"] == counted
        page.close()
