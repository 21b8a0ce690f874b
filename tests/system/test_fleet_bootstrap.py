"""The demo's production path (``FleetConfig.bootstrap``, what ``make demo`` runs): the hub imports
the Online Retail data, provisions the stores with bundles, and each store bootstraps from the hub
with its own customers and history, then sells."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from sync.fleet.cluster import Fleet, FleetConfig, StoreSpec

REPO = Path(__file__).resolve().parents[2]


def _ids(db: Path, sql: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {str(r[0]) for r in conn.execute(sql)}


@pytest.mark.slow
def test_the_demo_fleet_imports_provisions_and_bootstraps_every_store(
    retail_csv: Path, broker_files: Path
) -> None:
    config = FleetConfig(
        root=broker_files, repo=REPO, csv=retail_csv, stores=[StoreSpec("store-1"), StoreSpec("store-2")],
        workers=1, skus=10, customers=10, bootstrap=True, import_max_products=300,
    )  # fmt: skip
    fleet = Fleet(config, say=print)
    try:
        fleet.start()
        assert fleet.retail is not None and fleet.retail.skus
        sets = {}
        for store in fleet.stores.values():
            status = store.client.get("/health").json()["bootstrap"]
            assert status["complete"] and status["sections"]["catalog"]["done"] == 300
            assert (fleet.root / f"{store.store_id}.bundle.json").stat().st_mode & 0o777 == 0o600
            sold = store.client.post(
                "/api/v1/sales",
                json={"lines": [{"sku": fleet.retail.skus[0], "qty": 1}]},
                headers=store.headers(),
            )
            assert sold.status_code == 201, sold.text
            sets[store.store_id] = _ids(
                store.db, "SELECT customer_id FROM sales WHERE baseline = 1 AND customer_id IS NOT NULL"
            )
            assert sets[store.store_id], f"{store.store_id} got no history of its own"
            assert _ids(store.db, "SELECT DISTINCT store FROM sales WHERE baseline = 1") == {store.store_id}
        assert not sets["store-1"] & sets["store-2"]  # distinct customers and histories
    finally:
        fleet.stop()
