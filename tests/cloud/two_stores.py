"""The hub (HTTP API + an ingest worker serving RPC) and two edge replicas ``a`` and ``b`` with their
sync links on a test's Mosquitto: the set-up of the omnichannel tests (refunds, customers)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine

from cloud.api import create_app
from cloud.ingest.hub import Hub, start_hub
from cloud.rpc import hub_handlers
from cloud.settings import CloudSettings
from edge.cloud_rpc import CloudRpc
from edge.node import EdgeNode
from edge.sync_link import SyncLink, SyncLinkConfig
from sync.broker import MosquittoProcess
from sync.hlc import HybridClock
from sync.transport import MqttConfig
from tests.cloud.helpers import downlink, seed, serve
from tests.support.polling import wait_for

STORES = ("a", "b")


@dataclass
class TwoStores:
    api: httpx.Client
    engine: Engine
    broker_port: int
    nodes: dict[str, EdgeNode] = field(default_factory=dict)
    links: dict[str, SyncLink] = field(default_factory=dict)
    clouds: dict[str, CloudRpc] = field(default_factory=dict)

    def link(self, store: str) -> SyncLink:
        """(Re)start ``store``'s sync link and route its online questions through it."""
        made = SyncLink(
            SyncLinkConfig(
                store_id=store, broker_port=self.broker_port, reconnect_max_s=0.3, ack_timeout_s=1.0
            ),
            self.nodes[store].outbox,
            self.nodes[store].inbox,
        )
        made.start()
        self.links[store] = made
        self.clouds[store].attach(made)
        return made


@contextmanager
def two_stores(tmp_path: Path, broker: MosquittoProcess, db_url: str, name: str) -> Iterator[TwoStores]:
    """Yields once both stores hold the hub's seeded checkpoints; stops and closes everything after."""
    settings = CloudSettings(
        database_url=db_url,
        admin_token="admin-secret-0123456789",
        shop_token="shop-secret-0123456789",  # type: ignore[arg-type]
        broker_port=broker.port,
        model_signing_key=tmp_path / "model-signing.pem",
    )
    app = create_app(settings)
    engine = app.state.hub.engine
    hub: Hub | None = None
    fleet: TwoStores | None = None
    try:
        with serve(app) as api:
            seed(api)
            hub = start_hub(
                engine,
                MqttConfig(port=broker.port, client_id=f"hub-{name}"),
                rpc_handlers=hub_handlers(engine, HybridClock(f"cloud-{name}")),
            )
            assert hub.transport.wait_connected(10)
            fleet = TwoStores(api, engine, broker.port)
            for store in STORES:
                fleet.nodes[store] = EdgeNode.open(tmp_path / f"{store}.db", store)
                fleet.clouds[store] = CloudRpc(timeout_s=5)
                fleet.nodes[store].attach_cloud(fleet.clouds[store])
                fleet.link(store)
            for store in STORES:
                queued = len(downlink(engine, store))
                wait_for(
                    lambda s=store, n=queued: fleet.nodes[s].inbox.high_water_mark("cloud") >= n,  # type: ignore[union-attr]
                    20,
                    f"the checkpoints at store {store}",
                )
            yield fleet
    finally:
        if fleet is not None:
            for each in fleet.links.values():
                each.stop()
            for node in fleet.nodes.values():
                node.close()
        if hub is not None:
            hub.stop()
        engine.dispose()
