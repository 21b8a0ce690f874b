"""The UCI Online Retail adapter on the real file (its last month, best sellers only, to stay
quick), imported into a real hub: every source row is accounted for, stores are assigned as
documented, and a re-run changes nothing."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cloud.cli import app
from cloud.hub import Hub
from cloud.importing import online_retail, run_import
from cloud.settings import CloudSettings
from cloud.storage import migrate
from cloud.storage import schema as s
from sync.gtin import synthetic_gtin

STORES = ["store-1", "store-2", "store-3"]
runner = CliRunner()


@pytest.mark.slow
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


SAMPLE = """InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850,United Kingdom
536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850,United Kingdom
536365,POST,POSTAGE,1,2010-12-01 08:26:00,18.00,17850,United Kingdom
536366,71053,WHITE METAL LANTERN,2,2010-12-01 09:00:00,3.39,,United Kingdom
536367,71053,damaged,-3,2010-12-01 09:10:00,0,,United Kingdom
C536368,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-1,2010-12-02 10:00:00,2.55,17850,United Kingdom
"""


def test_the_command_converts_then_imports(tmp_path: Path) -> None:
    source = tmp_path / "retail.csv.gz"
    source.write_bytes(gzip.compress(SAMPLE.encode()))
    out, db = tmp_path / "converted", f"sqlite:///{tmp_path / 'hub.db'}"
    command = [
        "import",
        "--from",
        "online-retail",
        str(source),
        "--out",
        str(out),
        "--db",
        db,
        "--no-progress",
    ]
    r = runner.invoke(app, [*command, "--stores", "north,south"])
    assert r.exit_code == 0, r.output
    assert "6 rows read, 4 converted, 2 skipped" in r.output
    assert "products 2 imported, 0 rejected" in r.output and "sales 4 imported, 0 rejected" in r.output
    r = runner.invoke(app, command)
    assert r.exit_code == 1 and "error: give one or more distinct store ids" in r.output
    r = runner.invoke(app, ["import", "--from", "excel", str(source), "--db", db])
    assert r.exit_code == 1 and "unknown layout 'excel'" in r.output
