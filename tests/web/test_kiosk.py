"""Kiosk in headless Chromium against a real edge seeded from the Online Retail data."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.web.harness import KIOSK_TOKEN, MANAGER_TOKEN, Edge, open_page, running_edge, screenshot

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
