"""Edge ↔ cloud over a real Mosquitto: online sync both ways, projections, RPC, presence."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from cloud import downlink as cloud_downlink
from cloud.ingest.hub import start_hub
from cloud.storage import schema as s
from sync.broker import MosquittoProcess
from sync.fold import fold_stock, stock_by_store
from sync.hlc import HybridClock
from sync.ops import Op
from sync.rpc import RpcTimeout
from sync.testing.sqlite_node import SqliteNode
from sync.testing.workload import make_ops
from sync.transport import MqttConfig, Transport
from tests.sync.harness import assert_converged, cloud_engine, edge_link, hub, wait_until

pytestmark = pytest.mark.broker


def test_uplink_and_downlink_converge(tmp_path: Path, broker: MosquittoProcess) -> None:
    engine = cloud_engine(tmp_path / "cloud.db")
    node = SqliteNode(tmp_path / "edge.db", "store-1")
    node.write(make_ops("store-1", 1, 3000, seed=1))
    h = hub(engine, broker)
    link = edge_link(node, broker)
    try:
        link.notify()
        wait_until(lambda: node.acked_seq() == 3000, 30, "uplink acked")
        assert_converged(node, engine)
        # downlink: the cloud queues ops for the store; they arrive once, in order
        clock = HybridClock("cloud")
        ops = [
            Op(
                "cloud",
                i,
                str(clock.now()),
                "stock.delta",
                {
                    "sku": "SKU-1",
                    "store": "store-1",
                    "zone": "floor",
                    "qty": 1,
                    "reason": "order",
                    "ref": f"o{i}",
                },
            )
            for i in range(1, 51)
        ]
        with engine.begin() as conn:
            cloud_downlink.queue(conn, "store-1", ops)
        wait_until(lambda: node.high_water_mark("cloud") == 50, 20, "downlink applied")
        wait_until(lambda: cloud_downlink_acked(engine, "store-1") == 50, 20, "downlink acked")
        assert [o.seq for o in node.inbox_ops()] == list(range(1, 51))
        status = link.status()
        assert status.online and status.backlog == 0 and status.last_contact_at is not None
    finally:
        link.stop()
        h.stop()


def cloud_downlink_acked(engine, store: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(
            conn.execute(select(s.downlink_acked.c.seq).where(s.downlink_acked.c.store == store)).scalar()
            or 0
        )


def test_real_projections_match_the_fold(tmp_path: Path, broker: MosquittoProcess) -> None:
    from cloud import projections, stock

    engine = cloud_engine(tmp_path / "cloud.db")
    node = SqliteNode(tmp_path / "edge.db", "store-2")
    ops = [op for op in make_ops("store-2", 1, 1500, seed=2) if op.type.startswith("stock.")]
    ops = [Op(op.origin, i + 1, op.hlc, op.type, op.body, op.v) for i, op in enumerate(ops)]
    node.write(ops)
    h = hub(engine, broker, projector=projections.apply)
    link = edge_link(node, broker)
    try:
        wait_until(lambda: node.acked_seq() == len(ops), 60, "uplink acked")
        assert_converged(node, engine)
        with engine.connect() as conn:
            cloud_levels = stock.levels(conn, "store-2")
        expected = {k: v for k, v in stock_by_store(fold_stock(ops)).items()}
        assert {k: v for k, v in cloud_levels.items() if v or k in expected} == expected
        assert h.quarantine.total == 0
    finally:
        link.stop()
        h.stop()


def test_rpc_round_trip_and_timeout(tmp_path: Path, broker: MosquittoProcess) -> None:
    engine = cloud_engine(tmp_path / "cloud.db")
    h = start_hub(
        engine,
        MqttConfig(port=broker.port, client_id="hub-rpc"),
        downlink=False,
        rpc_handlers={"authorise": lambda store, p: {"ok": p["points"] <= 100, "store": store}},
    )
    node = SqliteNode(tmp_path / "edge.db", "store-3")
    link = edge_link(node, broker)
    try:
        assert h.transport.wait_connected(10) and link.transport.wait_connected(10)
        assert link.rpc.call("authorise", {"points": 50}, timeout=5) == {"ok": True, "store": "store-3"}
        h.stop()
        with pytest.raises(RpcTimeout):
            link.rpc.call("authorise", {"points": 50}, timeout=0.5)
    finally:
        link.stop()
        h.stop()


def test_presence_birth_and_last_will(tmp_path: Path, broker: MosquittoProcess) -> None:
    seen: list[bytes] = []
    got = threading.Event()
    watcher = Transport(MqttConfig(port=broker.port, client_id="watcher"))
    watcher.subscribe("vitrine/v1/+/presence", lambda _t, p: (seen.append(p), got.set()))
    watcher.start()
    node = SqliteNode(tmp_path / "edge.db", "store-4")
    link = edge_link(node, broker)
    try:
        wait_until(lambda: any(b'"online"' in p for p in seen), 10, "birth message")
        link.stop()
        wait_until(lambda: b'"offline"' in seen[-1], 10, "goodbye message")
    finally:
        link.stop()
        watcher.stop()
