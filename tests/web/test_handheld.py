"""Handheld in headless Chromium: staff PIN sign-in, then pick and hand over a click & collect order."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from drivers.rfid.llrp_sim import simulator_spec
from drivers.rfid.simulator import BUS
from drivers.tokens import Keyring, issue_pickup_token
from tests.web.harness import (
    MANAGER_PIN,
    REPO,
    STAFF_PIN,
    STAFF_TOKEN,
    VirtualSerialScanner,
    open_page,
    place_click_collect,
    rfid_profiles,
    running_edge,
    scanner_profile,
    screenshot,
    wait_for,
)

pytestmark = pytest.mark.browser
CUSTOMER = "17850"  # a real customer of the slice; seeded card VC-17850
TOKEN_KEY = "test-deployment-key-0123456789"


def test_handheld_pick_and_hand_over_click_and_collect(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pick two orders; hand one over on the customer's pickup QR (scanned on the handheld's own
    scanner), the other by order number plus the customer's card (a wrong card is refused)."""
    scanner = VirtualSerialScanner()
    scanner_profile(tmp_path / "devices", scanner, "handheld-1")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k2026": TOKEN_KEY}))
    try:
        with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
            place_click_collect(edge, "CC-1001", CUSTOMER, [("85123A", 2), ("71053", 1)])
            place_click_collect(edge, "CC-1002", "13047", [("22752", 1)])
            place_click_collect(edge, "CC-1003", "12583", [("21731", 2)])
            with edge.api(STAFF_TOKEN) as client:
                shelf_before = client.get("/api/v1/stock/85123A").json()["on_hand"]
            page = open_page(browser, f"{edge.url}/handheld?device=handheld-1", 400, 820)

            page.fill("#pin", "0000")
            page.click("#pin-submit")
            expect(page.locator("#notice .notice.error")).to_contain_text("Wrong PIN")
            for digit in STAFF_PIN:
                page.click(f'#pinpad button[data-digit="{digit}"]')
            page.click("#pin-submit")
            expect(page.locator("#who")).to_have_text("alice (staff)")
            expect(page.locator("#scanner-state")).to_have_attribute("data-live", "true")

            page.click('nav.tasks button[data-task="collect"]')
            for order_id in ("CC-1001", "CC-1002"):
                order = page.locator(f'#collect-list .order[data-order="{order_id}"]')
                expect(order).to_have_attribute("data-state", "placed")
                order.locator("button.pick").click()
                expect(order).to_have_attribute("data-state", "picked")

            keyring = Keyring({"k2026": TOKEN_KEY.encode()}, "k2026")
            scanner.scan(
                issue_pickup_token(keyring, "CC-1001", "store-1", issued_at=int(time.time()), ttl_s=3600)
            )
            expect(page.locator('#collect-current .order[data-order="CC-1001"]')).to_be_visible()
            expect(page.locator("#collect-identity")).to_have_count(0)  # the signed QR is the proof
            page.locator("#collect-current button.handover").click()
            expect(page.locator("#handover-done")).to_contain_text("CC-1001 handed over")

            page.fill("#collect-code", "CC-1002")
            page.press("#collect-code", "Enter")
            expect(page.locator("#collect-identity")).to_be_visible()
            page.fill("#collect-identity", f"VC-{CUSTOMER}")  # someone else's card: refused, with a next step
            page.locator("#collect-current button.handover").click()
            expect(page.locator("#collect-notice .notice.error")).to_contain_text("does not match")
            page.fill("#collect-identity", "VC-13047")
            page.locator("#collect-current button.handover").click()
            expect(page.locator("#handover-done")).to_contain_text("CC-1002 handed over")
            expect(page.locator('#collect-list .order[data-order="CC-1003"]')).to_be_visible()
            screenshot(page, "handheld.png")

            with edge.api(STAFF_TOKEN) as client:
                assert client.get("/api/v1/orders/CC-1001").json()["state"] == "collected"
                assert client.get("/api/v1/orders/CC-1002").json()["state"] == "collected"
                assert client.get("/api/v1/orders/CC-1003").json()["state"] == "placed"
                assert client.get("/api/v1/stock/85123A").json()["on_hand"] == shelf_before - 2
            assert page.errors == []  # type: ignore[attr-defined]
            assert page.external == []  # type: ignore[attr-defined]
            page.close()
    finally:
        scanner.close()


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
        expect(page.locator("#stock-here")).to_contain_text("· just now")  # the sale above moved it
        expect(page.locator("#stock-elsewhere")).to_contain_text("No other store has it")
        gtin = product["gtin"]  # GTIN-14 as stored; every other form a person may type finds it too
        for code in (gtin[1:], f"(01){gtin}", f"01{gtin}", f"https://id.gs1.org/01/{gtin}"):
            page.evaluate("document.getElementById('price-result').replaceChildren()")
            page.fill("#price-code", code)
            page.press("#price-code", "Enter")
            expect(page.locator("#price-card")).to_contain_text(f"85123A · {gtin}")

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
        sku = str(first.get_attribute("data-sku"))
        counted = int(first.locator("td").nth(3).inner_text())
        with edge.api(STAFF_TOKEN) as client:
            assert client.get(f"/api/v1/stock/{sku}").json()["zones"]["shelf-a"] == counted
            name = client.get(f"/api/v1/products/{sku}").json()["name"]
        expect(first.locator(".pname")).to_have_text(name)  # the product's name, not only its sku
        page.close()


def test_a_full_store_count_that_would_empty_the_book_asks_first(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make demo`` walk: the simulated readers carry a few dozen products, the book holds many
    more; a full-store count set all the others to 0 with no question asked."""
    rfid_profiles(tmp_path / "devices")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        with edge.api(STAFF_TOKEN) as client:
            before = client.get("/api/v1/stock/85123A").json()["on_hand"]
        page = open_page(browser, f"{edge.url}/handheld", 400, 820)
        page.fill("#pin", STAFF_PIN)
        page.press("#pin", "Enter")
        page.click('nav.tasks button[data-task="count"]')
        page.click("#count-start")  # all sales zones: a full-store count
        wait_for(lambda: int(page.locator("#count-skus").inner_text()) > 0, 20, "products read")
        page.click("#count-finish")
        confirm = page.locator("#count-confirm")
        expect(confirm).to_be_visible()
        expect(confirm).to_contain_text("booked products to 0")
        with edge.api(STAFF_TOKEN) as client:  # nothing recorded yet; the session stays open
            assert client.get("/api/v1/stock/85123A").json()["on_hand"] == before
        page.click("#count-keep")
        expect(confirm).to_be_hidden()
        expect(page.locator("#count-live")).to_be_visible()
        page.click("#count-finish")
        page.click("#count-go")
        expect(page.locator("#count-done")).to_contain_text("Count recorded")
        assert page.errors == []  # type: ignore[attr-defined]
        page.close()


def test_a_count_that_reads_no_catalogue_product_says_nothing_was_recorded(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make demo`` walk: the simulated readers' tags were none of the store's products; the count
    recorded nothing (the book unchanged) but the handheld said "Count recorded: 1331 products, 1331
    differ … on-hand is now what was counted"."""
    name = "walk-unlabelled"
    url = f"vitrinesim://{name}?protocol=mercury&antennas=2&exit_antenna=0&tags=15&seed=4&rate=400"
    config = tmp_path / "devices"
    (config / "readers").mkdir(parents=True)
    (config / "rfid.toml").write_text((REPO / "firmware-config" / "rfid.toml").read_text())
    (config / "readers" / "floor.toml").write_text(
        f'id = "floor"\nprotocol = "mercury"\nurl = "{url}"\n[antennas]\n1 = "shelf-a"\n2 = "shelf-b"\n'
    )
    spec = simulator_spec(url)
    assert spec is not None
    BUS.forget(name)
    BUS.attach(spec, time.time())  # its world exists already: tags of made-up products, not the catalogue's
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(config))
    try:
        with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
            with edge.api(STAFF_TOKEN) as client:
                before = client.get("/api/v1/stock/85123A").json()["on_hand"]
            page = open_page(browser, f"{edge.url}/handheld", 400, 820)
            page.fill("#pin", STAFF_PIN)
            page.press("#pin", "Enter")
            page.click('nav.tasks button[data-task="count"]')
            page.click("#count-start")
            wait_for(lambda: int(page.locator("#count-tags").inner_text()) > 0, 20, "tags read")
            page.click("#count-finish")
            done = page.locator("#count-done")
            expect(done).to_contain_text("Nothing recorded")
            expect(done).not_to_contain_text("on-hand is now what was counted")
            with edge.api(STAFF_TOKEN) as client:
                assert client.get("/api/v1/stock/85123A").json()["on_hand"] == before
            assert page.errors == []  # type: ignore[attr-defined]
            page.close()
    finally:
        BUS.forget(name)
