"""Storage faults on the hub's API (issue #14, point 6): a full disk under the hub's SQLite database
is a 503 with a JSON message that says what to do, on a connection that stays open, and the hub
accepts writes again once space returns. The database lives on a small tmpfs filled by a ballast file
(the real ENOSPC; skipped where mounting is refused)."""

from __future__ import annotations

from pathlib import Path

import httpx

from cloud.api import create_app
from cloud.settings import CloudSettings
from cloud.storage import make_engine, migrate
from tests.cloud.helpers import ADMIN, SHOP, seed
from tests.support.keepalive import KeepAlive
from tests.support.server import served
from tests.support.small_fs import fill, free_space, small_filesystem

JSON = {"Content-Type": "application/json"}
MAX_WRITES = 400


def _customer(n: int) -> bytes:
    return f'{{"name":"Customer {n} {"x" * 150}","email":"c{n}@example.com"}}'.encode()


def test_disk_full_under_the_hub_database_is_a_503_then_writes_resume(tmp_path: Path) -> None:
    with small_filesystem(tmp_path / "disk", size_kib=4 * 1024) as disk:
        url = f"sqlite:///{disk / 'cloud.db'}"
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        app = create_app(
            CloudSettings(
                database_url=url, admin_token="admin-secret-0123456789", shop_token="shop-secret-0123456789"
            )
        )
        try:
            with served(app, lifespan="off", timeout_keep_alive=60) as base, KeepAlive(base, SHOP) as conn:
                with httpx.Client(base_url=base, timeout=30) as client:
                    seed(client)
                fill(disk)
                answer = None
                for n in range(MAX_WRITES):
                    answer = conn.send("POST", "/shop/v1/customers", _customer(n), JSON)
                    assert answer.status in (200, 201, 503), answer.body[:300]
                    if answer.status == 503:
                        break
                assert answer is not None and answer.status == 503, "every write succeeded on a full disk"
                assert answer.content_type == "application/json"
                detail = answer.json()["detail"]
                assert "full" in detail and "retry" in detail, detail
                assert conn.still_open()
                free_space(disk)
                assert conn.send("POST", "/shop/v1/customers", _customer(MAX_WRITES), JSON).status in (
                    200,
                    201,
                )
                assert conn.send("GET", "/admin/v1/stores", headers=ADMIN).status == 200
        finally:
            app.state.hub.engine.dispose()
