"""The web router's JSON endpoints over a real uvicorn edge (no browser): sign-in lockout, roles,
card QR, pickup orders without a cloud link, and the dashboard's figures against the sales made."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from cloud import orders, projections
from cloud.admin import catalog, pricing, stores
from cloud.ingest.hub import start_hub
from cloud.settings import CloudSettings
from cloud.shop import ordering
from cloud.storage import make_engine, migrate
from cloud.storage import schema as s
from drivers.tokens import Keyring, issue_loyalty_token
from edge.api.presence import CARD_HEADER
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess
from sync.hlc import HybridClock
from sync.ops import Op
from sync.transport import MqttConfig
from tests.web.harness import (
    KIOSK_TOKEN,
    MANAGER_PIN,
    MANAGER_TOKEN,
    STAFF_PIN,
    STAFF_TOKEN,
    running_edge,
    wait_for,
)

CARD_KEY = "web-test-card-key-0123456789"


def card_of(card: str) -> dict[str, str]:
    """The ``X-Vitrine-Card`` header a kiosk sends once the customer scanned their card."""
    keyring = Keyring({"k1": CARD_KEY.encode()}, "k1")
    return {CARD_HEADER: issue_loyalty_token(keyring, card, issued_at=int(time.time()), ttl_s=600)}


def test_web_endpoints(tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VITRINE_WEB_PIN_MAX_FAILURES", "3")
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k1": CARD_KEY}))
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge, edge.api("") as anon:
        anon.headers.pop("Authorization")
        for page in ("/kiosk", "/handheld", "/manager"):
            resp = anon.get(page)
            assert resp.status_code == 200 and "default-src 'self'" in resp.headers["content-security-policy"]
            assert KIOSK_TOKEN not in resp.text and MANAGER_TOKEN not in resp.text
        # the store's address itself (a new user's first try) links to its pages, not a bare 404
        home = anon.get("/")
        assert home.status_code == 200 and "default-src 'self'" in home.headers["content-security-policy"]
        assert all(f'href="{path}"' in home.text for path in ("/kiosk", "/handheld", "/manager", "/docs"))
        script = anon.get("/static/kiosk.js")
        assert script.status_code == 200 and script.headers["cache-control"] == "no-cache"
        assert (
            anon.get("/static/kiosk.js", headers={"If-None-Match": script.headers["etag"]}).status_code == 304
        )

        staff = anon.post("/ui/sign-in", json={"pin": STAFF_PIN}).json()
        assert staff == {"token": STAFF_TOKEN, "role": "staff", "name": "alice"}
        assert anon.post("/ui/sign-in", json={"pin": MANAGER_PIN}).json()["role"] == "manager"
        assert anon.post("/ui/sign-in", json={"pin": "12"}).status_code == 422
        for _ in range(3):
            assert anon.post("/ui/sign-in", json={"pin": "0000"}).status_code == 401
        locked = anon.post("/ui/sign-in", json={"pin": STAFF_PIN})  # even the right PIN, for a while
        assert locked.status_code == 429 and "Wait" in locked.json()["detail"]
        assert int(locked.headers["retry-after"]) > 0

        assert anon.get("/ui/whoami").status_code == 401
        with edge.api(KIOSK_TOKEN) as kiosk:
            assert kiosk.get("/ui/whoami").json() == {"role": "kiosk", "store": "store-1"}
            assert kiosk.get("/ui/manager/dashboard").status_code == 403
            order = {"customer_id": "17850", "sku": "85123A", "qty": 1, "store": "lyon"}
            assert kiosk.post("/ui/kiosk/card.svg", json={"customer_id": "17850"}).status_code == 403
            assert kiosk.post("/ui/kiosk/pickup-orders", json=order).status_code == 403  # no card shown
            kiosk.headers.update(card_of("VC-17850"))
            card = kiosk.post("/ui/kiosk/card.svg", json={"customer_id": "17850"})
            assert card.status_code == 200 and card.headers["content-type"] == "image/svg+xml"
            assert kiosk.post("/ui/kiosk/card.svg", json={"customer_id": "nobody"}).status_code == 403
            no_link = kiosk.post("/ui/kiosk/pickup-orders", json=order)
            assert no_link.status_code == 409 and "head office" in no_link.json()["detail"]
            assert no_link.headers["x-vitrine-reason"] == "no_cloud_link"
            assert (
                kiosk.post("/ui/kiosk/pickup-orders", json={**order, "store": "store-1"}).status_code == 422
            )
            # a product this store does not list is still the hub's to judge (it answers unknown_product)
            unlisted = kiosk.post("/ui/kiosk/pickup-orders", json={**order, "sku": "NOPE"})
            assert unlisted.status_code == 409 and unlisted.headers["x-vitrine-reason"] == "no_cloud_link"

        with edge.api(STAFF_TOKEN) as client:
            totals = []
            for channel, customer in (("store", "17850"), ("kiosk", None), ("store", None)):
                body = {"channel": channel, "lines": [{"sku": "85123A", "qty": 2}]}
                sale = client.post(
                    "/api/v1/sales", json=body | ({"customer_id": customer} if customer else {})
                )
                assert sale.status_code == 201, sale.text
                totals.append((channel, sale.json()["total_cents"]))
        with edge.api(MANAGER_TOKEN) as manager:
            today = manager.get("/ui/manager/dashboard").json()["today"]
            sync = manager.get("/ui/manager/sync").json()
        revenue = sum(t for _, t in totals)
        assert today["sales"] == 3 and today["revenue_cents"] == revenue
        assert today["average_basket_cents"] == revenue // 3
        assert today["loyalty_rate"] == pytest.approx(1 / 3)
        assert today["revenue_per_channel_cents"] == {
            "store": totals[0][1] + totals[2][1],
            "kiosk": totals[1][1],
        }
        assert sum(today["sales_per_hour"]) == 3
        assert sync["configured"] is False and sync["online"] is False
        assert sync["backlog"] == edge.node.outbox.last_seq() - edge.node.outbox.acked_seq() > 0


def customer_in_cloud(engine: Engine, customer_id: str) -> bool:
    with engine.connect() as conn:
        return (
            conn.execute(
                select(s.customers.c.customer_id).where(s.customers.c.customer_id == customer_id)
            ).first()
            is not None
        )


@pytest.mark.broker
def test_pickup_order_from_another_store_goes_through_the_cloud(
    tmp_path: Path, retail_sync_slice: Path, monkeypatch: pytest.MonkeyPatch, broker: MosquittoProcess
) -> None:
    """The kiosk's "order from another store": the edge asks the hub over MQTT RPC (``orders.place``);
    the hub places a click & collect order at the store that has the item, with the cloud's real
    ordering service. The hub's handler is registered here because the cloud's default handler set
    (``cloud.rpc.hub_handlers``) does not serve ``orders.place`` yet."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cloud.db'}")
    migrate(engine)
    clock = HybridClock("cloud")

    def place_order(_store: str, params: dict[str, Any]) -> dict[str, Any]:
        with engine.begin() as conn:
            return ordering.place(
                conn, clock, kind=params["kind"], lines=params["lines"], customer_id=params["customer_id"],
                store=params["store"], warehouse="warehouse",
            )  # fmt: skip

    hub = start_hub(
        engine, MqttConfig(port=broker.port, client_id="hub-1"), rpc_handlers={"orders.place": place_order}
    )
    try:
        assert hub.transport.wait_connected(10)
        monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k1": CARD_KEY}))
        with running_edge(tmp_path, retail_sync_slice, monkeypatch) as edge:
            product = edge.node.catalog.product("85123A")
            with engine.begin() as conn:
                stores.provision(conn, clock, CloudSettings(), "lyon", "Lyon Part-Dieu")
                catalog.import_items(conn, clock, [{"sku": product.sku, "gtin": product.gtin, "name": product.name,
                                                   "category": product.category, "attributes": {}}])  # fmt: skip
                pricing.create_price_list(
                    conn, clock, "base", "2020-01-01T00:00:00Z", [{"sku": "85123A", "cents": 295}]
                )
                count = {"sku": "85123A", "store": "lyon", "zone": "floor", "qty": 14, "session": "opening"}
                projections.apply(conn, [Op("lyon", 1, str(clock.now()), "stock.count", count)], clock)
            link = SyncLink(
                SyncLinkConfig(
                    store_id="store-1", broker_port=broker.port, reconnect_max_s=0.3, ack_timeout_s=1.0
                ),
                edge.node.outbox,
                edge.node.inbox,
            )
            edge.app.state.sync_link = link
            link.start()
            try:
                # the customer reaches the cloud with the store's seed ops (customers come first)
                wait_for(lambda: customer_in_cloud(engine, "17850"), 30, "the customer to reach the cloud")
                with edge.api(KIOSK_TOKEN) as kiosk:
                    kiosk.headers.update(card_of("VC-17850"))
                    body = {"customer_id": "17850", "sku": "85123A", "qty": 2, "store": "lyon"}
                    placed = kiosk.post("/ui/kiosk/pickup-orders", json=body)
                    assert placed.status_code == 201, placed.text
                    short = kiosk.post("/ui/kiosk/pickup-orders", json={**body, "qty": 5, "sku": "71053"})
                    assert short.status_code == 409 and "refused" in short.json()["detail"]
                order_id = placed.json()["order_id"]
                with engine.connect() as conn:
                    order = orders.get(conn, order_id)
                assert (order["store"], order["kind"], order["customer_id"]) == (
                    "lyon",
                    "click_collect",
                    "17850",
                )
                assert order["lines"][0]["sku"] == "85123A" and order["lines"][0]["qty"] == 2
            finally:
                link.stop()
    finally:
        hub.stop()
        engine.dispose()
