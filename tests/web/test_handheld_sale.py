"""The handheld's sale screen (mobile point of sale) in headless Chromium, with no cloud link: scan
or type items into a basket, change quantities, add a reservation looked up on the reservations
screen, identify the customer by a spaced phone number, redeem points within the offline allowance
(said plainly), record the payment terminal's reference, finish: receipt on screen with its QR."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.web.harness import STAFF_PIN, STAFF_TOKEN, cloud_ops, open_page, running_edge, screenshot
from tests.web.test_kiosk import decode_qr

pytestmark = pytest.mark.browser
CUSTOMER = "17850"
ALLOWANCE = 40


def test_offline_sale_with_a_reservation_and_points_within_the_allowance(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        expires = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
        # one op per call: cloud_ops stamps the ops of one call with one HLC (the inbox keeps one)
        cloud_ops(edge, ("customer.upsert", {"customer_id": CUSTOMER, "fields": {
            "phone": "+33612345678", "consent_marketing": True, "consent_wording": "terms-2026-11",
            "consent_at": "2026-11-20T10:00:00Z", "consent_channel": "online"}}))  # fmt: skip
        cloud_ops(edge, ("loyalty.allowance", {"store": "store-1", "customer_id": CUSTOMER, "points": ALLOWANCE,
                                               "lease_id": "lease-1", "expires_at": expires}))  # fmt: skip
        with edge.api(STAFF_TOKEN) as client:
            balance = client.get(f"/api/v1/customers/{CUSTOMER}/loyalty").json()["balance"]
            assert balance > ALLOWANCE
            held = client.post(
                "/api/v1/reservations", json={"customer_id": CUSTOMER, "sku": "22752", "qty": 1}
            )
            assert held.status_code == 201, held.text
            reservation = held.json()["reservation_id"]
            names = {
                sku: client.get(f"/api/v1/products/{sku}").json()["name"]
                for sku in ("85123A", "71053", "22752")
            }

        page = open_page(browser, f"{edge.url}/handheld?device=handheld-1", 400, 900)
        page.fill("#pin", STAFF_PIN)
        page.click("#pin-submit")
        page.click('nav.tasks button[data-task="reservations"]')
        expect(page.locator("#reservations-list")).to_contain_text(names["22752"])
        page.fill("#reservation-code", reservation)
        page.press("#reservation-code", "Enter")
        found = page.locator("#reservation-found")
        expect(found).to_contain_text(names["22752"])
        expect(found).to_contain_text(f"Customer {CUSTOMER}")
        found.get_by_role("button", name="Sell it").click()

        expect(page.locator("#task-sale")).to_be_visible()  # the reservation is in the basket, customer known
        expect(page.locator("#sale-basket")).to_contain_text(names["22752"])
        for code in ("85123A", "71053"):
            page.fill("#sale-code", code)
            page.press("#sale-code", "Enter")
            expect(page.locator("#sale-basket")).to_contain_text(names[code])
        page.locator('#sale-basket tr[data-sku="85123A"] button[data-step="1"]').click()
        expect(page.locator('#sale-basket tr[data-sku="85123A"] .qty')).to_have_text("2")

        page.click("#sale-customer-clear")
        page.fill("#sale-customer", "+33 6 12 34 56 78")
        page.press("#sale-customer", "Enter")
        expect(page.locator("#sale-who")).to_contain_text(f"Customer {CUSTOMER}")
        # The proof of the marketing consent, as the customer gave it (their own act online).
        consent = page.locator("#sale-consent")
        expect(consent).to_contain_text("agreed")
        expect(consent).to_contain_text("online (wording terms-2026-11)")
        hint = page.locator("#sale-redeem-hint")
        expect(hint).to_contain_text("Offline")
        expect(hint).to_contain_text(f"up to {ALLOWANCE} points")
        page.fill("#sale-redeem", str(ALLOWANCE + 10))
        page.click("#sale-finish")
        expect(page.locator("#sale-notice .notice.error")).to_contain_text(f"at most {ALLOWANCE}")
        page.fill("#sale-redeem", "30")
        page.fill("#sale-payment", "TPE-778812")
        page.click("#sale-finish")

        receipt = page.locator("#sale-receipt")
        expect(receipt).to_be_visible()
        expect(page.locator("#sale-notice .notice")).to_have_count(0)  # the refusal is gone
        receipt_id = page.locator("#sale-receipt-id").inner_text()
        assert decode_qr(page.locator("#sale-receipt-qr svg").screenshot()) == [receipt_id]
        screenshot(page, "handheld-sale.png")
        with edge.api(STAFF_TOKEN) as client:
            sold = client.get(f"/api/v1/receipts/{receipt_id}").json()
            state = client.get("/api/v1/reservations", params={"state": "fulfilled"}).json()
        assert sold["customer_id"] == CUSTOMER and sold["points_redeemed"] == 30
        assert sold["payment_ref"] == "TPE-778812"
        assert sorted((line["sku"], line["qty"]) for line in sold["lines"]) == [
            ("22752", 1),
            ("71053", 1),
            ("85123A", 2),
        ]
        assert [r["reservation_id"] for r in state] == [reservation]
        expect(receipt).to_contain_text(names["85123A"])

        # the customer wants it by e-mail: no link now, so it waits in the outbox and says so
        page.fill("#sale-receipt-email", "ines@example.com")
        page.click("#sale-receipt-send")
        sent = page.locator("#sale-receipt-mailed")
        expect(sent).to_contain_text("ines@example.com")
        expect(sent).to_contain_text("when the link to head office is back")
        queued = edge.settings.db_path
        with sqlite3.connect(queued) as db:
            bodies = [
                json.loads(b) for (b,) in db.execute("SELECT body FROM outbox WHERE type = 'receipt.email'")
            ]
        assert [(b["receipt_id"], b["email"]) for b in bodies] == [(receipt_id, "ines@example.com")]
        assert page.errors == []  # type: ignore[attr-defined]
        page.close()
