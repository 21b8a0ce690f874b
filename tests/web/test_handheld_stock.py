"""Handheld stock adjustments: quantities bounded, a large change (or one that takes the book below
zero) needs an explicit confirmation, "transfer" names its counterpart store, names beside skus."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.web.harness import MANAGER_PIN, MANAGER_TOKEN, open_page, running_edge, screenshot

SKU = "85123A"
NAME = "WHITE HANGING HEART T-LIGHT HOLDER"


def test_large_adjustment_needs_confirmation_and_transfer_names_its_store(
    tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge, edge.api(MANAGER_TOKEN) as client:
        before = client.get(f"/api/v1/stock/{SKU}").json()["on_hand"]
        big = client.post(
            "/api/v1/stock/adjustments", json={"sku": SKU, "qty": -10_000, "reason": "adjustment"}
        )
        assert big.status_code == 409 and big.headers["x-vitrine-reason"] == "confirm_large", big.text
        assert str(before) in big.json()["detail"]  # says what the book would become
        assert client.get(f"/api/v1/stock/{SKU}").json()["on_hand"] == before  # nothing recorded
        no_store = client.post(
            "/api/v1/stock/adjustments", json={"sku": SKU, "qty": -2, "reason": "transfer"}
        )
        assert no_store.status_code == 422 and "store" in no_store.text
        body = {"sku": SKU, "qty": -2, "reason": "transfer", "counterpart": "lyon"}
        moved = client.post("/api/v1/stock/adjustments", json=body)
        assert moved.status_code == 201 and moved.json()["ref"] == "transfer to lyon", moved.text
        own = client.post("/api/v1/stock/adjustments", json={**body, "counterpart": "store-1"})
        assert own.status_code == 422
        body = {"sku": SKU, "qty": -10_000, "reason": "adjustment", "confirm": True}
        assert client.post("/api/v1/stock/adjustments", json=body).status_code == 201
        assert client.get(f"/api/v1/stock/{SKU}").json()["on_hand"] == before - 10_002


@pytest.mark.browser
def test_handheld_asks_before_a_large_adjustment(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        with edge.api(MANAGER_TOKEN) as client:
            before = client.get(f"/api/v1/stock/{SKU}").json()["on_hand"]
        page = open_page(browser, f"{edge.url}/handheld?device=handheld-1", 400, 820)
        page.fill("#pin", MANAGER_PIN)
        page.click("#pin-submit")
        page.click('nav.tasks button[data-task="adjust"]')
        page.fill("#adjust-code", SKU)
        page.fill("#adjust-qty", "-10000")  # beyond the handheld's bound: the form refuses it
        page.click("#adjust-form button[type=submit]")
        assert page.locator("#adjust-qty").evaluate("(input) => input.validity.rangeUnderflow")
        page.fill("#adjust-qty", "-500")
        page.click("#adjust-form button[type=submit]")
        ask = page.locator("#adjust-confirm")
        expect(ask).to_be_visible()
        expect(ask).to_contain_text(NAME)
        expect(ask).to_contain_text(f"{before - 500}")
        with edge.api(MANAGER_TOKEN) as client:
            assert client.get(f"/api/v1/stock/{SKU}").json()["on_hand"] == before
        page.click("#adjust-cancel")
        expect(ask).to_be_hidden()
        page.select_option("#adjust-reason", "transfer")
        page.fill("#adjust-counterpart", "lyon")
        page.fill("#adjust-qty", "-2")
        page.click("#adjust-form button[type=submit]")
        expect(page.locator("#adjust-result .notice.info")).to_contain_text("lyon")
        screenshot(page, "handheld-adjust.png")
        with edge.api(MANAGER_TOKEN) as client:
            assert client.get(f"/api/v1/stock/{SKU}").json()["on_hand"] == before - 2
        assert page.errors == []  # type: ignore[attr-defined]
