"""Live availability across the fleet, on real processes (Mosquitto, hub API + 2 workers, 2 edges),
with the hub on SQLite and on PostgreSQL.

Nobody pushes summaries by hand: a sale at store B reaches store A's edge (its stock API, which
the kiosk and the handheld pages read) and the shop API within seconds, each figure with its age;
a kiosk at A orders a product only B holds; a refused order says what to do; a burst of 200 sales
gives a bounded number of summaries (at most one per second, the interval set here) that converge.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cloud.storage import make_engine
from cloud.storage import schema as s
from sync.broker import MosquittoProcess
from tests.cloud.helpers import SHOP, seed
from tests.cloud.live_fleet import Edge, LiveFleet, live_fleet

pytestmark = [pytest.mark.broker, pytest.mark.slow]

SECONDS = 8.0  # "within a few seconds": summary interval 1 s + uplink, ingest and downlink


def wait_until(fleet: LiveFleet, probe: Any, timeout: float, what: str) -> Any:
    """Poll ``probe()`` until it returns a truthy value; fail with the processes' logs."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        fleet.check_alive()
        last = probe()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})\n{fleet.logs()}")


def elsewhere(edge: Edge, sku: str, store: str) -> dict[str, Any] | None:
    r = edge.client.get(f"/api/v1/stock/{sku}", headers=edge.auth("kiosk"))
    assert r.status_code == 200, r.text
    return next((x for x in r.json().get("elsewhere", []) if x["store"] == store), None)


def online(fleet: LiveFleet, sku: str, store: str) -> dict[str, Any] | None:
    assert fleet.hub is not None
    r = fleet.hub.get(f"/shop/v1/products/{sku}", headers=SHOP)
    assert r.status_code == 200, r.text
    return next((x for x in r.json()["availability"] if x["store"] == store), None)


def summaries_from(db_url: str, source: str, target: str) -> int:
    """Live (partial) summaries of ``source`` queued to ``target`` so far, read from the hub's database."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            bodies = conn.execute(
                select(s.downlink_ops.c.body).where(
                    s.downlink_ops.c.store == target, s.downlink_ops.c.type == "stock.summary"
                )
            ).scalars()
            return sum(1 for b in bodies if (x := json.loads(b))["store"] == source and x.get("partial"))
    finally:
        engine.dispose()


def test_a_sale_at_b_shows_at_a_and_online_and_a_orders_what_only_b_holds(
    tmp_path: Path, broker: MosquittoProcess, db_url: str
) -> None:
    with live_fleet(tmp_path, broker, db_url, VITRINE_CLOUD_SUMMARY_INTERVAL_S="1") as fleet:
        hub = fleet.start_hub(workers=2)
        bundles = seed(hub)
        a, b = (fleet.start_edge(store, bundles[store]) for store in ("a", "b"))
        for edge in (a, b):
            wait_until(
                fleet,
                lambda e=edge: e.client.get("/api/v1/products/MUG-1", headers=e.auth()).status_code == 200,
                60,
                f"the hub's catalog at {edge.store}",
            )
        # opening stock: A holds tees; only B holds mugs
        for edge, items in ((a, [("TEE-1", 3)]), (b, [("TEE-1", 5), ("MUG-1", 2)])):
            r = edge.client.post(
                "/api/v1/stock/counts",
                json={"items": [{"sku": sku, "qty": qty} for sku, qty in items]},
                headers=edge.auth(),
            )
            assert r.status_code == 201, r.text
        wait_until(fleet, lambda: (elsewhere(a, "TEE-1", "b") or {}).get("qty") == 5, 30, "B's count at A")

        # a sale at B shows at A and online within seconds, with its age
        r = b.client.post("/api/v1/sales", json={"lines": [{"sku": "TEE-1", "qty": 1}]}, headers=b.auth())
        assert r.status_code == 201, r.text
        sold = time.monotonic()
        at_a = wait_until(
            fleet, lambda: (x := elsewhere(a, "TEE-1", "b")) and x["qty"] == 4 and x, SECONDS, "B's sale at A"
        )
        assert at_a["as_of"].endswith("Z") and 0 <= at_a["age_s"] < 60, at_a
        shop = wait_until(
            fleet,
            lambda: (x := online(fleet, "TEE-1", "b")) and x["qty"] == 4 and x,
            SECONDS,
            "B's sale online",
        )
        assert shop["as_of"].endswith("Z") and 0 <= shop["age_s"] < 60, shop
        assert time.monotonic() - sold < SECONDS
        here = a.client.get("/api/v1/stock/TEE-1", headers=a.auth("kiosk")).json()
        assert here["on_hand"] == 3 and here["as_of"] and 0 <= here["age_s"] < 60, here
        assert here["other_stores"] == {"b": 4}  # the older shape stays for existing clients

        # a kiosk at A orders a mug, which only B holds, for collection at B
        r = a.client.post(
            "/api/v1/customers", json={"name": "Ann", "email": "ann@example.com"}, headers=a.auth()
        )
        assert r.status_code == 201, r.text
        cid = r.json()["customer_id"]
        wait_until(
            fleet,
            lambda: hub.get(f"/shop/v1/customers/{cid}", headers=SHOP).status_code == 200,
            20,
            "customer",
        )
        mugs = wait_until(fleet, lambda: elsewhere(a, "MUG-1", "b"), SECONDS, "B's mugs at A")
        assert mugs["qty"] == 2
        r = a.client.post(
            "/ui/kiosk/pickup-orders",
            json={"customer_id": cid, "sku": "MUG-1", "store": "b", "qty": 1},
            headers=a.auth(),
        )
        assert r.status_code == 201, r.text
        order = hub.get(f"/shop/v1/orders/{r.json()['order_id']}", headers=SHOP).json()
        assert order["store"] == "b" and order["state"] == "placed"
        wait_until(
            fleet,
            lambda: b.client.get(f"/api/v1/orders/{order['order_id']}", headers=b.auth()).status_code == 200,
            SECONDS,
            "the order at B",
        )
        # the order holds the mug at B: A hears of it too
        wait_until(
            fleet, lambda: (elsewhere(a, "MUG-1", "b") or {}).get("qty") == 1, SECONDS, "B's held mug at A"
        )
        # more than any store holds: the answer says so, and what to do
        r = a.client.post(
            "/ui/kiosk/pickup-orders",
            json={"customer_id": cid, "sku": "MUG-1", "store": "b", "qty": 5},
            headers=a.auth(),
        )
        assert r.status_code == 409, r.text
        assert r.headers.get("X-Vitrine-Reason") == "out_of_stock"
        assert "not available in any store" in r.json()["detail"]
        r = a.client.post(
            "/ui/kiosk/pickup-orders",
            json={"customer_id": cid, "sku": "NOPE-1", "store": "b", "qty": 1},
            headers=a.auth(),
        )
        assert r.status_code == 404 and r.headers.get("X-Vitrine-Reason") == "unknown_product", r.text
        assert "does not sell" in r.json()["detail"]

        # a burst of 200 sales at B: a bounded number of summaries, converging on the right figure
        r = b.client.post("/api/v1/stock/receipts", json={"sku": "TEE-1", "qty": 300}, headers=b.auth())
        assert r.status_code == 201, r.text
        wait_until(
            fleet, lambda: (elsewhere(a, "TEE-1", "b") or {}).get("qty") == 304, SECONDS, "the receipt"
        )
        before, started = summaries_from(db_url, "b", "a"), time.monotonic()
        for _ in range(200):
            r = b.client.post("/api/v1/sales", json={"lines": [{"sku": "TEE-1", "qty": 1}]}, headers=b.auth())
            assert r.status_code == 201, r.text
        wait_until(
            fleet, lambda: (elsewhere(a, "TEE-1", "b") or {}).get("qty") == 104, SECONDS, "the burst at A"
        )
        took = time.monotonic() - started
        sent = summaries_from(db_url, "b", "a") - before
        assert 1 <= sent <= math.ceil(took / 1.0) + 2, (sent, took)  # interval 1 s
        assert (online(fleet, "TEE-1", "b") or {}).get("qty") == 104
