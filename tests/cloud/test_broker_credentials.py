"""The hub's provisioned broker credentials work in a real Mosquitto under the shipped ACL."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from cloud.api import create_app
from cloud.settings import CloudSettings
from sync.broker import MosquittoProcess
from sync.credentials import CONFIG_NAME
from sync.transport import MqttConfig, Transport
from tests.cloud.helpers import ADMIN, seed, serve


def wait_until(pred: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def test_provisioned_store_logs_in_and_is_confined_to_its_topics(
    broker_files: Path, settings: CloudSettings
) -> None:
    app = create_app(settings)
    with serve(app) as api:
        bundles = seed(api)
        config = api.get("/admin/v1/broker/dynamic-security", headers=ADMIN).text
    app.state.hub.engine.dispose()
    (broker_files / CONFIG_NAME).write_text(config)
    broker = MosquittoProcess(workdir=broker_files / "mosquitto", dynsec_file=broker_files / CONFIG_NAME)
    broker.start()
    transports: list[Transport] = []
    try:
        a = bundles["a"]["broker"]
        store_a = Transport(
            MqttConfig(port=broker.port, client_id="a", username=a["username"], password=a["password"])
        )
        wrong = Transport(
            MqttConfig(port=broker.port, client_id="a", username=a["username"], password="not-the-password")
        )
        b = bundles["b"]["broker"]
        store_b = Transport(
            MqttConfig(port=broker.port, client_id="b", username=b["username"], password=b["password"])
        )
        transports += [store_a, wrong, store_b]
        seen: list[str] = []
        got = threading.Event()

        def on_message(topic: str, _payload: bytes) -> None:
            seen.append(topic)
            got.set()

        store_b.subscribe("vitrine/v1/b/#", on_message)
        for t in transports:
            t.start()
        assert store_a.wait_connected(10) and store_b.wait_connected(10)
        assert not wrong.wait_connected(2)
        # a's credentials publish under a's own prefix only: the forged one never reaches b
        assert wait_until(lambda: store_a.publish("vitrine/v1/b/up", b"forged"), 10)
        assert wait_until(lambda: store_b.publish("vitrine/v1/b/up", b"own"), 10)
        assert got.wait(10)
        got.clear()
        got.wait(1.0)
        assert seen == ["vitrine/v1/b/up"]
    finally:
        for t in transports:
            t.stop(announce=False)
        broker.stop()
