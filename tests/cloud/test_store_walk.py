"""Bugs found walking a store through an online order (issue 13 walk), through the edge's real HTTP
API under uvicorn, with a real Mosquitto, the hub and two edges (tests/cloud/two_stores.py), on
SQLite and PostgreSQL:

* a pending click & collect order holds the store's own stock: ``available`` at the edge drops by
  the order's quantity as soon as it arrives (the hub already held it);
* a second return lookup shows what is left to return (``left``), not the quantity sold again;
* a return refused because only N are left says "order" for an online order (not "receipt") and
  carries ``X-Vitrine-Reason`` for the pages to translate — at the store that holds the order and
  at a store that asks the hub.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from edge.api.app import create_app
from edge.services.stock import CountItem
from edge.settings import EdgeSettings
from sync.broker import MosquittoProcess
from tests.cloud.helpers import SHOP
from tests.cloud.two_stores import two_stores
from tests.support.polling import wait_for
from tests.support.server import served

pytestmark = [pytest.mark.broker, pytest.mark.slow]

STAFF = "staff-token-0123456789abcdef"


def _settings(tmp_path: Path, store: str) -> EdgeSettings:
    return EdgeSettings(
        store_id=store,
        db_path=tmp_path / f"{store}.db",
        kiosk_token="kiosk-token-0123456789abcdef",
        staff_token=STAFF,
        manager_token="manager-token-0123456789abcdef",
    )


def test_store_walk_of_an_online_order(tmp_path: Path, broker: MosquittoProcess, db_url: str) -> None:
    with two_stores(tmp_path, broker, db_url, "walk") as fleet:
        api, nodes, links = fleet.api, fleet.nodes, fleet.links
        nodes["a"].stock.count([CountItem("TEE-1", 10)])
        links["a"].notify()
        wait_for(
            lambda: any(
                x["store"] == "a" and x["qty"] == 10
                for x in api.get("/shop/v1/products/TEE-1", headers=SHOP).json()["availability"]
            ),
            20,
            "A's stock at the hub",
        )
        cid = api.post("/shop/v1/customers", json={"email": "eve@example.com"}, headers=SHOP).json()[
            "customer_id"
        ]
        r = api.post("/shop/v1/orders", headers=SHOP, json={"kind": "click_collect", "store": "a",
                                                            "customer_id": cid, "lines": [{"sku": "TEE-1", "qty": 2}]})  # fmt: skip
        assert r.status_code == 201, r.text
        oid = r.json()["order_id"]
        auth = {"Authorization": f"Bearer {STAFF}"}
        with (
            served(create_app(_settings(tmp_path, "a"), node=nodes["a"])) as url_a,
            served(create_app(_settings(tmp_path, "b"), node=nodes["b"])) as url_b,
            httpx.Client(base_url=url_a, headers=auth, timeout=15) as a,
            httpx.Client(base_url=url_b, headers=auth, timeout=15) as b,
        ):
            wait_for(lambda: a.get(f"/api/v1/orders/{oid}").status_code == 200, 20, "the order at A")
            # (a) the pending order holds A's own stock, as it does at the hub
            level = a.get("/api/v1/stock/TEE-1").json()
            assert (level["on_hand"], level["available"]) == (10, 8), level
            nodes["a"].orders.pick(oid, by="staff-1")
            nodes["a"].orders.collect(oid, customer_ref=cid, pickup_code=None, by="staff-1")
            level = a.get("/api/v1/stock/TEE-1").json()
            assert (level["on_hand"], level["available"]) == (8, 8), level
            links["a"].notify()
            wait_for(
                lambda: api.get(f"/shop/v1/orders/{oid}", headers=SHOP).json()["state"] == "collected",
                20,
                "the collection at the hub",
            )
            r = a.post("/api/v1/returns", json={"order_id": oid, "lines": [{"sku": "TEE-1", "qty": 1}]})
            assert r.status_code == 201, r.text
            # (b) a second lookup shows what is left
            [line] = a.get("/api/v1/returns/lookup", params={"ref": oid}).json()["lines"]
            assert (line["qty"], line["returned_here"], line["left"]) == (2, 1, 1), line
            [line] = b.get("/api/v1/returns/lookup", params={"ref": oid}).json()["lines"]
            assert (line["qty"], line["returned_here"], line["left"]) == (2, 0, 1), line
            # (c) "only 1 left ... on order", with a reason header, at A and at B (via the hub)
            for client in (a, b):
                r = client.post(
                    "/api/v1/returns", json={"order_id": oid, "lines": [{"sku": "TEE-1", "qty": 2}]}
                )
                assert r.status_code == 409, r.text
                assert r.headers.get("X-Vitrine-Reason") == "only_left", r.headers
                detail = r.json()["detail"]
                assert f"on order {oid}" in detail and "receipt" not in detail, detail
