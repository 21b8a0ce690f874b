"""Which clock an effective date follows, and the store's skew against the hub (issue 14, "Clocks").

Effective dates follow the hub's clock as the store knows it: its own clock corrected by the last
offset it measured (edge/hub_clock.py). Instants are compared as instants: a sale at
``…:00.271419Z`` is after an effective date of ``…:00Z`` (as text, ``.`` sorts before ``Z``).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from cloud.ingest.hub import start_hub
from cloud.rpc import hub_handlers
from cloud.storage import make_engine, migrate
from edge.api.app import create_app
from edge.node import EdgeNode
from edge.services.selling import Basket, BasketLine
from edge.settings import load_settings
from sync.broker import MosquittoProcess
from sync.hlc import HybridClock
from sync.ops import Op
from sync.transport import MqttConfig
from tests.edge.conftest import STORE, TOKENS, Wall, populate
from tests.support.polling import wait_for
from tests.support.server import served

MIDNIGHT = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
SKU, OLD, NEW = "71053", 339, 999


def _switch_price_at_midnight(node: EdgeNode) -> None:
    """The hub's price checkpoint, as the downlink delivers it (hub text form ``…:00Z``)."""
    body = {
        "version": 5,
        "effective_from": "2026-12-01T00:00:00Z",
        "prices": [{"sku": SKU, "cents": NEW}],
        "promotions": [],
    }
    node.inbox.apply("cloud", [Op("cloud", 1, "1795000000000.0000.cloud", "price.checkpoint", body)])


def _price_now(node: EdgeNode) -> int:
    return node.selling.sell(Basket(lines=[BasketLine(SKU, 1)])).lines[0].unit_cents


def test_the_price_switches_at_the_instant_not_a_second_late(tmp_path: Path) -> None:
    wall = Wall(MIDNIGHT - 0.5)
    node = EdgeNode.open(tmp_path / "store.db", STORE, wall=wall)
    try:
        populate(node)
        _switch_price_at_midnight(node)
        assert _price_now(node) == OLD
        wall.now = MIDNIGHT + 0.271419  # compared as text, "…00.271419Z" < "…00Z": the old price
        assert _price_now(node) == NEW
        stored = (
            node.replica.reader().execute("SELECT effective_from FROM prices WHERE version = 5").fetchone()
        )
        assert stored[0] == "2026-12-01T00:00:00.000000Z"
    finally:
        node.close()


def test_an_offline_store_whose_clock_is_slightly_ahead_switches_at_the_hubs_midnight(tmp_path: Path) -> None:
    ahead_s = 90.0  # this box runs 90 s ahead of the hub
    wall = Wall(MIDNIGHT - 3600)
    db = tmp_path / "store.db"
    node = EdgeNode.open(db, STORE, wall=wall)
    populate(node)
    _switch_price_at_midnight(node)
    # measured while online (the hub read its clock half-way through a 40 ms round trip) ...
    sent = wall.now
    node.hub_clock.record(sent, round((sent + 0.02 - ahead_s) * 1000), sent + 0.04)
    assert node.hub_clock.status().skew_ms == 90_000
    node.close()
    # ... then the link is down at midnight, and the node even restarts: the offset is remembered
    node = EdgeNode.open(db, STORE, wall=wall)
    try:
        wall.now = MIDNIGHT + 60  # the box says 00:01, the hub's clock 23:59:30: not yet
        assert _price_now(node) == OLD
        wall.now = MIDNIGHT + ahead_s + 0.3  # the hub's 00:00:00.3
        receipt = node.selling.sell(Basket(lines=[BasketLine(SKU, 1)]))
        assert receipt.lines[0].unit_cents == NEW
        assert receipt.at.startswith("2026-12-01T00:00:00.3")  # business times follow the hub's clock
    finally:
        node.close()


@pytest.mark.broker
def test_the_edge_learns_its_skew_over_the_link_and_warns(tmp_path: Path, broker: MosquittoProcess) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cloud.db'}")
    migrate(engine)
    ahead_s = 7.5
    node = EdgeNode.open(tmp_path / "store.db", STORE, wall=lambda: time.time() + ahead_s)
    populate(node)
    settings = load_settings(
        store_id=STORE,
        db_path=tmp_path / "store.db",
        kiosk_token=TOKENS["kiosk"],
        staff_token=TOKENS["staff"],
        manager_token=TOKENS["manager"],
        mqtt_host="127.0.0.1",
        mqtt_port=broker.port,
        clock_probe_s=0.5,
        clock_skew_warn_s=2.0,
    )
    app = create_app(settings, node=node)
    hub = start_hub(
        engine,
        MqttConfig(port=broker.port, client_id="hub-clock"),
        rpc_handlers=hub_handlers(engine, HybridClock("cloud-test")),
    )
    try:
        assert hub.transport.wait_connected(10)
        with served(app) as url, httpx.Client(base_url=url, timeout=15) as edge:

            def clock() -> dict[str, object]:
                return dict(edge.get("/health").json()["clock"])

            wait_for(lambda: clock()["skew_ms"] is not None, 30, "a skew measurement over the link")
            health = clock()
            assert abs(int(str(health["skew_ms"])) - ahead_s * 1000) < 500, health
            assert "ahead of the hub" in str(health["warning"]) and "NTP" in str(health["warning"])
            metrics = edge.get("/metrics").text
            skew = float(re.search(r"^vitrine_edge_clock_skew_seconds (\S+)$", metrics, re.M).group(1))  # type: ignore[union-attr]
            assert abs(skew - ahead_s) < 0.5
            assert re.search(r"^vitrine_edge_clock_skew_warning 1\.0$", metrics, re.M)
            panel = edge.get(
                "/ui/manager/sync", headers={"Authorization": f"Bearer {TOKENS['manager']}"}
            ).json()
            assert abs(panel["clock_skew_ms"] - ahead_s * 1000) < 500 and panel["clock_warning"]
    finally:
        hub.stop()
        node.close()
        engine.dispose()
