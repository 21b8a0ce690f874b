"""A store provisioned at the hub bootstraps its replica from the hub over MQTT (real processes:
Mosquitto, a hub worker on SQLite or PostgreSQL, edges started with their provisioning bundle)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cloud.bootstrap.synthetic import HeadOffice, StorePlan, fill, gtin_of, sku_of
from cloud.localpg import LocalPostgres
from cloud.storage import make_engine
from cloud.storage import schema as s
from sync.broker import MosquittoProcess
from tests.support.bootstrap_rig import Rig
from tests.support.polling import wait_for

PLAN = HeadOffice(
    products=2000,
    customers=600,
    stores=[StorePlan("s1", range(0, 300), sales=400), StorePlan("s2", range(300, 600), sales=250)],
)


def _hub(url: str, plan: HeadOffice = PLAN) -> dict[str, int]:
    engine = make_engine(url)
    try:
        return fill(engine, plan)
    finally:
        engine.dispose()


def _hub_price(url: str, sku: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    select(s.price_list_items.c.cents).where(s.price_list_items.c.sku == sku)
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _hub_has_receipt(url: str, receipt_id: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                select(func.count()).select_from(s.sales).where(s.sales.c.receipt_id == receipt_id)
            ).scalar_one()
            return bool(found)
    finally:
        engine.dispose()


@pytest.fixture
def rig(tmp_path: Path, broker: MosquittoProcess) -> Iterator[Rig]:
    the_rig = Rig(tmp_path, f"sqlite:///{tmp_path / 'hub.db'}", broker.port)
    try:
        yield the_rig
    finally:
        the_rig.stop()


def _provision_sell_complete(rig: Rig) -> None:
    rig.migrate()
    _hub(rig.database_url)
    bundle = rig.provision("s1")
    assert oct(bundle.stat().st_mode & 0o777) == "0o600"
    rig.start_worker()
    edge = rig.start_edge("s1", bundle)
    rig.wait(edge, "selling", 60, lambda st: st["selling"])
    sku = sku_of(1234)
    found = edge.client.get(f"/api/v1/products/{sku}", headers=edge.headers())
    assert found.status_code == 200, found.text
    assert found.json()["gtin"] == gtin_of(1234)  # the hub's canonical GTIN-14, as stored there
    scanned = edge.client.get(
        f"/api/v1/products/gtin/{gtin_of(1234)[1:]}", headers=edge.headers()
    )  # as EAN-13
    assert scanned.status_code == 200 and scanned.json()["sku"] == sku, scanned.text
    sold = edge.client.post("/api/v1/sales", json={"lines": [{"sku": sku, "qty": 1}]}, headers=edge.headers())
    assert sold.status_code == 201, sold.text
    assert sold.json()["total_cents"] == _hub_price(rig.database_url, sku)
    status = rig.wait(edge, "complete", 90, lambda st: st["complete"])
    sections = status["sections"]
    assert sections["catalog"]["done"] == 2000 and sections["prices"]["done"] == 2000
    assert sections["stock"]["done"] == 2000
    assert sections["customers"]["done"] == 300  # this store's customers only, not s2's
    # its own past sales (and the sale just made, when it reached the hub before the section began)
    assert sections["sales"]["done"] in (400, 401)
    pin = edge.bundle["sign_in"]["manager"]["pin"]  # the bundle's generated PINs sign in
    signed = edge.client.post("/ui/sign-in", json={"pin": pin})
    assert signed.status_code == 200 and signed.json()["role"] == "manager", signed.text
    panel = edge.client.get("/ui/manager/sync", headers=edge.headers("manager"))
    assert panel.status_code == 200, panel.text
    assert panel.json()["bootstrap"]["complete"] is True and panel.json()["online"] is True
    receipt = sold.json()["receipt_id"]
    wait_for(lambda: _hub_has_receipt(rig.database_url, receipt), 30, "the sale at the hub")


@pytest.mark.slow
def test_provisioned_store_bootstraps_from_the_hub_and_sells_a_hub_product(rig: Rig) -> None:
    _provision_sell_complete(rig)


@pytest.mark.slow
def test_bootstrap_from_a_postgresql_hub(
    tmp_path: Path, broker: MosquittoProcess, postgres: LocalPostgres
) -> None:
    rig = Rig(tmp_path, postgres.create_database("bootstrap_hub"), broker.port)
    try:
        _provision_sell_complete(rig)
    finally:
        rig.stop()


CUSTOMERS = 8000


def _done(status: dict[str, Any], section: str) -> int:
    return int(status["sections"].get(section, {}).get("done", 0))  # no sections before the snapshot opens


def _replica_counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
            for t in ("catalog", "prices", "stock_counts", "customers", "sales", "sale_lines")
        }


@pytest.mark.slow
def test_bootstrap_resumes_after_a_link_drop_and_a_restart_without_duplicates(rig: Rig) -> None:
    rig.customer_scope = "all"  # every customer: enough pages to cut the link in the middle
    rig.migrate()
    _hub(rig.database_url, HeadOffice(products=2000, customers=CUSTOMERS, stores=PLAN.stores))
    bundle = rig.provision("s1")
    rig.start_worker()
    edge = rig.start_edge("s1", bundle, page_rows=50)
    rig.wait(edge, "catalog under way", 60, lambda st: _done(st, "catalog") >= 300)
    edge.proxy.cut()  # the store's internet link drops mid-bootstrap
    stalled = rig.wait(edge, "waiting for the link", 30, lambda st: st["state"] != "running")
    assert not stalled["complete"] and not stalled["selling"]
    edge.proxy.restore()  # the same process carries on
    rig.wait(edge, "customers under way", 90, lambda st: _done(st, "customers") >= 50)
    edge.proxy.cut()
    rig.wait(edge, "waiting for the link", 30, lambda st: st["state"] != "running")
    edge.service.kill9()  # and the box restarts mid-way
    before = _replica_counts(rig.root / "s1.db")
    assert 0 < before["customers"] < CUSTOMERS and before["catalog"] == 2000
    edge.proxy.restore()
    edge = rig.start_edge("s1", bundle, page_rows=50, proxy=edge.proxy)
    status = rig.wait(edge, "complete", 90, lambda st: st["complete"])
    assert {k: v["done"] for k, v in status["sections"].items()} == {
        "catalog": 2000, "prices": 2000, "stock": 2000, "customers": CUSTOMERS, "sales": 400,
    }  # fmt: skip
    counts = _replica_counts(rig.root / "s1.db")
    assert counts["catalog"] == 2000 and counts["prices"] == 2000 and counts["stock_counts"] == 2000
    assert counts["customers"] == CUSTOMERS and counts["sales"] == 400
    with sqlite3.connect(rig.root / "s1.db") as conn:
        lines = conn.execute("SELECT count(*) FROM sale_lines").fetchone()[0]
        outbox = conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
    engine = make_engine(rig.database_url)
    with engine.connect() as conn:
        hub_lines = conn.execute(
            select(func.count()).select_from(s.sale_lines).where(s.sale_lines.c.store == "s1")
        ).scalar_one()
    engine.dispose()
    assert lines == hub_lines
    assert outbox == 0  # the bootstrap sends nothing back up: the hub holds all of it
    edge.service.stop()
    checked = subprocess.run(
        [sys.executable, "-m", "edge.cli", "integrity-check", "--db", str(rig.root / "s1.db"), "--store-id", "s1"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr  # stock folds from the opening counts
