"""Kiosk in headless Chromium against a real edge seeded from the Online Retail data."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp
from playwright.sync_api import BrowserContext, Page, expect

from tests.web.harness import (
    KIOSK_TOKEN,
    MANAGER_TOKEN,
    Edge,
    VirtualSerialScanner,
    open_page,
    running_edge,
    scanner_profile,
    screenshot,
)

pytestmark = pytest.mark.browser
PRODUCT_SKU = "85123A"  # WHITE HANGING HEART T-LIGHT HOLDER, the first line of the data set


def provision(page: Page, token: str = KIOSK_TOKEN, device: str = "kiosk-1") -> None:
    expect(page.locator("#setup")).to_be_visible()
    page.fill("#setup-device", device)
    page.fill("#setup-token", token)
    page.click("#setup-form button[type=submit]")


def test_kiosk_search_product_and_language(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        page = open_page(browser, f"{edge.url}/kiosk", 1280, 800)
        provision(page, token=MANAGER_TOKEN)  # a manager token is refused on a kiosk
        expect(page.locator("#notice .notice.error")).to_contain_text("refusé")
        provision(page)
        expect(page.locator("#idle")).to_be_visible()
        page.fill("#search-q", "HEART T-LIGHT")
        page.press("#search-q", "Enter")
        expect(page.locator("#results-list .tile").first).to_be_visible()
        page.locator(f'#results-list .tile[data-sku="{PRODUCT_SKU}"]').click()
        expect(page.locator("#product-name")).to_have_text("WHITE HANGING HEART T-LIGHT HOLDER")
        stock = _stock_here(edge)
        expect(page.locator("#stock-here")).to_have_attribute("data-qty", str(stock))
        page.click("#lang-en")
        expect(page.locator("#stock-here")).to_contain_text("on the shelf")
        page.click("#lang-fr")
        expect(page.locator("#stock-here")).to_contain_text("en rayon")
        screenshot(page, "kiosk-debug.png")
        assert page.errors == []  # type: ignore[attr-defined]
        assert page.external == []  # type: ignore[attr-defined]


def _stock_here(edge: Edge) -> int:
    with edge.api(KIOSK_TOKEN) as client:
        return int(client.get(f"/api/v1/products/{PRODUCT_SKU}").json()["available"])


def test_kiosk_join_loyalty_shows_a_scannable_card_then_times_out(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VITRINE_WEB_KIOSK_IDLE_SECONDS", "5")
    monkeypatch.setenv("VITRINE_WEB_KIOSK_WARNING_SECONDS", "2")
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        page = open_page(browser, f"{edge.url}/kiosk", 1280, 800)
        provision(page)
        page.click("#lang-en")
        page.click("#join-open")
        page.fill("#join-name", "Camille Martin")
        page.click("#join-form button[type=submit]")
        expect(page.locator("#notice .notice")).to_contain_text("Tick the terms box")
        page.check("#join-terms")
        page.check("#join-marketing")
        page.click("#join-form button[type=submit]")
        expect(page.locator("#join-qr svg")).to_be_visible()
        card_text = page.locator("#join-card-number").inner_text()
        with edge.api(KIOSK_TOKEN) as client:
            card = card_text.split()[-1]
            customer = client.get("/api/v1/customers/lookup", params={"kind": "card", "value": card}).json()
        assert customer["name"] == "Camille Martin" and customer["consent_marketing"] is True
        decoded = decode_qr(page.locator("#join-qr svg").screenshot())
        assert decoded and card in decoded[0]

        # Nobody touches the kiosk: warning, then every trace of the customer is gone.
        expect(page.locator("#still-there")).to_be_visible(timeout=9_000)
        expect(page.locator("#idle")).to_be_visible(timeout=5_000)
        expect(page.locator("#notice")).to_contain_text("Session terminée")  # back to the default language
        assert page.locator("#join-qr").inner_html() == ""
        assert page.locator("#join-name").input_value() == ""
        assert page.evaluate("window.vitrineKiosk.state().customer") is None
        assert page.errors == []  # type: ignore[attr-defined]


def decode_qr(png: bytes) -> list[str]:
    image = cv2.imdecode(np.frombuffer(png, dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    return [r.text for r in zxingcpp.read_barcodes(image)]


def test_kiosk_journey_scan_product_then_loyalty_card_then_reserve(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scanner = VirtualSerialScanner()
    scanner_profile(tmp_path / "devices", scanner, "kiosk-1")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    try:
        with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
            page = open_page(browser, f"{edge.url}/kiosk", 1280, 800)
            provision(page)
            expect(page.locator("#scanner-state")).to_have_attribute("data-live", "true")
            with edge.api(KIOSK_TOKEN) as client:
                product = client.get(f"/api/v1/products/{PRODUCT_SKU}").json()
            scanner.scan(product["gtin"])
            expect(page.locator("#product-name")).to_have_text(product["name"])
            expect(page.locator("#stock-here")).to_have_attribute("data-qty", str(product["available"]))
            expect(page.locator("#product-recos .tile").first).to_be_visible()
            screenshot(page, "kiosk-debug.png")
            page.close()
    finally:
        scanner.close()
