"""Head-office import of the neutral format (docs/import.md) into a real hub, SQLite and PostgreSQL:
everything lands where the hub's services read it, and a re-run changes nothing."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from sqlalchemy import func, select
from typer.testing import CliRunner

from cloud import reports
from cloud.admin import stores
from cloud.admin.pricing import price_at
from cloud.cli import app
from cloud.customers import find_by_identity, profile
from cloud.hub import Hub
from cloud.importing import run_import
from cloud.settings import CloudSettings
from cloud.storage import schema as s
from tests.cloud.helpers import downlink

SMALL = Path(__file__).parent / "data" / "import_small"
runner = CliRunner()


def _counts(hub: Hub) -> dict[str, int]:
    tables = (s.catalog, s.price_lists, s.price_list_items, s.customers, s.customer_identities,
              s.customer_consents, s.sales, s.sale_lines, s.sale_line_measures, s.returns, s.stock,
              s.stock_moves, s.downlink_ops, s.store_directory)  # fmt: skip
    with hub.engine.connect() as conn:
        return {t.name: int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in tables}


def test_import_everything_then_rerun_changes_nothing(db_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "in"
    shutil.copytree(SMALL, directory)
    hub = Hub.from_settings(CloudSettings(database_url=db_url))  # type: ignore[call-arg]
    try:
        with hub.tx() as conn:  # a store already live: the import's checkpoints must reach it
            stores.provision(conn, hub.clock, hub.settings, "store-1", "Store One")
        before = len(downlink(hub.engine, "store-1"))

        r = runner.invoke(app, ["import", str(directory), "--db", db_url, "--no-progress"])
        assert r.exit_code == 0, r.output
        assert "Traceback" not in r.output
        for line in ("stores 2 imported", "products 4 imported", "prices 5 imported", "customers 3 imported",
                     "sales 5 imported", "stock 3 imported"):  # fmt: skip
            assert line in r.output, r.output
        assert "0 rejected" in r.output and "rejects in" not in r.output
        report = json.loads((directory / "import-report.json").read_text())
        assert report["changed"] and all(f["rejected"] == {} for f in report["files"].values())

        with hub.tx() as conn:
            gtins = {str(k): str(g) for k, g in conn.execute(select(s.catalog.c.sku, s.catalog.c.gtin))}
            assert gtins == {"TEE-S": "05901234123457", "TEE-M": "04006381333931", "CAP": "00000096385074",
                             "BAN": "00036000291452"}  # fmt: skip
            attrs = {str(k): str(a) for k, a in conn.execute(select(s.catalog.c.sku, s.catalog.c.attributes))}
            assert json.loads(attrs["TEE-M"]) == {"size": "M", "colour": "white"}
            assert json.loads(attrs["BAN"]) == {"unit": "kg"}
            assert price_at(conn, "TEE-S", "store-1", "2024-03-01T00:00:00Z") == 999
            assert price_at(conn, "TEE-S", "store-1", "2024-05-31T22:00:00Z") == 750  # +02:00 honoured
            assert price_at(conn, "CAP", None) == 500
            ann = profile(conn, "C1")
            assert ann["email"] == "ann@example.com" and ann["phone"] == "+33612345678"
            assert ann["consent_marketing"] and ann["last_seen_at"] == "2024-02-09T09:30:00Z"
            assert find_by_identity(conn, "card", "CARD-3") == "C3"
            consent = conn.execute(select(s.customer_consents)).mappings().one()
            assert (consent["customer_id"], consent["at"], consent["channel"], consent["wording_version"]) == (
                "C1", "2024-01-02T10:00:00Z", "store", "newsletter-v3")  # fmt: skip
            r1 = conn.execute(select(s.sales).where(s.sales.c.receipt_id == "R1")).mappings().one()
            # 2 tees at 9.99 + 0.734 kg of bananas at 1.99/kg (1.46): the weighed line is one item
            assert (r1["store"], r1["total_cents"], r1["item_count"]) == ("store-1", 2 * 999 + 146, 3)
            measure = conn.execute(select(s.sale_line_measures)).mappings().one()
            assert (measure["quantity"], measure["unit"], measure["unit_price_cents"]) == ("0.734", "kg", 199)
            online = conn.execute(select(s.sales).where(s.sales.c.receipt_id == "R2")).mappings().one()
            assert (online["store"], online["channel"], online["total_cents"]) == ("warehouse", "online", 899)
            ret = conn.execute(select(s.returns)).mappings().one()
            assert (ret["return_id"], ret["receipt_id"], ret["channel"], ret["refund_cents"]) == (
                "R4", "R2", "online", 999)  # fmt: skip
            stock = {
                (k, st, z): q
                for k, st, z, q in conn.execute(
                    select(s.stock.c.sku, s.stock.c.store, s.stock.c.zone, s.stock.c.qty)
                )
            }
            # no zone given: the documented "unlocated" zone, which a store's count reconciles
            assert stock == {("TEE-S", "store-1", "unlocated"): 10, ("CAP", "store-1", "unlocated"): 4,
                             ("TEE-M", "store-2", "unlocated"): 0}  # fmt: skip
            visits = {row["store"]: row for row in reports.visit_frequency(conn, "2024-02-01", "2024-02-29")}
            assert visits["store-1"]["customers"] == 1 and visits["store-1"]["visit_days"] == 2
        queued = downlink(hub.engine, "store-1")[before:]
        kinds = [op["type"] for op in queued]
        assert kinds.count("catalog.checkpoint") == 1 and kinds.count("price.checkpoint") == 2
        catalog_op = next(op for op in queued if op["type"] == "catalog.checkpoint")
        assert {i["gtin"] for i in catalog_op["body"]["items"]} == set(gtins.values())
        deltas = [op["body"] for op in queued if op["type"] == "stock.delta"]
        assert sorted((d["sku"], d["qty"]) for d in deltas) == [("CAP", 4), ("TEE-S", 10)]  # store-1's only

        counts = _counts(hub)
        again = run_import(hub, directory)
        assert not again.changed()
        assert all(t.imported == t.updated == t.rejected_total == 0 for t in again.files.values())
        assert again.files["sales.csv"].unchanged == 5
        assert "nothing changed" in "\n".join(again.lines())
        assert _counts(hub) == counts
    finally:
        hub.close()


def test_changed_rows_are_updates(db_url: str, tmp_path: Path) -> None:
    directory = tmp_path / "in"
    shutil.copytree(SMALL, directory)
    for name in ("sales.csv", "stock.csv"):
        (directory / name).unlink()
    hub = Hub.from_settings(CloudSettings(database_url=db_url))  # type: ignore[call-arg]
    try:
        run_import(hub, directory)
        text = (directory / "products.csv").read_text().replace("Cap,clothing", "Blue cap,clothing")
        (directory / "products.csv").write_text(text)
        text = (directory / "prices.csv").read_text().replace("CAP,5", "CAP,6")
        (directory / "prices.csv").write_text(text)
        report = run_import(hub, directory)
        assert (report.files["products.csv"].updated, report.files["products.csv"].unchanged) == (1, 3)
        assert (report.files["prices.csv"].updated, report.files["prices.csv"].unchanged) == (1, 4)
        assert report.files["customers.csv"].unchanged == 3
        with hub.tx() as conn:
            assert price_at(conn, "CAP", None, "2024-03-01T00:00:00Z") == 600  # the re-issued list wins
    finally:
        hub.close()


def test_rejects_file_lists_every_rejected_row(tmp_path: Path) -> None:
    directory = tmp_path / "in"
    shutil.copytree(SMALL, directory)
    with open(directory / "products.csv", "a", encoding="utf-8") as handle:
        handle.write("BAD-1,5901234123458,Wrong check digit,x,,,\nTEE-S,4006381333931,Twice,x,,,\n")
    db = f"sqlite:///{tmp_path / 'hub.db'}"
    r = runner.invoke(
        app, ["import", str(directory), "--db", db, "--report-dir", str(tmp_path / "out"), "--no-progress"]
    )
    assert r.exit_code == 0, r.output
    assert "products 4 imported, 2 rejected (bad GTIN 1, duplicate sku 1)" in r.output
    with open(tmp_path / "out" / "import-rejects.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(x["file"], x["line"], x["reason"]) for x in rows] == [
        ("products.csv", "6", "bad GTIN"),
        ("products.csv", "7", "duplicate sku"),
    ]
    assert "wrong GS1 check digit" in rows[0]["detail"] and rows[0]["raw"].startswith("BAD-1,")


def test_opening_stock_imported_before_zones_defaulted_is_not_counted_twice(
    db_url: str, tmp_path: Path
) -> None:
    """A hub that imported opening stock with no zone under the old rule holds it in zone "": the
    same rows imported again are unchanged, not a second opening stock in "unlocated"."""
    directory = tmp_path / "in"
    shutil.copytree(SMALL, directory)
    hub = Hub.from_settings(CloudSettings(database_url=db_url))  # type: ignore[call-arg]
    try:
        first = run_import(hub, directory)
        assert first.files["stock.csv"].imported == 3
        with hub.tx() as conn:  # as the old import left it
            conn.execute(s.stock.update().values(zone=""))
            conn.execute(s.stock_moves.update().values(zone=""))
        again = run_import(hub, directory)
        assert again.files["stock.csv"].unchanged == 3 and again.files["stock.csv"].imported == 0
    finally:
        hub.close()
