"""Device-hub fixtures: a real replica with a small catalogue, device profiles in a temp
firmware-config, the edge app on a real uvicorn (127.0.0.1, free port) with the hub running."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from drivers.rfid.simulator import BUS
from edge.api.app import create_app
from edge.devices.hub import DeviceHub
from edge.node import EdgeNode
from edge.services.stock import CountItem
from edge.settings import EdgeSettings, load_settings
from tests.support.server import served

STORE = "store-dev"
TOKENS = {
    "kiosk": "kiosk-token-0123456789",
    "staff": "staff-token-0123456789",
    "manager": "manager-token-0123456789",
}
PRODUCTS = (
    ("85123A", "02002344615337", "WHITE HANGING HEART T-LIGHT HOLDER"),
    ("71053", "04006381333931", "WHITE METAL LANTERN"),
    ("22423", "05901234123457", "REGENCY CAKESTAND 3 TIER"),
)
SITE = """
[tags]
departure_after_s = 1.0
move_confirm_s = 0.2
move_min_reads = 2
zone_stale_s = 0.5
[loss_prevention]
exit_zones = ["exit"]
sale_window_s = 600
"""


def wait_for(predicate: Callable[[], bool], timeout_s: float = 8.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def populate(node: EdgeNode) -> None:
    with node.replica.write() as tx:
        for sku, gtin, name in PRODUCTS:
            tx.execute(
                "INSERT INTO catalog (sku, gtin, name, category) VALUES (?, ?, ?, 'home')", (sku, gtin, name)
            )
            tx.execute("INSERT INTO prices VALUES (?, 0, '1970-01-01T00:00:00.000000Z', ?)", (sku, 100))
    node.stock.count([CountItem(sku, 5) for sku, _, _ in PRODUCTS], zone="shelf-a", session="opening")


def write_config(
    root: Path, sim_name: str, reader_query: str, scanners: dict[str, str] | None = None
) -> Path:
    config = root / "firmware-config"
    (config / "readers").mkdir(parents=True)
    (config / "rfid.toml").write_text(SITE)
    (config / "readers" / "floor.toml").write_text(
        f'id = "floor"\nprotocol = "mercury"\nurl = "vitrinesim://{sim_name}?{reader_query}"\n'
        'region = "EU3"\npower_dbm = 27\n[antennas]\n1 = "shelf-a"\n2 = "shelf-b"\n3 = "backroom"\n4 = "exit"\n'
    )
    if scanners:
        (config / "scanners").mkdir()
        for name, text in scanners.items():
            (config / "scanners" / f"{name}.toml").write_text(text)
    return config


@pytest.fixture
def node(tmp_path: Path) -> Iterator[EdgeNode]:
    the_node = EdgeNode.open(tmp_path / "store.db", STORE)
    populate(the_node)
    try:
        yield the_node
    finally:
        the_node.close()


@pytest.fixture
def edge_settings(tmp_path: Path) -> EdgeSettings:
    return load_settings(
        store_id=STORE,
        db_path=tmp_path / "store.db",
        kiosk_token=TOKENS["kiosk"],
        staff_token=TOKENS["staff"],
        manager_token=TOKENS["manager"],
    )


@pytest.fixture
def sim_name(request: pytest.FixtureRequest) -> Iterator[str]:
    name = "hub-" + request.node.name.replace("[", "-").replace("]", "")
    BUS.forget(name)
    yield name
    BUS.forget(name)


@dataclass
class Live:
    url: str
    node: EdgeNode
    hub: DeviceHub
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, role: str | None = None) -> httpx.Client:
        """A client for ``role``; :func:`serve` closes it when the server stops."""
        headers = {"Authorization": f"Bearer {TOKENS[role]}"} if role else {}
        self.clients.append(httpx.Client(base_url=self.url, headers=headers, timeout=15))
        return self.clients[-1]


@contextmanager
def serve(
    settings: EdgeSettings, node: EdgeNode, monkeypatch: pytest.MonkeyPatch, config: Path | None
) -> Iterator[Live]:
    """The real edge app from ``create_app`` (devices from VITRINE_DEVICES_*) on uvicorn in a thread."""
    if config is None:
        monkeypatch.delenv("VITRINE_DEVICES_CONFIG_DIR", raising=False)
    else:
        monkeypatch.setenv("VITRINE_DEVICES_CONFIG_DIR", str(config))
    monkeypatch.setenv("VITRINE_DEVICES_TICK_S", "0.1")
    monkeypatch.setenv("VITRINE_DEVICES_CAMERA_FPS", "5")
    app = create_app(settings, node=node)
    with served(app) as url:
        live = Live(url, node, app.state.device_hub)
        try:
            yield live
        finally:
            for client in live.clients:
                client.close()
