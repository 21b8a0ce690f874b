"""End to end with the real edge replica (edge.replica) and the real cloud projections."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud import downlink as cloud_downlink
from cloud import projections, stock
from cloud.storage import schema as s
from edge.replica.database import Replica
from edge.replica.inbox import ReplicaInbox
from edge.replica.outbox import ReplicaOutbox
from edge.services.stock import record_count, record_delta
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess
from sync.fold import fold_stock, stock_by_store
from sync.hlc import HybridClock
from tests.sync.harness import cloud_engine, cloud_hwm, cloud_ops, hub, wait_until

pytestmark = pytest.mark.broker


def test_real_replica_converges_with_the_cloud(tmp_path: Path, broker: MosquittoProcess) -> None:
    engine = cloud_engine(tmp_path / "cloud.db")
    replica = Replica.open(tmp_path / "edge.db", "store-9")
    outbox, inbox = ReplicaOutbox(replica), ReplicaInbox(replica)
    rng = random.Random(1)
    skus = [f"SKU-{i}" for i in range(30)]
    for i in range(1500):  # the store trades before it ever connects
        with replica.write() as tx:
            sku = rng.choice(skus)
            if rng.random() < 0.1:
                record_count(tx, "store-9", sku=sku, zone="floor", qty=rng.randint(0, 20), session=f"c{i}")
            else:
                record_delta(
                    tx, "store-9", sku=sku, zone="floor", qty=-rng.randint(1, 3), reason="sale", ref=f"r{i}"
                )
    h = hub(engine, broker, projector=projections.apply)
    link = SyncLink(
        SyncLinkConfig(store_id="store-9", broker_port=broker.port, reconnect_max_s=0.3), outbox, inbox
    )
    link.start()
    try:
        wait_until(lambda: cloud_hwm(engine, "store-9") == 1500, 60, "uplink applied")
        # an online order takes the last unit of a SKU the store is also selling: both count
        clock = HybridClock("cloud")
        body = {
            "sku": "SKU-1",
            "store": "store-9",
            "zone": "floor",
            "qty": -1,
            "reason": "order",
            "ref": "web-1",
        }
        with engine.begin() as conn:  # what the hub's order service does: project + queue, one transaction
            (online,) = cloud_downlink.new_ops(conn, clock, [("stock.delta", body)])
            projections.apply(conn, [online], clock)
            cloud_downlink.queue(conn, "store-9", [online])
        wait_until(lambda: inbox.high_water_mark("cloud") == 1, 20, "downlink applied at the edge")
        wait_until(lambda: outbox.acked_seq() == 1500, 20, "edge saw the acks")
        edge_ops = outbox.read_after(0, 10_000)
        assert sorted(cloud_ops(engine, "store-9"), key=lambda o: o.seq) == edge_ops
        expected = stock_by_store(fold_stock([*edge_ops, online]))
        with engine.connect() as conn:
            cloud_levels = stock.levels(conn, "store-9")
            acked = conn.execute(
                select(s.downlink_acked.c.seq).where(s.downlink_acked.c.store == "store-9")
            ).scalar()
        assert {k: v for k, v in cloud_levels.items() if k in expected} == expected
        assert acked == 1
        assert link.status().backlog == 0 and h.quarantine.total == 0
    finally:
        link.stop()
        h.stop()
        replica.close()
