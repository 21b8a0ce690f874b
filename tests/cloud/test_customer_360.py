"""Head office's customer and revenue views over real stores (issue 15, points 3 and 4): a real
Mosquitto, two edge replicas with their sync links and the hub's HTTP API, on SQLite and PostgreSQL.

* revenue per channel: a store sale, a store sale whose first line picks up a reservation (that
  line is ``reservation``, as on the manager's dashboard), a click & collect order placed online
  (``click_collect`` from the day it is placed), and a cancelled one (not counted);
* search by phone in another written form, by card, by a part of the name;
* the 360 view holds the purchase made in the store and the one made online, the reservation,
  the consent proof, the ledger across channels, a return taken at the other store;
* merging two profiles through the admin API moves the second one's history to the survivor.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.services.returns import ReturnLine
from edge.services.selling import Basket, BasketLine
from edge.services.stock import CountItem
from sync.broker import MosquittoProcess
from tests.cloud.helpers import ADMIN, SHOP
from tests.cloud.two_stores import two_stores
from tests.support.polling import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_revenue_per_channel_and_customer_360(tmp_path: Path, broker: MosquittoProcess, db_url: str) -> None:
    with two_stores(tmp_path, broker, db_url, "c360") as fleet:
        api, nodes, links = fleet.api, fleet.nodes, fleet.links
        a = nodes["a"]
        a.stock.count([CountItem("TEE-1", 10), CountItem("MUG-1", 10)])
        ann = a.customers.enrol(
            {"name": "Ann Lovelace", "phone": "06 12 34 56 78", "consent_marketing": False}
        )
        cid = ann.customer_id
        held = a.reservations.reserve(cid, "MUG-1", 1, 24)
        plain = a.selling.sell(Basket([BasketLine("CAP-1", 2)], payment_ref="P1"))
        mixed = a.selling.sell(
            Basket(
                [BasketLine("MUG-1", 1, reservation_id=held.reservation_id), BasketLine("TEE-1", 1)],
                customer_id=cid,
                payment_ref="P2",
            )
        )
        links["a"].notify()
        wait_for(lambda: a.outbox.backlog() == 0, 20, "store A's ops at the hub")

        def order(qty: int) -> dict[str, object]:
            r = api.post(
                "/shop/v1/orders",
                json={"kind": "click_collect", "store": "a", "customer_id": cid,
                      "lines": [{"sku": "TEE-1", "qty": qty}]},
                headers=SHOP,
            )  # fmt: skip
            assert r.status_code == 201, r.text
            return dict(r.json())

        online, cancelled = order(2), order(1)
        assert api.post(f"/shop/v1/orders/{cancelled['order_id']}/cancel", headers=SHOP).status_code == 200
        [back] = nodes["b"].returns.return_items([ReturnLine("TEE-1", 1)], receipt_id=mixed.receipt_id)
        links["b"].notify()
        wait_for(lambda: nodes["b"].outbox.backlog() == 0, 20, "store B's return at the hub")

        today = datetime.now(UTC).date().isoformat()
        span = {"from": today, "to": today}
        r = api.get("/admin/v1/reports/revenue_by_channel", params=span, headers=ADMIN)
        assert r.status_code == 200, r.text
        rows = {row["channel"]: row for row in r.json()["rows"]}
        reserved = mixed.lines[0].line_cents
        assert rows["reservation"] == {
            "channel": "reservation",
            "revenue_cents": reserved,
            "receipts": 1,
            "units": 1,
        }
        assert rows["store"]["revenue_cents"] == plain.total_cents + mixed.total_cents - reserved
        assert rows["store"]["receipts"] == 2 and rows["store"]["units"] == 3
        assert rows["click_collect"]["revenue_cents"] == online["total_cents"]  # the cancelled one is gone
        assert rows["click_collect"]["receipts"] == 1
        csv_rows = api.get(
            "/admin/v1/reports/revenue_by_channel", params={**span, "format": "csv"}, headers=ADMIN
        ).text.splitlines()
        assert csv_rows[0] == "channel,revenue_cents,receipts,units"
        assert f"reservation,{reserved},1,1" in csv_rows
        assert api.get("/admin/v1/reports/revenue_by_channel", headers=ADMIN).status_code == 422

        for q in ("+33612345678", "06.12.34.56.78", ann.card, "lovelace"):
            found = api.get("/admin/v1/customers", params={"q": q}, headers=ADMIN)
            assert found.status_code == 200, found.text
            assert [c["customer_id"] for c in found.json()] == [cid], q

        view = api.get(f"/admin/v1/customers/{cid}/360", headers=ADMIN).json()
        channels = {(s["channel"], s["store"]) for s in view["sales"]}
        assert ("store", "a") in channels and ("click_collect", "a") in channels
        assert view["channels"] == ["click_collect", "store"]
        assert {(o["order_id"], o["state"]) for o in view["orders"]} == {
            (cancelled["order_id"], "cancelled"),
            (online["order_id"], "placed"),
        }
        assert [(x["reservation_id"], x["state"]) for x in view["reservations"]] == [
            (held.reservation_id, "fulfilled")
        ]
        assert [(x["return_id"], x["store"]) for x in view["returns"]] == [(back.return_id, "b")]
        assert {"kind": "phone", "value": "+33612345678"} in view["identities"]
        assert view["points"] == sum(e["points"] for e in view["ledger"]) > 0
        assert "a" in view["stores"]

        # Collected at store A: the order's points (booked by the hub at collection, in the ledger)
        # show on its purchase line too, not 0.
        oid = str(online["order_id"])
        wait_for(lambda: any(o.order_id == oid for o in a.orders.list()), 20, "the order at store A")
        a.orders.pick(oid, by="staff-1")
        a.orders.collect(oid, customer_ref=cid, pickup_code=None, by="staff-1")
        links["a"].notify()

        def order_earn() -> int:
            ledger = api.get(f"/admin/v1/customers/{cid}/360", headers=ADMIN).json()["ledger"]
            return sum(int(e["points"]) for e in ledger if e["entry_id"] == f"order:{oid}:earn")

        wait_for(lambda: order_earn() > 0, 20, "the order's points at collection")
        view = api.get(f"/admin/v1/customers/{cid}/360", headers=ADMIN).json()
        [line] = [x for x in view["sales"] if x["receipt_id"] == oid]
        assert line["points_earned"] == order_earn()

        # A second profile made online for the same person; merged by head office.
        r = api.post(
            "/shop/v1/customers",
            json={"email": "ann@example.com", "name": "Ann L.", "consent_marketing": True,
                  "consent_wording": "marketing-v2"},
            headers=SHOP,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        other = r.json()["customer_id"]
        r = api.post(
            "/admin/v1/customers/merge", json={"customer_a": cid, "customer_b": other}, headers=ADMIN
        )
        assert r.status_code == 200, r.text
        survivor = r.json()["customer_id"]
        merged = api.get(f"/admin/v1/customers/{other}/360", headers=ADMIN).json()
        assert merged["customer_id"] == survivor and set(merged["merged_ids"]) == {cid, other} - {survivor}
        assert len(merged["sales"]) == len(view["sales"]) and merged["reservations"] == view["reservations"]
        assert "a" in merged["stores"]  # store A holds the profile, whichever id survived
        assert merged["consent"]["proofs"][0]["wording_version"] == "marketing-v2"
        found = api.get("/admin/v1/customers", params={"q": "ann@example.com"}, headers=ADMIN).json()
        assert [c["customer_id"] for c in found] == [survivor]
