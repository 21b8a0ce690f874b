"""An online cancel racing a store's pick (issue 13 walk), over a real Mosquitto, two real edge
replicas with their sync links and the hub's HTTP API, on SQLite and PostgreSQL.

The rule (docs/sync-protocol.md, "Orders"): the store's pick wins. The hub accepts the shop's
cancel of an order it still sees ``placed`` and relays it; a store that has not picked the order
cancels it too; a store that already picked it (offline) keeps it, and when its pick reaches the
hub the order is reinstated ``picked`` there (sale and redeemed points restored), so hub and store
end in the same state whatever the timing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.errors import Conflict
from edge.services.stock import CountItem
from sync.broker import MosquittoProcess
from tests.cloud.helpers import SHOP
from tests.cloud.two_stores import two_stores
from tests.support.polling import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_store_pick_wins_over_an_online_cancel(tmp_path: Path, broker: MosquittoProcess, db_url: str) -> None:
    with two_stores(tmp_path, broker, db_url, "cancel") as fleet:
        api, nodes, links = fleet.api, fleet.nodes, fleet.links
        nodes["a"].stock.count([CountItem("TEE-1", 10)])
        links["a"].notify()

        def available() -> int | None:
            avail = api.get("/shop/v1/products/TEE-1", headers=SHOP).json()["availability"]
            return next((x["qty"] for x in avail if x["store"] == "a"), None)

        wait_for(lambda: available() == 10, 20, "store A's count in the cloud")
        cid = api.post(
            "/shop/v1/customers", json={"email": "cat@example.com", "name": "Cat"}, headers=SHOP
        ).json()["customer_id"]

        def place(redeem: int = 0) -> str:
            r = api.post(
                "/shop/v1/orders",
                json={"kind": "click_collect", "store": "a", "customer_id": cid,
                      "lines": [{"sku": "TEE-1", "qty": 1}], "points_to_redeem": redeem},
                headers=SHOP,
            )  # fmt: skip
            assert r.status_code == 201, r.text
            oid = str(r.json()["order_id"])
            wait_for(lambda: any(o.order_id == oid for o in nodes["a"].orders.list()), 20, f"{oid} at A")
            return oid

        def hub_state(oid: str) -> str:
            return str(api.get(f"/shop/v1/orders/{oid}", headers=SHOP).json()["state"])

        # 1. A store that has not picked the order applies the online cancel: both say cancelled.
        first = place()
        r = api.post(f"/shop/v1/orders/{first}/cancel", headers=SHOP)
        assert r.status_code == 200, r.text
        assert r.json()["state"] == "cancelled"
        wait_for(lambda: nodes["a"].orders.get(first).state == "cancelled", 20, "the cancel at store A")
        with pytest.raises(Conflict, match="cancelled"):
            nodes["a"].orders.pick(first, by="staff-1")

        # 2. A picks offline; the shop cancels meanwhile (the hub still sees it placed).
        second = place()
        links["a"].stop()
        nodes["a"].orders.pick(second, by="staff-1")
        r = api.post(f"/shop/v1/orders/{second}/cancel", headers=SHOP)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["state"] == "cancelled"
        assert "pick" in body["notice"]  # the shop is told the store's pick would win
        fleet.link("a")
        links["a"].notify()
        # The store's pick wins: the hub reinstates the order, the store keeps it.
        wait_for(lambda: hub_state(second) == "picked", 20, "the order reinstated picked at the hub")
        assert nodes["a"].orders.get(second).state == "picked"
        events = api.get(f"/shop/v1/orders/{second}", headers=SHOP).json()["events"]
        assert [e["state"] for e in events] == ["placed", "cancelled", "picked"]
        # ... and it carries on normally: collected at A, collected at the hub, points earned.
        nodes["a"].orders.collect(second, customer_ref=cid, pickup_code=None, by="staff-1")
        links["a"].notify()
        wait_for(lambda: hub_state(second) == "collected", 20, "the collection at the hub")

        def points() -> int:
            return int(api.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()["points"])

        wait_for(lambda: points() > 0, 20, "points earned at collection")
        # Points redeemed on an order cancelled online, picked then cancelled by its store offline:
        # given back, redeemed again at the reinstatement, given back again: the balance is whole.
        before = points()
        fourth = place(redeem=5)
        assert points() == before - 5
        links["a"].stop()
        nodes["a"].orders.pick(fourth, by="staff-1")
        nodes["a"].orders.cancel(fourth, by="staff-1")
        assert api.post(f"/shop/v1/orders/{fourth}/cancel", headers=SHOP).status_code == 200
        assert points() == before
        fleet.link("a")
        links["a"].notify()
        wait_for(
            lambda: (
                [e["state"] for e in api.get(f"/shop/v1/orders/{fourth}", headers=SHOP).json()["events"]]
                == ["placed", "cancelled", "picked", "cancelled"]
            ),
            20,
            "the store's pick, then its cancel, at the hub",
        )
        assert points() == before
        # A cancel after the hub knows of the pick is refused, saying whom to ask.
        third = place()
        nodes["a"].orders.pick(third, by="staff-1")
        links["a"].notify()
        wait_for(lambda: hub_state(third) == "picked", 20, "the pick at the hub")
        r = api.post(f"/shop/v1/orders/{third}/cancel", headers=SHOP)
        assert r.status_code == 409, r.text
        assert "store a" in r.json()["detail"]
