"""The shipped broker configuration keeps stores apart (issue 14, "the broker keeps stores apart").

Mosquitto runs ``firmware-config/mosquitto/mosquitto.conf`` as shipped (TLS listener, dynamic-security
plugin), localised to a loopback port; its users and rules come from ``sync.credentials`` and the shipped
template. Store s1's credentials try to join the hub workers' shared subscription group, to listen to
other stores' RPC requests and downlink, and to take store s2's client id; none of it works and s2 syncs
every op while the rogue is connected.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from cloud.ingest.hub import start_hub
from cloud.rpc import hub_handlers
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess, free_port, shipped_config
from sync.credentials import CONFIG_NAME, generate
from sync.hlc import HybridClock
from sync.testing.sqlite_node import SqliteNode
from sync.testing.workload import make_ops
from sync.transport import MqttConfig
from tests.sync.harness import assert_converged, cloud_engine, cloud_hwm, wait_until
from tests.sync.tls_certs import make_ca_and_server

pytestmark = pytest.mark.broker

ROGUE_FILTERS = [
    "$share/hub/vitrine/v1/+/up",  # the hub workers' group: the broker would hand it other stores' batches
    "$share/hub/vitrine/v1/+/rpc/req",
    "vitrine/v1/+/rpc/req",
    "vitrine/v1/s2/down",
    "vitrine/v1/#",
]


class RawClient:
    """A hostile client speaking MQTT 5 directly, to see the broker's answers (CONNACK, SUBACK)."""

    def __init__(self, port: int, ca: Path, client_id: str, username: str, password: str) -> None:
        self.connack: list[str] = []
        self.suback: list[str] = []
        self.received: list[str] = []
        self.disconnects = 0
        self._subscribed = threading.Event()
        self._connected = threading.Event()
        c = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5
        )
        c.username_pw_set(username, password)
        c.tls_set(ca_certs=str(ca))
        c.on_connect = self._on_connect
        c.on_subscribe = self._on_subscribe
        c.on_message = lambda _c, _u, msg: self.received.append(msg.topic)
        c.on_disconnect = self._on_disconnect
        self.client = c
        c.connect_async("127.0.0.1", port, keepalive=15)
        c.loop_start()

    def _on_connect(self, _c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self.connack.append(str(reason))
        self._connected.set()

    def _on_subscribe(self, _c: Any, _u: Any, _mid: Any, reasons: Any, _p: Any) -> None:
        self.suback += [str(r) for r in reasons]
        self._subscribed.set()

    def _on_disconnect(self, _c: Any, _u: Any, _f: Any, _reason: Any, _p: Any) -> None:
        self.disconnects += 1

    def wait_connack(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def subscribe(self, filters: list[str], timeout: float = 10) -> list[str]:
        self.client.subscribe([(f, 1) for f in filters])
        assert self._subscribed.wait(timeout), "no SUBACK"
        return self.suback

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _shared_dir(base: Path, name: str) -> Path:
    d = base / name
    d.mkdir()
    d.chmod(0o755)
    return d


def test_shipped_broker_keeps_stores_apart(tmp_path: Path, broker_files: Path) -> None:
    files = _shared_dir(broker_files, "etc")
    certs = make_ca_and_server(files)
    passwords = generate(["s1", "s2"], files)
    (files / CONFIG_NAME).chmod(0o644)  # the broker drops root privileges before reading it
    workdir = _shared_dir(broker_files, "run")
    port = free_port()
    broker = MosquittoProcess(workdir=workdir, port=port, config=shipped_config(port, files, workdir))
    broker.start()
    ca = certs["cafile"]
    engine = cloud_engine(tmp_path / "cloud.db")
    hubs = [
        start_hub(
            engine,
            MqttConfig(port=port, client_id=f"hub-{n}", username="hub", password=passwords["hub"], tls_ca=ca),
            downlink=n == 1,
            rpc_handlers=hub_handlers(engine, HybridClock("cloud")),
        )
        for n in (1, 2)  # two workers share the hub's user and its subscription group
    ]
    node = SqliteNode(tmp_path / "s2.db", "s2")
    link = SyncLink(
        SyncLinkConfig(
            store_id="s2",
            broker_port=port,
            username="s2",
            password=passwords["s2"],
            tls_ca=ca,
            reconnect_max_s=0.3,
            ack_timeout_s=5.0,
        ),
        node,
        node,
    )
    rogues: list[RawClient] = []
    try:
        assert all(h.transport.wait_connected(10) for h in hubs)
        link.start()
        assert link.transport.wait_connected(10)
        node.write(make_ops("s2", 1, 200, seed=2))
        link.notify()
        wait_until(lambda: node.acked_seq() == 200, 60, "s2 synced before the rogue")

        # s1's credentials under its own client id: every foreign or group filter is refused
        rogue = RawClient(port, ca, "s1", "s1", passwords["s1"])
        rogues.append(rogue)
        assert rogue.wait_connack(10) and rogue.connack == ["Success"]
        answers = rogue.subscribe(ROGUE_FILTERS)
        assert answers == ["Not authorized"] * len(ROGUE_FILTERS), answers

        # s2 keeps syncing at full speed: no batch or RPC goes to the rogue
        disconnects = link.transport.stats.disconnects
        node.write(make_ops("s2", 201, 400, seed=3))
        link.notify()
        wait_until(lambda: node.acked_seq() == 600, 20, "s2 synced while the rogue listens")
        # and every one of s2's RPC requests is answered (none goes to the rogue's share)
        answers = [link.rpc.call("clock.now", {}, timeout=5) for _ in range(12)]
        assert all(isinstance(a, dict) and "now_ms" in a for a in answers)
        assert rogue.received == []
        assert cloud_hwm(engine, "s2") == 600
        assert_converged(node, engine)

        # s1's credentials with s2's client id: refused at CONNECT, s2 is not kicked off
        thief = RawClient(port, ca, "s2", "s1", passwords["s1"])
        rogues.append(thief)
        assert thief.wait_connack(10) and thief.connack[0] == "Not authorized"
        assert link.transport.connected and link.transport.stats.disconnects == disconnects
        # and an unknown client id under s1's user is refused too
        other = RawClient(port, ca, "edge-s1", "s1", passwords["s1"])
        rogues.append(other)
        assert other.wait_connack(10) and other.connack[0] == "Not authorized"
    finally:
        for r in rogues:
            r.stop()
        link.stop()
        for h in hubs:
            h.stop()
        broker.stop()
