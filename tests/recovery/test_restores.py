"""Restores on real processes (docs/operations.md "Restores"): the hub or a store goes back in time.

A hub put back to an earlier backup gets every op it lost from the store again, and never sends an
op under a downlink number the store has already applied; a store replica put back to an older
backup stops writing ops with one clear message instead of reusing numbers the hub already holds
(whose new sales the hub would otherwise drop as duplicates).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sync.broker import MosquittoProcess
from sync.fleet.procs import run_cli
from tests.recovery.processes import SKUS, EdgeProc, HubProcs, wait

pytestmark = [pytest.mark.broker, pytest.mark.slow]


@pytest.fixture
def store_fed_by_hub(tmp_path: Path, broker: MosquittoProcess) -> Iterator[tuple[HubProcs, EdgeProc]]:
    """The hub (API + worker) and store-1 as processes; the store has the hub's catalog and stock."""
    hub = HubProcs(tmp_path, broker)
    hub.start()
    edge = EdgeProc(tmp_path, "store-1", hub.provision("store-1"), broker)
    try:
        hub.publish_catalog()
        edge.start()
        wait(lambda: edge.http.get(f"/api/v1/products/{SKUS[0]}", headers=edge.headers()).status_code == 200,
             30, "the catalog at the store")  # fmt: skip
        edge.receive_stock()
        yield hub, edge
    finally:
        edge.close()
        hub.close()


def _applied(hub: HubProcs, store: str) -> int:
    return int(hub.store(store)["uplink_applied_seq"])


def test_hub_restored_from_backup_gets_the_lost_ops_and_new_orders_reach_the_store(
    tmp_path: Path, store_fed_by_hub: tuple[HubProcs, EdgeProc]
) -> None:
    hub, edge = store_fed_by_hub
    assert all(r.status_code == 201 for r in edge.sell(5))
    wait(lambda: _applied(hub, "store-1") == edge.outbox()["last_seq"], 30, "first sales at the hub")
    hub.stop()
    hub.backup(tmp_path / "cloud-backup.db")
    hub.start()
    # After the backup: more sales and an online order the store receives.
    assert all(r.status_code == 201 for r in edge.sell(25))
    order = hub.http.post("/shop/v1/orders", headers=hub.shop, json={
        "kind": "reserve_in_store", "store": "store-1", "lines": [{"sku": SKUS[1], "qty": 1}]})  # fmt: skip
    assert order.status_code == 201, order.text
    last = edge.outbox()["last_seq"]
    wait(lambda: _applied(hub, "store-1") == last, 30, "sales at the hub before the disaster")
    wait(lambda: hub.store("store-1")["downlink_acked_seq"] == hub.store("store-1")["downlink_last_seq"],
         30, "the order at the store")  # fmt: skip
    lost = last - 5

    hub.stop()
    hub.restore(tmp_path / "cloud-backup.db")
    with sqlite3.connect(hub.db) as conn:
        restored = conn.execute("SELECT seq FROM stream_hwm WHERE origin = 'store-1'").fetchone()[0]
    assert restored < last, "the restore did not go back in time"
    hub.start()
    # The store sends what the hub lost, with no new sale to trigger it.
    wait(lambda: _applied(hub, "store-1") == last, 30, f"the {lost} ops the hub lost, resent",
         lambda: (hub.store("store-1"), edge.outbox()))  # fmt: skip
    # New work after the restore flows both ways: a sale up, an online order down.
    assert all(r.status_code == 201 for r in edge.sell(3))
    wait(lambda: _applied(hub, "store-1") == edge.outbox()["last_seq"], 30, "sales after the restore")
    new = hub.http.post("/shop/v1/orders", headers=hub.shop, json={
        "kind": "reserve_in_store", "store": "store-1", "lines": [{"sku": SKUS[2], "qty": 1}]})  # fmt: skip
    assert new.status_code == 201, new.text
    order_id = new.json()["order_id"]
    wait(lambda: edge.http.get(f"/api/v1/orders/{order_id}", headers=edge.headers()).status_code == 200,
         30, "the order placed after the restore at the store",
         lambda: (hub.store("store-1"), edge.service.tail()))  # fmt: skip
    assert edge.health()["status"] == "ok"


def test_store_restored_from_an_older_backup_stops_selling_with_one_message(
    tmp_path: Path, store_fed_by_hub: tuple[HubProcs, EdgeProc]
) -> None:
    hub, edge = store_fed_by_hub
    assert all(r.status_code == 201 for r in edge.sell(5))
    wait(lambda: _applied(hub, "store-1") == edge.outbox()["last_seq"], 30, "first sales at the hub")
    edge.stop()
    backup = tmp_path / "store-backup.db"
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{edge.db}{suffix}")
        if src.exists():
            Path(f"{backup}{suffix}").write_bytes(src.read_bytes())
    edge.start()
    assert all(r.status_code == 201 for r in edge.sell(30))
    held = edge.outbox()["last_seq"]
    wait(lambda: _applied(hub, "store-1") == held, 30, "the later sales at the hub")
    edge.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{edge.db}{suffix}").unlink(missing_ok=True)
        src = Path(f"{backup}{suffix}")
        if src.exists():
            Path(f"{edge.db}{suffix}").write_bytes(src.read_bytes())
    edge.start()
    wait(lambda: edge.health()["status"] == "recovery-needed", 30, "the store to notice the hub is ahead",
         edge.health)  # fmt: skip
    health = edge.health()
    assert "restore-from-cloud" in health["recovery"]
    refused = edge.sell(1)[0]
    assert refused.status_code == 503 and "restore-from-cloud" in refused.json()["detail"]
    # Nothing the store wrote was taken for a duplicate and dropped: the hub still holds its ops.
    assert _applied(hub, "store-1") == held

    # The recovery command named in the message works: stop, restore from the cloud, start, sell.
    edge.stop()
    done = run_cli([sys.executable, "-m", "edge.cli", "restore-from-cloud"], edge.env, 120,
                   "vitrine-edge restore-from-cloud")  # fmt: skip
    assert "restored from the cloud" in done.stdout, done.stdout + done.stderr
    edge.start()
    assert edge.health()["status"] == "ok"
    assert edge.outbox()["last_seq"] == held
    assert all(r.status_code == 201 for r in edge.sell(2))
    wait(lambda: _applied(hub, "store-1") == held + 4, 30, "new sales after the recovery at the hub",
         lambda: (hub.store("store-1"), edge.outbox()))  # fmt: skip
    stock = edge.http.get(f"/api/v1/stock/{SKUS[0]}", headers=edge.headers()).json()
    # 100 received, 7 of the 35 sales were of SKU-001 (every fifth), 1 of the last 2.
    assert stock["on_hand"] == 100 - 7 - 1, stock


def test_emptied_replica_is_told_before_selling_and_restored_from_the_cloud(
    tmp_path: Path, store_fed_by_hub: tuple[HubProcs, EdgeProc]
) -> None:
    hub, edge = store_fed_by_hub
    assert all(r.status_code == 201 for r in edge.sell(10))
    held = edge.outbox()["last_seq"]
    wait(lambda: _applied(hub, "store-1") == held, 30, "the sales at the hub")
    edge.stop()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{edge.db}{suffix}").unlink(missing_ok=True)
    edge.start()  # an empty file: a blank store
    wait(lambda: edge.health()["status"] == "recovery-needed", 30, "the blank store to hear the hub",
         edge.health)  # fmt: skip
    assert edge.outbox()["last_seq"] == 0 and _applied(hub, "store-1") == held
    edge.stop()
    done = run_cli([sys.executable, "-m", "edge.cli", "restore-from-cloud"], edge.env, 120,
                   "vitrine-edge restore-from-cloud")  # fmt: skip
    assert f"{held} op(s) written back" in done.stdout, done.stdout
    edge.start()
    # The catalog comes back down the downlink (the hub sees the store's mark went back) and the
    # store's own history from the hub: it sells the same stock as before.
    wait(lambda: edge.http.get(f"/api/v1/products/{SKUS[0]}", headers=edge.headers()).status_code == 200,
         30, "the catalog sent again to the emptied store",
         lambda: (hub.store("store-1"), edge.http.get(f"/api/v1/products/{SKUS[0]}", headers=edge.headers()).text,
                  edge.health(), edge.service.tail()))  # fmt: skip
    stock = edge.http.get(f"/api/v1/stock/{SKUS[0]}", headers=edge.headers()).json()
    assert stock["on_hand"] == 100 - 2, stock
    assert all(r.status_code == 201 for r in edge.sell(1))
    wait(lambda: _applied(hub, "store-1") == held + 2, 30, "a sale after the recovery at the hub")
