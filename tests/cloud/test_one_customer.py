"""One customer everywhere (issue 13, point 3), over a real Mosquitto, two real edge replicas with
their sync links and the hub's HTTP API, on SQLite and PostgreSQL.

* a rename at store A reaches store B, which holds the customer (it looked them up), and a
  change made online reaches both stores;
* registering an e-mail that already exists answers 409 with the way forward and changes nothing
  (it used to overwrite the name and turn marketing consent off);
* marketing consent changes only with the wording the customer agreed to, and the profile shows
  the proof (time, channel, wording version).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cloud.api import create_app
from cloud.ingest.hub import start_hub
from cloud.rpc import hub_handlers
from cloud.settings import CloudSettings
from edge.cloud_rpc import CloudRpc
from edge.node import EdgeNode
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess
from sync.hlc import HybridClock
from sync.transport import MqttConfig
from tests.cloud.helpers import SHOP, downlink, seed, serve

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def wait_for(pred, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_one_customer_everywhere(tmp_path: Path, broker: MosquittoProcess, db_url: str) -> None:
    settings = CloudSettings(
        database_url=db_url,
        admin_token="admin-secret-0123456789",
        shop_token="shop-secret-0123456789",  # type: ignore[arg-type]
        broker_port=broker.port,
    )
    app = create_app(settings)
    engine = app.state.hub.engine
    nodes: dict[str, EdgeNode] = {}
    links: dict[str, SyncLink] = {}
    hub = None
    try:
        with serve(app) as api:
            seed(api)
            hub = start_hub(
                engine,
                MqttConfig(port=broker.port, client_id="hub-customers"),
                rpc_handlers=hub_handlers(engine, HybridClock("cloud-customers")),
            )
            assert hub.transport.wait_connected(10)
            for store in ("a", "b"):
                nodes[store] = EdgeNode.open(tmp_path / f"{store}.db", store)
                links[store] = SyncLink(
                    SyncLinkConfig(
                        store_id=store, broker_port=broker.port, reconnect_max_s=0.3, ack_timeout_s=1.0
                    ),
                    nodes[store].outbox,
                    nodes[store].inbox,
                )
                links[store].start()
                cloud = CloudRpc(timeout_s=5)
                cloud.attach(links[store])
                nodes[store].attach_cloud(cloud)
            for store in ("a", "b"):
                queued = len(downlink(engine, store))
                wait_for(
                    lambda s=store, n=queued: nodes[s].inbox.high_water_mark("cloud") >= n, 20, "checkpoints"
                )
            ann = nodes["a"].customers.enrol(
                {"name": "Ann", "email": "ann@example.com", "consent_marketing": True}
            )
            cid = ann.customer_id
            links["a"].notify()
            wait_for(
                lambda: api.get(f"/shop/v1/customers/{cid}", headers=SHOP).status_code == 200,
                20,
                "Ann at the hub",
            )
            assert nodes["b"].customers.lookup("email", "ann@example.com").name == "Ann"  # B holds Ann now

            # A rename at A reaches B.
            nodes["a"].customers.update(cid, {"name": "Ann Smith"})
            links["a"].notify()
            wait_for(lambda: nodes["b"].customers.get(cid).name == "Ann Smith", 20, "the rename at store B")

            # A change online reaches both stores.
            r = api.patch(f"/shop/v1/customers/{cid}", json={"phone": "+44 20 7946 0000"}, headers=SHOP)
            assert r.status_code == 200, r.text
            for store in ("a", "b"):
                wait_for(
                    lambda s=store: nodes[s].customers.get(cid).phone == "+44 20 7946 0000",
                    20,
                    f"the online change at store {store}",
                )

            # Registering an existing e-mail never overwrites: 409 with the way forward.
            r = api.post(
                "/shop/v1/customers", json={"email": "ann@example.com", "name": "Mallory"}, headers=SHOP
            )
            assert r.status_code == 409, r.text
            assert cid in r.text and "PATCH" in r.text
            profile = api.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()
            assert profile["name"] == "Ann Smith" and profile["consent_marketing"] is True

            # Consent changes only by the customer's own act, with the wording they saw: proof kept.
            r = api.patch(f"/shop/v1/customers/{cid}", json={"consent_marketing": False}, headers=SHOP)
            assert r.status_code == 422, r.text
            r = api.patch(
                f"/shop/v1/customers/{cid}",
                json={"consent_marketing": False, "consent_wording": "marketing-v3"},
                headers=SHOP,
            )
            assert r.status_code == 200, r.text
            proof = r.json()["consent_proof"]
            assert proof["granted"] is False and proof["wording_version"] == "marketing-v3"
            assert proof["channel"] == "online" and proof["at"]
            for store in ("a", "b"):
                wait_for(
                    lambda s=store: nodes[s].customers.get(cid).consent_marketing is False,
                    20,
                    f"the consent change at store {store}",
                )
    finally:
        for each in links.values():
            each.stop()
        for node in nodes.values():
            node.close()
        if hub is not None:
            hub.stop()
        engine.dispose()
