"""Returns from anywhere on the handheld (issue 13, point 4), in headless Chromium: an online order
collected at store A is taken back at store B's handheld (B never saw it: its edge asks the hub
over the sync link), the answer shows the points the hub reversed, and a further return of the
same order is refused with the hub's reason; then a return by customer lookup (e-mail). Real
Mosquitto, real hub (SQLite), real edge apps."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from cloud.api import create_app as create_hub
from cloud.ingest.hub import start_hub
from cloud.rpc import hub_handlers
from cloud.settings import CloudSettings
from cloud.storage import make_engine, migrate
from edge.api.app import create_app
from edge.cloud_rpc import CloudRpc
from edge.node import EdgeNode
from edge.services.selling import Basket, BasketLine
from edge.services.stock import CountItem
from edge.settings import EdgeSettings
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess
from sync.hlc import HybridClock
from sync.transport import MqttConfig
from tests.cloud.helpers import SHOP, downlink, seed, serve
from tests.web.harness import (
    KIOSK_TOKEN,
    MANAGER_TOKEN,
    STAFF_PIN,
    STAFF_TOKEN,
    live_server,
    open_page,
    staff_pins_env,
)

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def wait_for(pred: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_handheld_takes_back_an_order_collected_at_another_store(
    browser: BrowserContext, tmp_path: Path, broker: MosquittoProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cloud.db'}"
    migrating = make_engine(url)
    migrate(migrating)
    migrating.dispose()
    hub_app = create_hub(
        CloudSettings(
            database_url=url,
            admin_token="admin-secret-0123456789",
            shop_token="shop-secret-0123456789",  # type: ignore[arg-type]
            broker_port=broker.port,
        )
    )
    engine = hub_app.state.hub.engine
    nodes: dict[str, EdgeNode] = {}
    links: dict[str, SyncLink] = {}
    hub = None
    try:
        with serve(hub_app) as api:
            seed(api)
            hub = start_hub(
                engine,
                MqttConfig(port=broker.port, client_id="hub-web-returns"),
                rpc_handlers=hub_handlers(engine, HybridClock("cloud-web")),
            )
            assert hub.transport.wait_connected(10)
            for store in ("a", "b"):
                nodes[store] = EdgeNode.open(tmp_path / f"{store}.db", store)
                links[store] = SyncLink(
                    SyncLinkConfig(
                        store_id=store, broker_port=broker.port, reconnect_max_s=0.3, ack_timeout_s=1.0
                    ),
                    nodes[store].outbox,
                    nodes[store].inbox,
                )
                links[store].start()
                cloud = CloudRpc(timeout_s=5)
                cloud.attach(links[store])
                nodes[store].attach_cloud(cloud)
            for store in ("a", "b"):
                queued = len(downlink(engine, store))
                wait_for(
                    lambda s=store, n=queued: nodes[s].inbox.high_water_mark("cloud") >= n, 20, "checkpoints"
                )
            nodes["a"].stock.count([CountItem("TEE-1", 5)])
            links["a"].notify()
            wait_for(
                lambda: any(
                    x["store"] == "a" and x["qty"] == 5
                    for x in api.get("/shop/v1/products/TEE-1", headers=SHOP).json()["availability"]
                ),
                20,
                "A's stock at the hub",
            )
            cid = api.post("/shop/v1/customers", json={"email": "ann@example.com"}, headers=SHOP).json()[
                "customer_id"
            ]
            r = api.post("/shop/v1/orders", headers=SHOP, json={"kind": "click_collect", "store": "a",
                                                                "customer_id": cid, "lines": [{"sku": "TEE-1", "qty": 2}]})  # fmt: skip
            assert r.status_code == 201, r.text
            oid = r.json()["order_id"]
            wait_for(lambda: any(o.order_id == oid for o in nodes["a"].orders.list()), 20, "the order at A")
            nodes["a"].orders.pick(oid, by="staff-1")
            nodes["a"].orders.collect(oid, customer_ref=cid, pickup_code=None, by="staff-1")
            links["a"].notify()
            wait_for(
                lambda: api.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()["points"] == 80,
                20,
                "points",
            )

            staff_pins_env(monkeypatch)
            settings = EdgeSettings(
                store_id="b",
                db_path=tmp_path / "b.db",
                kiosk_token=KIOSK_TOKEN,
                staff_token=STAFF_TOKEN,
                manager_token=MANAGER_TOKEN,
            )
            with live_server(create_app(settings, node=nodes["b"])) as server:
                page = open_page(browser, f"{server.url}/handheld", 400, 820)
                page.fill("#pin", STAFF_PIN)
                page.press("#pin", "Enter")
                page.click('nav.tasks button[data-task="returns"]')
                page.fill("#returns-receipt", oid)
                page.press("#returns-receipt", "Enter")
                expect(page.locator("#returns-lines")).to_contain_text(f"Online order {oid}")
                expect(page.locator("#returns-lines")).to_contain_text("Plain tee")
                page.fill("#ret-0", "1")
                page.click("#return-submit")
                # each return asks the hub (RPC timeout 5 s): wait longer than that on a loaded CI box
                expect(page.locator("#return-done")).to_contain_text("40 points reversed", timeout=15_000)
                # the second unit, then a third attempt: refused with the hub's reason
                for expected in ("40 points reversed", "already returned"):
                    page.fill("#returns-receipt", oid)
                    page.press("#returns-receipt", "Enter")
                    expect(page.locator("#ret-0")).to_be_visible()
                    page.fill("#ret-0", "1")
                    page.click("#return-submit")
                    expect(page.locator("#returns-lines")).to_contain_text(expected, timeout=15_000)
                # by customer lookup: what Ann bought in this store
                nodes["b"].customers.lookup("email", "ann@example.com")  # B holds Ann (asked the hub)
                nodes["b"].selling.sell(Basket([BasketLine("TEE-1", 1)], customer_id=cid, payment_ref="T9"))
                page.fill("#returns-receipt", "ann@example.com")
                page.press("#returns-receipt", "Enter")
                expect(page.locator("#returns-lines")).to_contain_text("Purchases of")
                page.fill("#ret-0", "1")
                page.click("#return-submit")
                expect(page.locator("#return-done")).to_contain_text("recorded")
                assert not page.errors, page.errors
            assert api.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()["points"] == 0
    finally:
        for link in links.values():
            link.stop()
        for node in nodes.values():
            node.close()
        if hub is not None:
            hub.stop()
        engine.dispose()
