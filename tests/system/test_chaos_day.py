"""Chaos day: a store trades a simulated day offline while the broker restarts and a hub worker is
killed; the whole fleet (real Mosquitto, hub API + 2 workers, 2 edge stores, all as processes)
converges and the verdict is green.

"A simulated day" is compressed time: store-1's link is cut for 40 s while its shoppers arrive at
60 per minute — a day's kinds of trade (sales, loyalty cards, redemptions within the allowance the
cloud leased before the cut, returns, two click & collect orders placed online before the cut and
handed over offline). Clocks are real; only the trade is compressed. See docs/simulation.md.

Besides the verdict, the test checks concrete figures it computes itself from what it did offline:
a probe sale (a sku no simulated shopper buys, a customer reserved for the probe) must move the
cloud's stock and points by exactly its quantity and its earned - redeemed points, and must not be
visible in the cloud before the link comes back.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from sync.fleet.cluster import Fleet
from sync.fleet.retail import pick
from sync.fleet.runner import OutageRecord, Runner, fleet_for
from sync.fleet.scenario import load

pytestmark = [pytest.mark.slow, pytest.mark.broker, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[2]
PROBE_QTY = 2


def _cloud_stock(fleet: Fleet, sku: str, store: str) -> int:
    rows = fleet.cloud_state()["stock"]
    return sum(qty for s, st, qty in rows if s == sku and st == store)


def test_chaos_day(retail_csv: Path, broker_files: Path) -> None:
    started = time.monotonic()
    scenario = load(REPO / "firmware-config" / "scenarios" / "chaos-day.toml")
    fleet = fleet_for(scenario, broker_files, REPO, retail_csv, say=print)
    seen: dict[str, Any] = {}
    try:
        fleet.start()
        assert fleet.retail is not None
        probe_customer = fleet.retail.customers[0]  # in store-1's allowance slice
        probe_sku = pick(retail_csv, scenario.skus + 1, 1).skus[-1]  # no simulated shopper buys it
        assert probe_sku not in fleet.retail.skus
        store = fleet.stores["store-1"]
        assert fleet.hub is not None
        hub = fleet.hub

        def cloud_points() -> int:
            r = hub.get(f"/shop/v1/customers/{probe_customer}", headers=fleet.shop)
            assert r.status_code == 200, r.text
            return int(r.json()["points"])

        def on_cut(record: OutageRecord) -> None:
            assert not store.proxy.online
            seen["cloud_points_before"] = cloud_points()
            seen["cloud_stock_before"] = _cloud_stock(fleet, probe_sku, "store-1")
            stock = store.client.get(f"/api/v1/stock/{probe_sku}", headers=store.headers()).json()
            seen["edge_stock_before"] = stock["on_hand"]
            loyalty = store.client.get(
                f"/api/v1/customers/{probe_customer}/loyalty", headers=store.headers()
            ).json()
            allowance = int(loyalty["allowance_remaining"])
            assert allowance > 10, f"no offline allowance reached the store before the cut: {loyalty}"
            redeem = min(allowance, 30)
            r = store.client.post(
                "/api/v1/sales",
                json={"lines": [{"sku": probe_sku, "qty": PROBE_QTY}], "customer_id": probe_customer,
                      "redeem_points": redeem},
                headers=store.headers(),
            )  # fmt: skip
            assert r.status_code == 201, r.text
            receipt = r.json()
            assert receipt["points_redeemed"] == redeem
            seen["earned"], seen["redeemed"] = int(receipt["points_earned"]), redeem
            # beyond the allowance the offline store must refuse, whatever the customer's balance
            r = store.client.post(
                "/api/v1/sales",
                json={"lines": [{"sku": probe_sku, "qty": 1}], "customer_id": probe_customer,
                      "redeem_points": allowance - redeem + 1},
                headers=store.headers(),
            )  # fmt: skip
            assert r.status_code == 409, r.text

        def before_restore(record: OutageRecord) -> None:
            # nothing of the offline day reached the cloud through the cut link
            seen["cloud_points_during"] = cloud_points()
            seen["cloud_stock_during"] = _cloud_stock(fleet, probe_sku, "store-1")
            seen["pickup_states_during"] = [
                hub.get(f"/shop/v1/orders/{oid}", headers=fleet.shop).json()["state"]
                for oid in record.pickups
            ]

        runner = Runner(fleet, scenario, print, hooks={"cut": on_cut, "before_restore": before_restore},
                        reserved=frozenset({probe_customer}))  # fmt: skip
        result = runner.run()
        for check in result.verdict.checks:
            print(("ok  " if check.ok else "RED ") + check.name, check.detail if not check.ok else "")
        print(result.summary())

        assert result.verdict.green, [f"{c.name}: {c.detail}" for c in result.verdict.checks if not c.ok]
        (outage,) = result.outages
        assert outage.duration_s >= 30  # the cut waits for the pickups to reach the edge
        assert outage.backlog_at_restore >= 20, "the store sold too little offline to call it a day"
        assert outage.catch_up_s is not None and outage.catch_up_s < 30
        assert len(outage.pickups) == 2
        activity = result.activity["store-1"]
        assert activity["pickups_offline"] >= 2 and activity["sales"] >= 20

        # the offline day was invisible to the cloud until the link came back...
        assert seen["cloud_points_during"] == seen["cloud_points_before"]
        assert seen["cloud_stock_during"] == seen["cloud_stock_before"] == seen["edge_stock_before"]
        assert "collected" not in seen["pickup_states_during"]
        # ...and then landed exactly: stock and points moved by what the probe did, orders collected
        assert _cloud_stock(fleet, probe_sku, "store-1") == seen["edge_stock_before"] - PROBE_QTY
        assert seen["earned"] > 0
        assert cloud_points() == seen["cloud_points_before"] + seen["earned"] - seen["redeemed"]
        edge_after = store.client.get(f"/api/v1/stock/{probe_sku}", headers=store.headers()).json()["on_hand"]
        assert edge_after == seen["edge_stock_before"] - PROBE_QTY
        for oid in outage.pickups:
            assert hub.get(f"/shop/v1/orders/{oid}", headers=fleet.shop).json()["state"] == "collected"
    finally:
        pids = fleet.pids()
        fleet.stop()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            import os

            os.kill(pid, 0)
    print(f"chaos day took {time.monotonic() - started:.1f}s")
