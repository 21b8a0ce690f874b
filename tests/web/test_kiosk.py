"""Kiosk in headless Chromium against a real edge seeded from the Online Retail data."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import zxingcpp
from playwright.sync_api import BrowserContext, Page, expect

from drivers.tokens import Keyring, LoyaltyClaims, issue_loyalty_token, verify_token
from edge.api.auth import kiosk_device_token
from edge.api.presence import CARD_HEADER
from tests.web.harness import (
    KIOSK_TOKEN,
    MANAGER_TOKEN,
    STAFF_TOKEN,
    Edge,
    VirtualSerialScanner,
    cloud_ops,
    open_page,
    running_edge,
    scanner_profile,
    screenshot,
)

pytestmark = pytest.mark.browser
PRODUCT_SKU = "85123A"  # WHITE HANGING HEART T-LIGHT HOLDER, the first line of the data set
CUSTOMER = "17850"  # the first customer of the data set; the seed gives them card VC-17850
TOKEN_KEY = "test-deployment-key-0123456789"


def provision(page: Page, token: str | None = None, device: str = "kiosk-1") -> None:
    """Set the kiosk up with ``token`` (default: the device token of ``device``)."""
    expect(page.locator("#setup")).to_be_visible()
    page.fill("#setup-device", device)
    page.fill("#setup-token", token or kiosk_device_token(KIOSK_TOKEN, device))
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
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k2026": TOKEN_KEY}))
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
        # a member with no history yet gets this store's suggestions at once, never an empty "For you"
        expect(page.locator("#customer")).to_be_visible()
        expect(page.locator("#customer-recos .tile").first).to_be_visible()
        screenshot(page, "kiosk-join.png")
        card_text = page.locator("#join-card-number").inner_text()
        card = card_text.split()[-1]
        assert page.evaluate("window.vitrineKiosk.state().customer.card") == card  # the session continues
        decoded = decode_qr(page.locator("#join-qr svg").screenshot())
        assert len(decoded) == 1, decoded
        keyring = Keyring({"k2026": TOKEN_KEY.encode()}, "k2026")
        claims = verify_token(decoded[0], keyring, now=time.time())  # a signed card any store scanner accepts
        assert isinstance(claims, LoyaltyClaims) and claims.card_id == card
        with edge.api(KIOSK_TOKEN) as client:
            lookup = {"kind": "card", "value": card}
            assert client.get("/api/v1/customers/lookup", params=lookup).status_code == 403  # no card shown
            client.headers[CARD_HEADER] = decoded[0]  # the card's own QR opens it
            customer = client.get("/api/v1/customers/lookup", params=lookup).json()
        assert customer["name"] == "Camille Martin" and customer["consent_marketing"] is True
        # the proof of her consent: the kiosk sent the version of the notice that holds the box
        proof = customer["consent_proof"]
        assert (
            proof["granted"] is True
            and proof["wording_version"]
            and proof["channel"] == edge.settings.store_id
        )

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
    """The issue's kiosk journey: product scanned on the kiosk's scanner → stock and recommendations
    → loyalty card QR scanned → welcome, points, for-you, wishlist → reservation made."""
    scanner = VirtualSerialScanner()
    scanner_profile(tmp_path / "devices", scanner, "kiosk-1")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k2026": TOKEN_KEY}))
    try:
        with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
            two_min_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 150))
            cloud_ops(edge, ("stock.summary", {"store": "lyon-part-dieu",
                                               "items": [{"sku": PRODUCT_SKU, "qty": 14, "as_of": two_min_ago}]}),
                      ("stock.summary", {"store": "lille-centre", "items": [{"sku": PRODUCT_SKU, "qty": 3}]}))  # fmt: skip
            keyring = Keyring({"k2026": TOKEN_KEY.encode()}, "k2026")
            card_token = issue_loyalty_token(
                keyring, f"VC-{CUSTOMER}", issued_at=int(time.time()), ttl_s=3600
            )
            with edge.api(KIOSK_TOKEN) as client:
                client.headers[CARD_HEADER] = card_token
                product = client.get(f"/api/v1/products/{PRODUCT_SKU}").json()
                assert client.put(f"/api/v1/customers/{CUSTOMER}/wishlist/22752").status_code == 200
                points = client.get(f"/api/v1/customers/{CUSTOMER}/loyalty").json()["balance"]
            page = open_page(browser, f"{edge.url}/kiosk", 1280, 800)
            provision(page)
            expect(page.locator("#scanner-state")).to_have_attribute("data-live", "true")

            scanner.scan(product["gtin"])
            expect(page.locator("#product-name")).to_have_text(product["name"])
            expect(page.locator("#stock-here")).to_have_attribute("data-qty", str(product["available"]))
            expect(page.locator("#product-stores li")).to_have_count(2)
            expect(page.locator("#product-stores")).to_contain_text("lyon-part-dieu: 14 · il y a 2 min")
            expect(page.locator("#stock-here")).to_contain_text(" · ")  # its age too
            expect(page.locator("#product-recos .tile").first).to_be_visible()
            page.click("#reserve-here")  # not identified yet: the kiosk says what to do
            expect(page.locator("#notice .notice")).to_contain_text("Scannez d'abord votre carte")

            scanner.scan(card_token)
            expect(page.locator("#customer-welcome")).to_have_text(f"Bonjour Customer {CUSTOMER} !")
            expect(page.locator("#customer-points")).to_have_text(f"{points} points")
            expect(page.locator("#customer-recos .tile").first).to_be_visible()
            expect(page.locator("#customer-wishlist")).to_contain_text("SET 7 BABUSHKA NESTING BOXES")
            forged = "VTL1." + "x" * 20 + ".y"
            scanner.scan(forged)
            expect(page.locator("#notice .notice.error")).to_contain_text("Carte non reconnue")

            page.locator("#product-stores button").first.click()  # order from Lyon: confirm, then
            page.click("#order-confirm")  # it needs the cloud link
            expect(page.locator("#notice .notice.warn")).to_contain_text("liaison avec le siège coupée")

            page.click("#reserve-here")
            expect(page.locator("#reservation-done")).to_contain_text("Réservé")
            french_date = r"avant le (lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) \d{1,2} \S+ \d{4}"
            expect(page.locator("#reservation-done")).to_contain_text(
                re.compile(french_date)
            )  # the locale's date
            with edge.api(STAFF_TOKEN) as client:
                held = client.get("/api/v1/reservations", params={"state": "active"}).json()
            assert [(r["customer_id"], r["sku"], r["qty"]) for r in held] == [(CUSTOMER, PRODUCT_SKU, 1)]
            expect(page.locator("#stock-here")).to_have_attribute("data-qty", str(product["available"] - 1))
            screenshot(page, "kiosk.png")
            assert page.errors == []  # type: ignore[attr-defined]
            assert page.external == []  # type: ignore[attr-defined]
            page.close()
    finally:
        scanner.close()


def test_kiosk_join_with_an_email_that_already_has_a_card_says_what_to_do(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make demo`` walk: joining with an e-mail that already has a card answered "That is not
    possible right now. Ask a member of staff." — it is possible: the customer has a card already."""
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k2026": TOKEN_KEY}))
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        with edge.api(STAFF_TOKEN) as client:
            taken = client.post("/api/v1/customers", json={"name": "Ann Taken", "email": "ann@example.com"})
            assert taken.status_code == 201, taken.text
        page = open_page(browser, f"{edge.url}/kiosk", 1280, 800)
        provision(page)
        for lang, text in (("en", "already has a loyalty card"), ("fr", "déjà une carte de fidélité")):
            page.click(f"#lang-{lang}")
            page.click("#join-open")
            page.fill("#join-name", "Ann Again")
            page.fill("#join-email", "ann@example.com")
            page.check("#join-terms")
            page.click("#join-form button[type=submit]")
            expect(page.locator("#notice .notice")).to_contain_text(text)
            page.click("#home")
        # without a card, the wishlist (or an order from another store) asked to scan a card "to reserve"
        page.click("#lang-en")
        page.fill("#search-q", "HEART T-LIGHT")
        page.press("#search-q", "Enter")
        page.locator(f'#results-list .tile[data-sku="{PRODUCT_SKU}"]').click()
        page.click("#wish-add")
        expect(page.locator("#notice .notice")).to_contain_text("Scan your loyalty card first")
        expect(page.locator("#notice .notice")).not_to_contain_text("reserve")
        assert page.errors == []  # type: ignore[attr-defined]
