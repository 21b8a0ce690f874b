"""Kiosk promises in headless Chromium: the idle wipe with the camera's stray scans running, a scan
nobody asked for as a fading notice, ordering from another store (confirmation, quantity, pickup
code and its QR) through a real hub, and French messages with error codes the page translates."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, ConsoleMessage, expect
from sqlalchemy import Engine, select

from cloud import orders, projections
from cloud.admin import catalog, pricing, stores
from cloud.ingest.hub import start_hub
from cloud.loyalty import ledger
from cloud.marketing.delivery import deliver
from cloud.marketing.senders import SmtpSender
from cloud.rpc import hub_handlers
from cloud.settings import CloudSettings
from cloud.storage import make_engine, migrate
from cloud.storage import schema as s
from drivers.tokens import Keyring, PickupClaims, issue_loyalty_token, verify_token
from edge.sync_link import SyncLink, SyncLinkConfig
from edge.web.routes import TERMS_VERSION
from sync.broker import MosquittoProcess
from sync.hlc import HybridClock
from sync.ops import Op
from sync.transport import MqttConfig
from tests.cloud.sinks import smtp_sink
from tests.web.harness import (
    STAFF_PIN,
    STAFF_TOKEN,
    VirtualSerialScanner,
    cloud_ops,
    open_page,
    running_edge,
    scanner_profile,
    screenshot,
    wait_for,
)
from tests.web.test_kiosk import decode_qr, provision
from tests.web.test_routes import customer_in_cloud

pytestmark = pytest.mark.browser
CUSTOMER = "17850"
TOKEN_KEY = "test-deployment-key-0123456789"
KEYRING = Keyring({"k2026": TOKEN_KEY.encode()}, "k2026")


def card_token() -> str:
    return issue_loyalty_token(KEYRING, f"VC-{CUSTOMER}", issued_at=int(time.time()), ttl_s=3600)


def test_stray_scans_neither_keep_the_session_alive_nor_cover_the_screen(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VITRINE_WEB_KIOSK_IDLE_SECONDS", "5")
    monkeypatch.setenv("VITRINE_WEB_KIOSK_WARNING_SECONDS", "2")
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k2026": TOKEN_KEY}))
    scanner = VirtualSerialScanner()
    scanner_profile(tmp_path / "devices", scanner, "kiosk-1")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    console: list[str] = []
    stop = threading.Event()
    try:
        with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
            page = open_page(browser, f"{edge.url}/kiosk", 1280, 800)
            page.on("console", lambda m: _keep_error(console, m))
            page.reload()
            provision(page)
            expect(page.locator("#scanner-state")).to_have_attribute("data-live", "true")
            scanner.scan(card_token())
            expect(page.locator("#customer-welcome")).to_have_text(f"Bonjour Customer {CUSTOMER} !")

            def camera() -> None:  # the demo's camera loops codes no product has: a valid GTIN too
                for n in range(40):
                    if stop.wait(0.8):
                        return
                    scanner.scan(("UNKNOWN-CODE-1", "09506000134352")[n % 2])

            threading.Thread(target=camera, daemon=True).start()
            toast = page.locator("#scan-toast")
            expect(toast).to_be_visible()
            expect(toast).to_contain_text("Code non reconnu")
            expect(page.locator("#notice .notice.error")).to_have_count(0)  # nothing painted over
            screenshot(page, "kiosk-stray-scan.png")
            # untouched for idle + warning (7 s) despite a scan every 0.8 s: everything is wiped
            expect(page.locator("#customer")).to_be_hidden(timeout=12_000)
            expect(page.locator("#customer-welcome")).to_have_text("")
            expect(page.locator("#notice")).to_contain_text("Session terminée")
            assert page.evaluate("window.vitrineKiosk.state().customer") is None
            stop.set()
            expect(toast).to_be_hidden(timeout=8_000)  # the notice fades by itself
            assert not [c for c in console if "regular expression" in c], console
            assert page.errors == []  # type: ignore[attr-defined]
            page.close()
    finally:
        stop.set()
        scanner.close()


def _keep_error(console: list[str], message: ConsoleMessage) -> None:
    if message.type == "error":
        console.append(message.text)


@pytest.mark.broker
def test_order_from_another_store_confirms_quantity_and_shows_the_pickup_qr(
    browser: BrowserContext,
    tmp_path: Path,
    retail_sync_slice: Path,
    monkeypatch: pytest.MonkeyPatch,
    broker: MosquittoProcess,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cloud.db'}")
    migrate(engine)
    clock = HybridClock("cloud")
    hub = start_hub(
        engine, MqttConfig(port=broker.port, client_id="hub-1"), rpc_handlers=hub_handlers(engine, clock)
    )
    scanner = VirtualSerialScanner()
    scanner_profile(tmp_path / "devices", scanner, "kiosk-1")
    monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(tmp_path / "devices"))
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k2026": TOKEN_KEY}))
    try:
        assert hub.transport.wait_connected(10)
        with running_edge(tmp_path, retail_sync_slice, monkeypatch) as edge:
            product = edge.node.catalog.product("85123A")
            with engine.begin() as conn:
                stores.provision(conn, clock, CloudSettings(), "lyon", "Lyon Part-Dieu")
                catalog.import_items(conn, clock, [{"sku": product.sku, "gtin": product.gtin, "name": product.name,
                                                   "category": product.category, "attributes": {}}])  # fmt: skip
                pricing.create_price_list(
                    conn, clock, "base", "2020-01-01T00:00:00Z", [{"sku": "85123A", "cents": 295}]
                )
                count = {"sku": "85123A", "store": "lyon", "zone": "floor", "qty": 3, "session": "opening"}
                projections.apply(conn, [Op("lyon", 1, str(clock.now()), "stock.count", count)], clock)
                stock = {"store": "lyon", "items": [{"sku": "85123A", "qty": 14}]}
            link = SyncLink(
                SyncLinkConfig(store_id="store-1", broker_port=broker.port, reconnect_max_s=0.3, ack_timeout_s=1.0),
                edge.node.outbox,
                edge.node.inbox,
            )  # fmt: skip
            edge.app.state.sync_link = link
            link.start()
            try:
                wait_for(lambda: customer_in_cloud(engine, CUSTOMER), 30, "the customer to reach the cloud")
                _cloud_stock(edge, stock)
                page = open_page(browser, f"{edge.url}/kiosk", 1280, 800)
                provision(page)
                expect(page.locator("#scanner-state")).to_have_attribute("data-live", "true")
                scanner.scan(card_token())
                expect(page.locator("#customer-welcome")).to_have_text(f"Bonjour Customer {CUSTOMER} !")
                page.fill("#search-q", "85123A")
                page.press("#search-q", "Enter")
                page.locator('#results-list .tile[data-sku="85123A"]').click()
                page.locator("#product-stores button").first.click()
                dialog = page.locator("#order-dialog")
                expect(dialog).to_be_visible()  # nothing ordered before the customer confirms
                assert _orders_of(engine, CUSTOMER) == []
                page.fill("#order-qty", "5")  # Lyon's hub holds 3: refused with a translated reason
                page.click("#order-confirm")
                expect(page.locator("#notice .notice")).to_contain_text("pas assez de stock")
                assert "orders.place" not in page.locator("#notice").inner_text()
                page.locator("#product-stores button").first.click()
                page.fill("#order-qty", "2")
                page.click("#order-confirm")
                done = page.locator("#order-done")
                expect(done).to_be_visible()
                code = page.locator("#order-code").inner_text()
                decoded = decode_qr(page.locator("#order-qr svg").screenshot())
                claims = verify_token(decoded[0], KEYRING, now=time.time())
                assert isinstance(claims, PickupClaims) and claims.store_id == "lyon"
                assert claims.order_id == code
                expect(done).to_contain_text("nous vous prévenons (e-mail ou SMS)")
                screenshot(page, "kiosk-order-other-store.png")
                placed = _orders_of(engine, CUSTOMER)
                assert placed == [code]
                with engine.connect() as conn:
                    assert orders.get(conn, code)["lines"][0]["qty"] == 2
                assert page.errors == []  # type: ignore[attr-defined]
                page.close()
                _online_sale_with_redemption(browser, edge, engine, link)
            finally:
                link.stop()
    finally:
        scanner.close()
        hub.stop()
        engine.dispose()


def _online_sale_with_redemption(browser: BrowserContext, edge: Any, engine: Engine, link: SyncLink) -> None:
    """The handheld's sale screen with the cloud link up: head office authorises the redemption
    (no allowance is leased, so an offline rule could not have allowed it)."""
    edge.node.selling.authority.attach(link)  # the served app attaches its own link; this test built one
    wait_for(lambda: _cloud_balance(engine, CUSTOMER) >= 20, 30, "the customer's points to reach the cloud")
    page = open_page(browser, f"{edge.url}/handheld?device=handheld-1", 400, 900)
    page.fill("#pin", STAFF_PIN)
    page.click("#pin-submit")
    page.click('nav.tasks button[data-task="sale"]')
    page.fill("#sale-code", "85123A")
    page.press("#sale-code", "Enter")
    expect(page.locator('#sale-basket tr[data-sku="85123A"]')).to_be_visible()
    page.fill("#sale-customer", f"VC-{CUSTOMER}")
    page.press("#sale-customer", "Enter")
    expect(page.locator("#sale-redeem-hint")).to_contain_text("Online: head office authorises")
    page.fill("#sale-redeem", "20")
    page.click("#sale-finish")
    expect(page.locator("#sale-receipt")).to_be_visible()
    receipt_id = page.locator("#sale-receipt-id").inner_text()
    with edge.api(STAFF_TOKEN) as client:
        assert client.get(f"/api/v1/receipts/{receipt_id}").json()["points_redeemed"] == 20
        assert client.get(f"/api/v1/customers/{CUSTOMER}/loyalty").json()["allowance_remaining"] == 0
    # the customer wants the receipt by e-mail: the hub sends it with its own sender
    page.fill("#sale-receipt-email", "ines@example.com")
    page.click("#sale-receipt-send")
    expect(page.locator("#sale-receipt-mailed")).to_contain_text("head office e-mails it to ines@example.com")
    wait_for(lambda: _receipt_mail(engine, receipt_id), 30, "the receipt e-mail to reach the hub's outbox")
    with smtp_sink() as sink:
        assert deliver(engine, SmtpSender("127.0.0.1", sink.port, "shop@example.com"))["sent"] >= 1
    mails = [m for m in sink.messages if receipt_id in m["data"]]
    assert [m["to"] for m in mails] == [["ines@example.com"]]
    assert edge.node.catalog.product("85123A").name in mails[0]["data"]
    assert page.errors == []  # type: ignore[attr-defined]
    page.close()


def _receipt_mail(engine: Engine, receipt_id: str) -> bool:
    ob = s.marketing_outbox
    with engine.connect() as conn:
        rows = conn.execute(
            select(ob.c.recipient).where(ob.c.trigger == "receipt", ob.c.period == receipt_id[-32:])
        )
        return [r[0] for r in rows] == ["ines@example.com"]


def _cloud_balance(engine: Engine, customer_id: str) -> int:
    with engine.connect() as conn:
        return ledger.balance(conn, customer_id)


def _cloud_stock(edge: Any, stock: dict[str, Any]) -> None:
    cloud_ops(edge, ("stock.summary", stock))


def _orders_of(engine: Engine, customer_id: str) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(select(s.orders.c.order_id).where(s.orders.c.customer_id == customer_id))
        return [str(r[0]) for r in rows]


def test_terms_notice_is_on_screen_versioned_localised_and_its_accepted_version_kept(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k2026": TOKEN_KEY}))
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        page = open_page(browser, f"{edge.url}/kiosk", 1280, 800)
        provision(page)
        page.click("#join-open")
        terms = page.locator("#terms")
        expect(terms).to_be_visible()
        expect(terms).to_contain_text("protection de vos données")
        expect(page.locator("#terms-version")).to_have_text(f"Version {TERMS_VERSION}")
        expect(page.locator("label.check", has=page.locator("#join-terms"))).to_contain_text("ci-dessus")
        page.click("#lang-en")
        expect(terms).to_contain_text("never sold")
        expect(page.locator("#terms-version")).to_have_text(f"Version {TERMS_VERSION}")
        screenshot(page, "kiosk-terms.png")
        page.fill("#join-name", "Jeanne Terme")
        page.check("#join-terms")
        page.click("#join-form button[type=submit]")
        expect(page.locator("#join-qr svg")).to_be_visible()
        customer_id = page.evaluate("window.vitrineKiosk.state().customer.customer_id")
        row = (
            edge.node.replica.reader()
            .execute("SELECT attributes FROM customers WHERE customer_id = ?", (customer_id,))
            .fetchone()
        )
        assert json.loads(row[0])["terms_version"] == TERMS_VERSION  # the version accepted, kept
        ops = edge.node.outbox.read_after(0, 100_000)
        consent = [op.body["consent"] for op in ops if op.type == "customer.upsert" and "consent" in op.body]
        assert [c["terms_version"] for c in consent] == [TERMS_VERSION]  # and sent to the hub with it
        assert page.errors == []  # type: ignore[attr-defined]
