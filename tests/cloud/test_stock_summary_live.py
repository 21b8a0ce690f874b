"""Live summaries on the hub's database (SQLite and PostgreSQL): rate bound, coalescing, N workers.

The ops go through the real ingest applier (same transaction as the projections, as a worker
applies them); two publishers race in threads on every round, as two workers would.
"""

from __future__ import annotations

import math
import threading
from typing import Any
from unittest.mock import ANY

import httpx
from sqlalchemy import Engine

from cloud import stock_summary
from cloud.ingest.apply import StreamApplier
from cloud.projections import apply as project
from sync.hlc import HybridClock
from tests.cloud.helpers import ADMIN, StoreStream, downlink, seed

INTERVAL_S = 1.0


def summaries(engine: Engine, target: str, source: str) -> list[dict[str, Any]]:
    return [
        op["body"]
        for op in downlink(engine, target)
        if op["type"] == "stock.summary" and op["body"]["store"] == source
    ]


def replay(bodies: list[dict[str, Any]]) -> dict[str, int]:
    """What a store holds for the source after applying these summaries (as edge/replica/inbox.py)."""
    held: dict[str, int] = {}
    for body in bodies:
        if not body.get("partial"):
            held = {}
        for item in body["items"]:
            assert item["as_of"], item
            if item["qty"] > 0:
                held[item["sku"]] = item["qty"]
            else:
                held.pop(item["sku"], None)
    return held


def race(engine: Engine, clocks: list[HybridClock], now: float) -> None:
    """Two workers run a publisher round at the same moment."""
    threads = [
        threading.Thread(target=stock_summary.publish_round, args=(engine, clock, INTERVAL_S, now))
        for clock in clocks
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)


def test_a_burst_of_200_sales_gives_a_bounded_number_of_summaries_that_converge(
    client: httpx.Client, engine: Engine
) -> None:
    seed(client)
    applier = StreamApplier(engine, project)
    clocks = [HybridClock("w1"), HybridClock("w2")]
    b = StoreStream("b")
    t = 1_000.0
    race(engine, clocks, t)  # each store gets the full picture of the other once
    assert summaries(engine, "a", "b") == [{"store": "b", "items": []}]

    counts = [
        b.op("stock.count", {"sku": sku, "store": "b", "zone": "", "qty": 300}) for sku in ("TEE-1", "MUG-1")
    ]
    assert applier.apply("b", counts).applied == 2
    sales = [
        b.op(
            "stock.delta",
            {
                "sku": "TEE-1" if i % 3 else "MUG-1",
                "store": "b",
                "zone": "",
                "qty": -1,
                "reason": "sale",
                "ref": f"s{i}",
            },
        )
        for i in range(200)
    ]
    burst_s = 3.0  # 200 sales over 3 s of (simulated) time, in batches of 10, two publishers racing
    for n in range(20):
        assert applier.apply("b", sales[n * 10 : (n + 1) * 10]).applied == 10
        t += burst_s / 20
        race(engine, clocks, t)
    published = summaries(engine, "a", "b")[1:]
    assert 1 <= len(published) <= math.ceil(burst_s / INTERVAL_S) + 1, published
    assert all(body["partial"] for body in published)

    t += INTERVAL_S  # the last changes go out at the source's next turn, then nothing more
    race(engine, clocks, t)
    race(engine, clocks, t + 10 * INTERVAL_S)
    published = summaries(engine, "a", "b")
    with engine.connect() as conn:
        truth = {sku: q for sku, (q, _at) in stock_summary.figures(conn, ["b"])["b"].items() if q > 0}
    assert truth == {"TEE-1": 300 - 133, "MUG-1": 300 - 67}
    assert replay(published) == truth
    assert len(published) <= 1 + math.ceil(burst_s / INTERVAL_S) + 2
    assert not summaries(engine, "b", "b")  # a store never hears about itself
    assert summaries(engine, "b", "a") == [{"store": "a", "items": []}]  # a sold nothing


def test_only_changed_skus_travel_and_a_sold_out_sku_is_dropped(client: httpx.Client, engine: Engine) -> None:
    seed(client)
    applier = StreamApplier(engine, project)
    clock = HybridClock("w1")
    b = StoreStream("b")
    applier.apply(
        "b",
        [b.op("stock.count", {"sku": sku, "store": "b", "zone": "", "qty": 2}) for sku in ("TEE-1", "MUG-1")],
    )
    stock_summary.publish_round(engine, clock, INTERVAL_S, now=10.0)
    applier.apply(
        "b",
        [
            b.op(
                "stock.delta",
                {"sku": "MUG-1", "store": "b", "zone": "", "qty": -2, "reason": "sale", "ref": "r1"},
            )
        ],
    )
    before = len(summaries(engine, "a", "b"))
    stock_summary.publish_round(engine, clock, INTERVAL_S, now=10.5)  # not its turn yet
    assert len(summaries(engine, "a", "b")) == before
    stock_summary.publish_round(engine, clock, INTERVAL_S, now=11.0)
    last = summaries(engine, "a", "b")[-1]
    assert last["partial"] and [(x["sku"], x["qty"]) for x in last["items"]] == [("MUG-1", 0)]
    assert replay(summaries(engine, "a", "b")) == {"TEE-1": 2}


def test_a_store_that_joins_gets_the_full_picture_and_the_others_get_its(
    client: httpx.Client, engine: Engine
) -> None:
    seed(client)
    applier = StreamApplier(engine, project)
    clock = HybridClock("w1")
    b = StoreStream("b")
    applier.apply("b", [b.op("stock.count", {"sku": "TEE-1", "store": "b", "zone": "", "qty": 4})])
    stock_summary.publish_round(engine, clock, INTERVAL_S, now=10.0)
    r = client.post("/admin/v1/stores", json={"store_id": "c", "name": "Store c"}, headers=ADMIN)
    assert r.status_code == 201, r.text
    stock_summary.publish_round(engine, clock, INTERVAL_S, now=10.1)
    stock_summary.publish_round(engine, clock, INTERVAL_S, now=10.2)  # nothing new: nothing sent
    assert summaries(engine, "c", "b") == [
        {"store": "b", "items": [{"sku": "TEE-1", "qty": 4, "as_of": ANY}]}
    ]
    assert summaries(engine, "c", "a") == [{"store": "a", "items": []}]
    assert summaries(engine, "a", "c") == summaries(engine, "b", "c") == [{"store": "c", "items": []}]
    assert replay(summaries(engine, "a", "b")) == {"TEE-1": 4}
