"""The UCI Online Retail adapter on the real file (its last month, best sellers only, to stay
quick), imported into a real hub: every source row is accounted for, stores are assigned as
documented, and a re-run changes nothing."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import select

from cloud.hub import Hub
from cloud.importing import online_retail, run_import
from cloud.settings import CloudSettings
from cloud.storage import migrate
from cloud.storage import schema as s
from sync.gtin import synthetic_gtin

STORES = ["store-1", "store-2", "store-3"]


def test_one_month_converts_and_imports_with_every_row_accounted_for(
    retail_csv: Path, tmp_path: Path
) -> None:
    out = tmp_path / "converted"
    converted = online_retail.convert(retail_csv, out, STORES, months=1, max_products=300)
    assert converted.balanced()
    assert converted.window == ("2011-10-01", "2011-10-31")
    skipped = sum(converted.skipped.values())
    assert converted.skipped[online_retail.BEFORE_WINDOW] > 300_000
    assert converted.skipped["not a product (postage, fees, manual lines)"] > 0
    selection = (
        converted.skipped[online_retail.BEFORE_WINDOW] + converted.skipped[online_retail.BEYOND_MAX_PRODUCTS]
    )
    with open(out / "source-rejects.csv", encoding="utf-8") as handle:
        assert sum(1 for _ in csv.reader(handle)) - 1 == skipped - selection  # each unusable row listed

    hub = Hub.from_settings(CloudSettings(database_url=f"sqlite:///{tmp_path / 'hub.db'}"))  # type: ignore[call-arg]
    try:
        migrate(hub.engine)
        report = run_import(hub, out)
        sales = report.files["sales.csv"]
        assert all(t.balanced() for t in report.files.values())
        assert sales.rows == converted.rows_used
        assert converted.rows_read == skipped + sales.imported + sales.rejected_total
        assert report.rejected_total == 0, report.lines()
        assert report.files["products.csv"].imported == 300

        with hub.tx() as conn:
            gtins = {str(k): str(g) for k, g in conn.execute(select(s.catalog.c.sku, s.catalog.c.gtin))}
            assert all(gtin == synthetic_gtin(sku) for sku, gtin in gtins.items())
            rows = conn.execute(select(s.sales.c.customer_id, s.sales.c.store, s.sales.c.channel)).all()
        by_store = {store for _c, store, _ch in rows}
        assert by_store == {*STORES, "warehouse"}  # online baskets ship from the warehouse
        for customer, store, channel in rows:
            if customer and channel == "store":
                assert store == online_retail.home_store(str(customer), STORES)
        online = sum(1 for c, _s, ch in rows if c and ch == "online") / sum(1 for c, _s, _ch in rows if c)
        assert 0.1 < online < 0.3  # the documented 20 % of identified baskets

        again = run_import(hub, out)
        assert not again.changed() and again.files["sales.csv"].unchanged == converted.rows_used
    finally:
        hub.close()
