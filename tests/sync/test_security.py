"""Per-store credentials + ACL against a real Mosquitto, quarantine of forged payloads, TLS."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cloud.ingest.hub import start_hub
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess
from sync.credentials import CONFIG_NAME, generate
from sync.ops import Op
from sync.testing.sqlite_node import SqliteNode
from sync.testing.workload import make_ops
from sync.topics import StoreTopics
from sync.transport import MqttConfig, Transport
from sync.wire import BatchCodec
from tests.sync.harness import assert_converged, cloud_engine, cloud_hwm, cloud_ops, wait_until
from tests.sync.tls_certs import make_ca_and_server

pytestmark = pytest.mark.broker


def publish_until_sent(client: Transport, topic: str, payload: bytes) -> None:
    # Mosquitto 2.0 + paho sometimes drop the connection of a client right after it was denied
    # (observed: "Bad socket read/write"); a rogue client would simply reconnect and try again.
    wait_until(lambda: client.publish(topic, payload), 20, f"publish on {topic}")


def _shared_dir(base: Path, name: str) -> Path:
    d = base / name
    d.mkdir()
    d.chmod(0o755)
    return d


def test_acl_confines_each_store_to_its_own_topics(tmp_path: Path, broker_files: Path) -> None:
    creds = _shared_dir(broker_files, "creds")
    passwords = generate(["s1", "s2"], creds)
    (creds / CONFIG_NAME).chmod(0o644)
    broker = MosquittoProcess(workdir=_shared_dir(broker_files, "broker"), dynsec_file=creds / CONFIG_NAME)
    broker.start()
    engine = cloud_engine(tmp_path / "cloud.db")
    hub = start_hub(
        engine, MqttConfig(port=broker.port, client_id="hub-1", username="hub", password=passwords["hub"])
    )
    links: list[SyncLink] = []
    spy = None

    def state() -> str:
        return (
            f"quarantine={dict(hub.quarantine.counts)} ingest={hub.ingest.stats if hub.ingest else None} "
            f"hub={hub.transport.stats} connected={hub.transport.connected} "
            f"links={[(lk.uplink.stats, lk.transport.stats, lk.transport.connected) for lk in links]} "
            f"spy={spy.stats if spy else None}"
        )

    try:
        assert hub.transport.wait_connected(10)
        nodes = {s: SqliteNode(tmp_path / f"{s}.db", s) for s in ("s1", "s2")}
        for store, node in nodes.items():
            node.write(make_ops(store, 1, 500, seed=len(store)))
            link = SyncLink(
                SyncLinkConfig(
                    store_id=store,
                    broker_port=broker.port,
                    username=store,
                    password=passwords[store],
                    reconnect_max_s=0.3,
                    ack_timeout_s=1.0,
                ),
                node,
                node,
            )
            link.start()
            links.append(link)
        for node in nodes.values():
            wait_until(lambda n=node: n.acked_seq() == 500, 60, "both stores synced", state)
        # s1's credentials (under s1's own client id, the only one the broker lets them use),
        # trying to act as s2 and to listen to s2
        links[0].stop()
        received: list[str] = []
        spy = Transport(MqttConfig(port=broker.port, client_id="s1", username="s1", password=passwords["s1"]))
        spy.subscribe(StoreTopics("s2").down, lambda t, _p: received.append(t))
        spy.subscribe(StoreTopics("s2").ack_up, lambda t, _p: received.append(t))
        spy.start()
        assert spy.wait_connected(10)
        codec = BatchCodec()
        forged = codec.encode("s2", make_ops("s2", 501, 10, seed=9))
        publish_until_sent(spy, StoreTopics("s2").up, forged)  # refused by the ACL: never reaches the hub
        publish_until_sent(spy, StoreTopics("s1").up, forged)  # allowed topic, foreign origin: quarantined
        publish_until_sent(spy, StoreTopics("s1").up, b"\x00garbage")  # malformed: quarantined
        # right origin and topic, but the ops move another store's stock: quarantined
        sneaky = [
            Op("s1", 501, op.hlc, op.type, {**op.body, "store": "s2"})
            for op in make_ops("s1", 501, 1, seed=11)
        ]
        publish_until_sent(spy, StoreTopics("s1").up, codec.encode("s1", sneaky))
        # QoS 1 is at-least-once: when the broker drops the spy after its denied publish, paho resends
        # what was in flight on reconnect, so one payload may be quarantined twice.
        wait_until(
            lambda: hub.quarantine.counts["unauthorised"] >= 2 and hub.quarantine.counts["malformed"] >= 1,
            60,
            "three payloads quarantined",
            state,
        )
        nodes["s2"].write(make_ops("s2", 501, 10, seed=10))
        links[1].notify()
        wait_until(lambda: nodes["s2"].acked_seq() == 510, 60, "s2 still syncs", state)
        time.sleep(0.3)
        assert cloud_hwm(engine, "s2") == 510 and len(cloud_ops(engine, "s2")) == 510
        assert_converged(nodes["s2"], engine)  # the forged ops are not in the cloud
        assert received == []  # s1 cannot read s2's topics
        assert set(hub.quarantine.counts) == {"unauthorised", "malformed"}
        assert cloud_hwm(engine, "s1") == 500
        # a wrong password never connects
        bad = Transport(MqttConfig(port=broker.port, client_id="s1", username="s1", password="wrong"))
        bad.start()
        assert not bad.wait_connected(1.0)
        bad.stop()
    finally:
        if spy:
            spy.stop()
        for link in links:
            link.stop()
        hub.stop()
        broker.stop()


def test_tls_with_a_test_ca(tmp_path: Path, broker_files: Path) -> None:
    certs = make_ca_and_server(_shared_dir(broker_files, "tls"))
    broker = MosquittoProcess(workdir=_shared_dir(broker_files, "broker"), tls=certs)
    broker.start()
    engine = cloud_engine(tmp_path / "cloud.db")
    hub = start_hub(engine, MqttConfig(port=broker.port, client_id="hub-1", tls_ca=certs["cafile"]))
    node = SqliteNode(tmp_path / "edge.db", "s1")
    node.write(make_ops("s1", 1, 300))
    link = SyncLink(
        SyncLinkConfig(store_id="s1", broker_port=broker.port, tls_ca=certs["cafile"], reconnect_max_s=0.3),
        node,
        node,
    )
    plain = Transport(MqttConfig(port=broker.port, client_id="plain"))
    try:
        assert hub.transport.wait_connected(10)
        link.start()
        wait_until(lambda: node.acked_seq() == 300, 30, "synced over TLS")
        assert_converged(node, engine)
        plain.start()
        assert not plain.wait_connected(1.0)  # a client that does not speak TLS gets nowhere
    finally:
        plain.stop(announce=False)
        link.stop()
        hub.stop()
        broker.stop()
