"""Fault tests with a real Mosquitto and real processes. After each: edge and cloud agree exactly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sync.broker import MosquittoProcess
from sync.testing.sqlite_node import SqliteNode
from sync.testing.workload import Workload, make_ops
from sync.topics import StoreTopics
from sync.transport import LinkFaults, MqttConfig, Transport
from tests.support.paths import REPO
from tests.sync.harness import (
    assert_converged,
    cloud_engine,
    cloud_hwm,
    edge_link,
    hub,
    open_node,
    wait_until,
)

pytestmark = pytest.mark.broker

# The fault tests that exercise the edge run against both the reference SQLite node and the real
# edge replica (edge.replica: ReplicaOutbox / ReplicaInbox).
NODE_KINDS = pytest.mark.parametrize("kind", ["sqlite", "replica"])


@NODE_KINDS
def test_broker_restart_mid_sync(tmp_path: Path, broker: MosquittoProcess, kind: str) -> None:
    engine = cloud_engine(tmp_path / "cloud.db")
    node = open_node(kind, tmp_path / "edge.db", "s1")
    node.write(make_ops("s1", 1, 20_000, seed=1))
    h = hub(engine, broker)
    link = edge_link(node, broker)
    try:
        wait_until(lambda: node.acked_seq() > 0, 20, "first acks")
        broker.restart()
        node.write(make_ops("s1", 20_001, 5_000, seed=2))  # the store keeps selling during the restart
        link.notify()
        wait_until(lambda: node.acked_seq() == 25_000, 60, "all acked after restart")
        assert_converged(node, engine)
    finally:
        link.stop()
        h.stop()


def test_duplicated_reordered_dropped_messages(tmp_path: Path, broker: MosquittoProcess) -> None:
    engine = cloud_engine(tmp_path / "cloud.db")
    node = SqliteNode(tmp_path / "edge.db", "s1")
    edge_faults = LinkFaults(seed=1, drop_p=0.15, dup_p=0.2, reorder_p=0.2)
    hub_faults = LinkFaults(seed=2, drop_p=0.15, dup_p=0.2, reorder_p=0.1)
    h = hub(engine, broker, faults=hub_faults)
    link = edge_link(node, broker, faults=edge_faults, ack_timeout_s=0.5)
    try:
        wl = Workload("s1", seed=3)
        written = 0
        for _ in range(40):  # online trickle: many small batches, so faults hit many messages
            ops = []
            while len(ops) < 100:
                ops += wl.next_ops()
            node.write(ops)
            written = ops[-1].seq
            link.notify()
            time.sleep(0.02)
        wait_until(lambda: node.acked_seq() == written, 90, "all acked through a faulty link")
        assert_converged(node, engine)
        assert edge_faults.dropped and edge_faults.duplicated and edge_faults.reordered
        assert h.ingest is not None and h.ingest.stats.duplicates > 0
    finally:
        link.stop()
        h.stop()


def _edge_proc(db: Path, store: str, port: int, mode: str, count: int, kind: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.sync.edge_proc", str(db), store, str(port), mode, str(count), kind],
        cwd=REPO,
        stdout=subprocess.PIPE if mode == "publish-and-wait" else subprocess.DEVNULL,
        text=True,
    )


@NODE_KINDS
def test_kill9_edge_between_commit_and_publish(tmp_path: Path, broker: MosquittoProcess, kind: str) -> None:
    engine = cloud_engine(tmp_path / "cloud.db")
    db = tmp_path / "edge.db"
    proc = _edge_proc(db, "s1", broker.port, "commit-then-die", 5000, kind)
    assert proc.wait(60) == -signal.SIGKILL
    h = hub(engine, broker)
    try:
        assert cloud_hwm(engine, "s1") == 0  # nothing went out before the kill
        proc = _edge_proc(db, "s1", broker.port, "sync", 5000, kind)
        assert proc.wait(60) == 0
        wait_until(lambda: cloud_hwm(engine, "s1") == 5000, 10, "cloud applied")
        assert_converged(open_node(kind, db, "s1"), engine)
    finally:
        h.stop()


@NODE_KINDS
def test_kill9_edge_between_publish_and_ack(tmp_path: Path, broker: MosquittoProcess, kind: str) -> None:
    engine = cloud_engine(tmp_path / "cloud.db")
    db = tmp_path / "edge.db"
    proc = _edge_proc(
        db, "s1", broker.port, "publish-and-wait", 8000, kind
    )  # no hub yet: nothing can be acked
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "published"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
    assert open_node(kind, db, "s1").acked_seq() == 0
    # the broker published the dead edge's Last Will: its retained presence now says offline
    presence: list[bytes] = []
    watcher = Transport(MqttConfig(port=broker.port, client_id="presence-watch"))
    watcher.subscribe(StoreTopics("s1").presence, lambda _t, p: presence.append(p))
    watcher.start()
    try:
        wait_until(lambda: bool(presence) and b'"offline"' in presence[-1], 10, "last will")
    finally:
        watcher.stop(announce=False)
    h = hub(engine, broker)  # the hub now gets the batches the dead edge published (or not): either way
    try:
        proc = _edge_proc(db, "s1", broker.port, "sync", 8000, kind)
        assert proc.wait(60) == 0
        assert_converged(open_node(kind, db, "s1"), engine)
        assert h.ingest is not None
    finally:
        h.stop()


def test_kill9_hub_worker_mid_batch(tmp_path: Path, broker: MosquittoProcess) -> None:
    engine = cloud_engine(tmp_path / "cloud.db")
    url = f"sqlite:///{tmp_path / 'cloud.db'}"

    def worker(name: str, *extra: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cloud.ingest.worker",
                "--db",
                url,
                "--broker",
                f"127.0.0.1:{broker.port}",
                "--client-id",
                name,
                "--no-projections",
                *extra,
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )

    victim, survivor = worker("hub-a", "--downlink"), worker("hub-b")
    try:
        for p in (victim, survivor):
            assert p.stdout is not None and p.stdout.readline().strip().endswith("running")
        time.sleep(0.5)  # both subscribed to the shared subscription
        node = SqliteNode(tmp_path / "edge.db", "s1")
        node.write(make_ops("s1", 1, 60_000, seed=4))
        link = edge_link(node, broker)
        try:
            wait_until(lambda: cloud_hwm(engine, "s1") > 2000, 30, "ingest under way")
            victim.send_signal(signal.SIGKILL)  # mid-stream: it holds batches it never acks
            victim.wait(10)
            wait_until(lambda: node.acked_seq() == 60_000, 90, "the surviving worker finished")
            assert_converged(node, engine)
        finally:
            link.stop()
    finally:
        for p in (victim, survivor):
            if p.poll() is None:
                os.kill(p.pid, signal.SIGTERM)
                p.wait(10)
            assert p.stdout is not None
            p.stdout.close()


@NODE_KINDS
def test_multi_day_outage_with_100k_ops(tmp_path: Path, broker: MosquittoProcess, kind: str) -> None:
    engine = cloud_engine(tmp_path / "cloud.db")
    node = open_node(kind, tmp_path / "edge.db", "s1")
    h = hub(engine, broker)
    link = edge_link(node, broker)
    try:
        node.write(make_ops("s1", 1, 100, seed=5))
        wait_until(lambda: node.acked_seq() == 100, 20, "online before the outage")
        h.stop()  # the internet link to the cloud is gone
        wl = Workload("s1", seed=6, step_ms=4000)  # ~100k ops over ~4-5 simulated days
        wl.seq = 100
        ops = []
        for op in wl:
            ops.append(op)
            if len(ops) == 100_000:
                break
        node.write(ops)
        assert (int(ops[-1].hlc[:13]) - int(ops[0].hlc[:13])) / 86_400_000 >= 3  # several days of trading
        status = link.status()
        assert status.backlog == 100_000
        h = hub(engine, broker)  # link back
        wait_until(lambda: node.acked_seq() == 100_100, 120, "backlog drained")
        assert_converged(node, engine)
    finally:
        link.stop()
        h.stop()
