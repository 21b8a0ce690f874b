"""Helpers for the sync end-to-end and fault tests: a cloud DB, hubs, edge links, convergence checks."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, select

from cloud.ingest.apply import Projector, no_projection
from cloud.ingest.hub import Hub, start_hub
from cloud.storage import make_engine, migrate
from cloud.storage import schema as s
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess
from sync.fold import snapshot
from sync.ops import Op
from sync.testing.sqlite_node import SqliteNode
from sync.transport import MqttConfig, OutgoingFilter


def cloud_engine(path_or_url: Path | str) -> Engine:
    url = path_or_url if isinstance(path_or_url, str) else f"sqlite:///{path_or_url}"
    engine = make_engine(url)
    migrate(engine)
    return engine


def hub(
    engine: Engine,
    broker: MosquittoProcess,
    client_id: str = "hub-1",
    *,
    projector: Projector = no_projection,
    downlink: bool = True,
    faults: OutgoingFilter | None = None,
) -> Hub:
    h = start_hub(
        engine,
        MqttConfig(port=broker.port, client_id=client_id),
        projector=projector,
        downlink=downlink,
        outgoing_filter=faults,
    )
    assert h.transport.wait_connected(10), "hub did not connect"
    return h


def edge_link(
    node: SqliteNode,
    broker: MosquittoProcess,
    faults: OutgoingFilter | None = None,
    ack_timeout_s: float = 1.0,
) -> SyncLink:
    cfg = SyncLinkConfig(
        store_id=node.origin, broker_port=broker.port, reconnect_max_s=0.3, ack_timeout_s=ack_timeout_s
    )
    link = SyncLink(cfg, node, node, outgoing_filter=faults)
    link.start()
    return link


def wait_until(
    pred: Callable[[], bool], timeout: float, what: str, detail: Callable[[], str] | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)
    extra = f" ({detail()})" if detail else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{extra}")


def cloud_ops(engine: Engine, origin: str) -> list[Op]:
    t = s.cloud_ops
    with engine.connect() as conn:
        rows = conn.execute(
            select(t.c.seq, t.c.hlc, t.c.type, t.c.v, t.c.body).where(t.c.origin == origin)
        ).all()
    return [Op(origin, int(r[0]), r[1], r[2], json.loads(r[4]), int(r[3])) for r in rows]


def cloud_hwm(engine: Engine, origin: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(select(s.stream_hwm.c.seq).where(s.stream_hwm.c.origin == origin)).scalar() or 0
        )


def assert_converged(node: SqliteNode | ReplicaNode, engine: Engine) -> None:
    """Cloud and edge hold exactly the same ops of the store (none lost, none twice), hence the same
    stock per sku per store, loyalty balances and orders."""
    edge_ops = node.outbox_ops()
    got = cloud_ops(engine, node.origin)
    assert len(got) == len({op.seq for op in got}), "an op was applied twice"
    assert sorted(got, key=lambda o: o.seq) == edge_ops, "cloud and edge op logs differ"
    assert cloud_hwm(engine, node.origin) == len(edge_ops)
    assert node.acked_seq() == len(edge_ops)
    assert snapshot(got) == snapshot(edge_ops)


class ReplicaNode:
    """The real edge replica (edge.replica) behind the same small interface as SqliteNode.

    ``write`` commits ops through ``Tx.emit`` (the replica's own outbox path: one transaction,
    seq assigned by the replica, which must match the op's seq)."""

    def __init__(self, path: Path, origin: str) -> None:
        from edge.replica.database import Replica
        from edge.replica.inbox import ReplicaInbox
        from edge.replica.outbox import ReplicaOutbox

        self.origin = origin
        self.replica = Replica.open(path, origin)
        self.outbox = ReplicaOutbox(self.replica)
        self.inbox = ReplicaInbox(self.replica)

    def write(self, ops: list[Op]) -> None:
        with self.replica.write() as tx:
            for op in ops:
                assert tx.emit(op.type, op.body, hlc=op.hlc).seq == op.seq

    def read_after(self, seq: int, limit: int) -> list[Op]:
        return self.outbox.read_after(seq, limit)

    def acked_seq(self) -> int:
        return self.outbox.acked_seq()

    def mark_acked(self, seq: int) -> None:
        self.outbox.mark_acked(seq)

    def last_seq(self) -> int:
        return self.outbox.last_seq()

    def hlc_at(self, seq: int) -> str | None:
        return self.outbox.hlc_at(seq)

    def rewind_acked(self, seq: int) -> int:
        return self.outbox.rewind_acked(seq)

    def high_water_mark(self, origin: str) -> int:
        return self.inbox.high_water_mark(origin)

    def fingerprint(self, origin: str) -> str | None:
        return self.inbox.fingerprint(origin)

    def apply(self, origin: str, ops: list[Op]) -> int:
        return self.inbox.apply(origin, ops)

    def outbox_ops(self) -> list[Op]:
        return self.outbox.read_after(0, 1 << 62)

    def close(self) -> None:
        self.replica.close()


def open_node(kind: str, path: Path, origin: str) -> SqliteNode | ReplicaNode:
    return ReplicaNode(path, origin) if kind == "replica" else SqliteNode(path, origin)
