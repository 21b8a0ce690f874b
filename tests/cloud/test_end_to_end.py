"""Done-when scenario over a real Mosquitto, real edge nodes and the hub's API (SQLite and PostgreSQL).

An online click & collect order at store A reaches A's edge → is picked and collected there → the
points are earned with the click & collect multiplier and are visible online at once; the return of
that order at store B restores stock at B and reverses the points.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cloud.api import create_app
from cloud.ingest.hub import start_hub
from cloud.rpc import hub_handlers
from cloud.settings import CloudSettings
from edge.cloud_rpc import CloudRpc
from edge.errors import Conflict, NotFound
from edge.node import EdgeNode
from edge.services.returns import ReturnLine
from edge.services.stock import CountItem
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess
from sync.hlc import HybridClock
from sync.transport import MqttConfig
from tests.cloud.helpers import SHOP, downlink, seed, serve

pytestmark = pytest.mark.broker


def wait_for(pred, timeout: float, what: str) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if pred():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_click_collect_at_a_return_at_b(tmp_path: Path, broker: MosquittoProcess, db_url: str) -> None:
    settings = CloudSettings(
        database_url=db_url,
        admin_token="admin-secret-0123456789",
        shop_token="shop-secret-0123456789",  # type: ignore[arg-type]
        broker_port=broker.port,
    )
    app = create_app(settings)
    engine = app.state.hub.engine
    nodes: dict[str, EdgeNode] = {}
    links: dict[str, SyncLink] = {}
    hub = None
    try:
        with serve(app) as api:
            seed(api)
            hub = start_hub(
                engine,
                MqttConfig(port=broker.port, client_id="hub-e2e"),
                rpc_handlers=hub_handlers(engine, HybridClock("cloud-e2e")),
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
            for store in ("a", "b"):
                queued = len(downlink(engine, store))
                wait_for(
                    lambda s=store, n=queued: nodes[s].inbox.high_water_mark("cloud") >= n, 20, "checkpoints"
                )
            nodes["a"].stock.count([CountItem("TEE-1", 3)])
            nodes["b"].stock.count([CountItem("TEE-1", 0)])
            for link in links.values():
                link.notify()

            def available(store: str) -> int | None:
                avail = api.get("/shop/v1/products/TEE-1", headers=SHOP).json()["availability"]
                return next((x["qty"] for x in avail if x["store"] == store), None)

            wait_for(lambda: available("a") == 3 and available("b") == 0, 20, "store counts in the cloud")

            cid = api.post(
                "/shop/v1/customers", json={"email": "ann@example.com", "name": "Ann"}, headers=SHOP
            ).json()["customer_id"]
            r = api.post(
                "/shop/v1/orders",
                json={
                    "kind": "click_collect",
                    "store": "a",
                    "customer_id": cid,
                    "lines": [{"sku": "TEE-1", "qty": 1}],
                },
                headers=SHOP,
            )
            assert r.status_code == 201, r.text
            oid = r.json()["order_id"]
            assert available("a") == 2  # held for the order at once

            def on_edge_a() -> bool:
                return any(o.order_id == oid for o in nodes["a"].orders.list())

            wait_for(on_edge_a, 20, "order on store A's edge")
            nodes["a"].orders.pick(oid, by="staff-1")
            nodes["a"].orders.collect(oid, customer_ref=cid, pickup_code=None, by="staff-1")
            links["a"].notify()
            took = wait_for(
                lambda: api.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()["points"] == 40,
                20,
                "points online",
            )
            assert took < 5, f"points took {took:.1f}s to be visible online"
            assert api.get(f"/shop/v1/orders/{oid}", headers=SHOP).json()["state"] == "collected"
            assert available("a") == 2

            # Store B takes the return. B never saw the order: its ReturnService asks the cloud
            # (orders.lookup, then returns.reserve over the sync link's RPC), restores B's stock and
            # reports the points the hub reversed of what it earned at collection.
            cloud_b = CloudRpc(timeout_s=5)
            cloud_b.attach(links["b"])
            nodes["b"].attach_cloud(cloud_b)
            stock_b = nodes["b"].stock.levels("TEE-1").on_hand
            [record] = nodes["b"].returns.return_items([ReturnLine("TEE-1", 1)], order_id=oid)
            assert record.receipt_id == oid and record.points_reversed == 40
            assert nodes["b"].stock.levels("TEE-1").on_hand == stock_b + 1
            with pytest.raises(Conflict, match="already returned"):
                nodes["b"].returns.return_items([ReturnLine("TEE-1", 1)], order_id=oid)
            with pytest.raises(NotFound, match="unknown order"):
                nodes["b"].returns.return_items([ReturnLine("TEE-1", 1)], order_id="no-such-order")
            links["b"].notify()
            wait_for(
                lambda: api.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()["points"] == 0,
                20,
                "points reversed",
            )
            wait_for(lambda: available("b") == 1, 20, "B's return in the cloud's availability")
            assert api.get(f"/shop/v1/orders/{oid}", headers=SHOP).json()["state"] == "returned"
            ledger = api.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()["ledger"]
            assert sorted((e["kind"], e["points"], e["store"]) for e in ledger) == [
                ("earn", 40, "a"),
                ("reverse", -40, "b"),
            ]
            # Online redemption at store A goes through the cloud's authority (real RPC, real ledger):
            # the customer has 0 points left in the cloud, so the cloud refuses, whatever A holds.
            cloud_a = CloudRpc(timeout_s=5)
            cloud_a.attach(links["a"])
            nodes["a"].attach_cloud(cloud_a)
            assert cloud_a.authorise_redeem(cid, 10, entry_id="probe:1") is False
            # the loyalty authority answers stores over RPC
            answer = links["b"].rpc.call("loyalty.authorise", {"customer_id": cid, "points": 10}, timeout=5)
            assert answer["approved"] is False and answer["reason"] == "insufficient points"
            # hub gone: no answer in time -> None, and the store applies its offline allowance rule
            hub.stop()
            hub = None
            cloud_a.timeout_s = 0.5
            assert cloud_a.authorise_redeem(cid, 10, entry_id="probe:2") is None
    finally:
        for link in links.values():
            link.stop()
        for node in nodes.values():
            node.close()
        if hub is not None:
            hub.stop()
        engine.dispose()
