"""Edge fixtures: a real replica file with a small catalog, a controllable wall clock, and the API
served by a real uvicorn on a free 127.0.0.1 port."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from edge.api.app import create_app
from edge.node import EdgeNode
from edge.services.stock import CountItem
from edge.settings import EdgeSettings, load_settings
from tests.support.server import served

STORE = "store-1"
TOKENS = {
    "kiosk": "kiosk-token-0123456789",
    "staff": "staff-token-0123456789",
    "manager": "manager-token-0123456789",
}
START = 1_790_000_000.0  # 2026-09-21


class Wall:
    """A wall clock the test moves by hand."""

    def __init__(self, start: float = START) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def populate(node: EdgeNode) -> None:
    """Three priced products (one on promotion), stock counted, one customer with points."""
    with node.replica.write() as tx:
        for sku, gtin, name, cents in (
            ("85123A", "02002344615337", "WHITE HANGING HEART T-LIGHT HOLDER", 255),
            ("71053", "04006381333931", "WHITE METAL LANTERN", 339),
            ("22423", "05901234123457", "REGENCY CAKESTAND 3 TIER", 1275),
        ):
            tx.execute(
                "INSERT INTO catalog (sku, gtin, name, category) VALUES (?, ?, ?, 'home')", (sku, gtin, name)
            )
            tx.execute("INSERT INTO prices VALUES (?, 0, '1970-01-01T00:00:00.000000Z', ?)", (sku, cents))
        tx.execute(
            "INSERT INTO promotions VALUES ('p-cake', '22423', NULL, 'percent', 20, "
            "'2000-01-01T00:00:00Z', '2100-01-01T00:00:00Z', 1)"
        )
    node.stock.count(
        [CountItem("85123A", 10), CountItem("71053", 2), CountItem("22423", 5)], session="opening"
    )


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture
def node(tmp_path: Path, wall: Wall) -> Iterator[EdgeNode]:
    the_node = EdgeNode.open(tmp_path / "store.db", STORE, wall=wall)
    populate(the_node)
    try:
        yield the_node
    finally:
        the_node.close()


@pytest.fixture
def settings(tmp_path: Path) -> EdgeSettings:
    return load_settings(
        store_id=STORE,
        db_path=tmp_path / "store.db",
        kiosk_token=TOKENS["kiosk"],
        staff_token=TOKENS["staff"],
        manager_token=TOKENS["manager"],
    )


@dataclass
class LiveServer:
    url: str
    node: EdgeNode

    def client(self, role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {TOKENS[role]}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)


@pytest.fixture
def live(settings: EdgeSettings, node: EdgeNode) -> Iterator[LiveServer]:
    """The real app on uvicorn in a thread, over the ``node`` fixture."""
    with served(create_app(settings, node=node)) as url:
        yield LiveServer(url, node)
