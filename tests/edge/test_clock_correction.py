"""A corrected clock never bricks a node (issue 14, "Clocks").

An edge that ran with its clock two days ahead wrote HLCs two days in the future; once the clock is
put right, the real ``vitrine-edge`` process must start, sell, and keep HLC order. A box whose clock
is three days behind its replica must open it too.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx

from edge.node import EdgeNode
from edge.services.selling import Basket, BasketLine
from sync.broker import free_port
from sync.hlc import Timestamp
from tests.edge.conftest import STORE, TOKENS, populate
from tests.support.polling import wait_for

DAY = 86_400.0
REPO = Path(__file__).resolve().parents[2]


def _max_hlc(db: Path) -> Timestamp:
    with contextlib.closing(sqlite3.connect(db)) as conn:
        return Timestamp.parse(conn.execute("SELECT max(hlc) FROM outbox").fetchone()[0])


def _env(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VITRINE_")}
    env.update(
        PYTHONPATH=str(REPO),
        VITRINE_EDGE_STORE_ID=STORE,
        VITRINE_EDGE_DB_PATH=str(db),
        VITRINE_EDGE_KIOSK_TOKEN=TOKENS["kiosk"],
        VITRINE_EDGE_STAFF_TOKEN=TOKENS["staff"],
        VITRINE_EDGE_MANAGER_TOKEN=TOKENS["manager"],
    )
    return env


def test_an_edge_that_ran_two_days_ahead_starts_once_its_clock_is_corrected(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    ahead = EdgeNode.open(db, STORE, wall=lambda: time.time() + 2 * DAY)
    populate(ahead)
    ahead.selling.sell(Basket(lines=[BasketLine("85123A", 1)]))
    ahead.close()
    before = _max_hlc(db)
    assert before.wall_ms > (time.time() + DAY) * 1000

    # the real CLI and server, on the corrected (real) clock
    env = _env(db)
    check = subprocess.run(
        [sys.executable, "-m", "edge.cli", "integrity-check", "--db", str(db), "--store-id", STORE],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0 and "OK" in check.stdout, check.stdout + check.stderr
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "edge.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{url}/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return server.poll() is not None

        wait_for(up, 60, "the edge to answer /health")
        assert server.poll() is None, log.read_text()
        sale = httpx.post(
            f"{url}/api/v1/sales",
            json={"lines": [{"sku": "71053", "qty": 1}]},
            headers={"Authorization": f"Bearer {TOKENS['staff']}"},
            timeout=30,
        )
        assert sale.status_code == 201, sale.text
    finally:
        server.terminate()
        server.wait(30)
    after = _max_hlc(db)
    assert after > before  # HLC order kept across the correction


def test_a_box_three_days_behind_its_replica_opens_it(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    node = EdgeNode.open(db, STORE)
    populate(node)
    node.selling.sell(Basket(lines=[BasketLine("85123A", 1)]))
    node.close()
    before = _max_hlc(db)
    behind = EdgeNode.open(db, STORE, wall=lambda: time.time() - 3 * DAY)
    try:
        receipt = behind.selling.sell(Basket(lines=[BasketLine("71053", 1)]))
        assert receipt.receipt_id
        assert behind.replica.clock.lead_ms() > 2.9 * DAY * 1000
    finally:
        behind.close()
    assert _max_hlc(db) > before
