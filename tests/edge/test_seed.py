"""Seeding from a slice of the real Online Retail CSV, and the CLI around it."""

from __future__ import annotations

import gzip
import itertools
from pathlib import Path

import pytest
from typer.testing import CliRunner

from edge.cli import app
from edge.errors import Invalid
from edge.replica.database import Replica
from edge.replica.integrity import check
from edge.replica.migrations import LATEST_VERSION
from edge.seed import seed
from sync.gtin import is_canonical, synthetic_gtin

SLICE_ROWS = 6000


@pytest.fixture(scope="module")
def retail_slice(retail_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The header and the first rows of the real file (several hundred invoices, some cancellations)."""
    path = tmp_path_factory.mktemp("retail") / "slice.csv.gz"
    with gzip.open(retail_csv, "rt", encoding="utf-8") as src, gzip.open(path, "wt", encoding="utf-8") as dst:
        dst.writelines(itertools.islice(src, SLICE_ROWS + 1))
    return path


def test_seed_slice_is_consistent_and_idempotent(retail_slice: Path, tmp_path: Path) -> None:
    replica = Replica.open(tmp_path / "seeded.db", "store-1")
    try:
        report = seed(replica, retail_slice)
        assert report.rows_read == SLICE_ROWS
        assert report.products > 500 and report.customers > 50 and report.sales > 100 and report.returns > 5
        assert report.ops_written == report.customers + report.stock_counts + report.loyalty_entries
        conn = replica.reader()
        skus = {r[0] for r in conn.execute("SELECT sku FROM catalog")}
        assert {"85123A", "71053"} <= skus
        assert not skus & {"POST", "DOT", "M", "BANK CHARGES", "AMAZONFEE", "D", "CRUK", "PADS", "C2"}
        assert all(
            is_canonical(r[0]) for r in conn.execute("SELECT gtin FROM catalog WHERE gtin IS NOT NULL")
        )
        assert (
            conn.execute("SELECT name FROM catalog WHERE sku = '85123A'")
            .fetchone()[0]
            .startswith("WHITE HANGING")
        )
        assert (
            conn.execute("SELECT count(*) FROM returns WHERE return_id LIKE 'C%'").fetchone()[0]
            == report.returns
        )
        assert conn.execute("SELECT channel FROM sales WHERE receipt_id = '536365'").fetchone()[0] == "store"
        integrity = check(conn, "store-1")
        assert integrity.ok, integrity.problems

        again = seed(replica, retail_slice)
        assert (again.products, again.customers, again.sales, again.ops_written) == (0, 0, 0, 0)
    finally:
        replica.close()


def test_seeded_history_supports_returns_and_lookup(retail_slice: Path, tmp_path: Path) -> None:
    from edge.node import EdgeNode
    from edge.services.returns import ReturnLine

    node = EdgeNode.open(tmp_path / "n.db", "store-1")
    try:
        seed(node.replica, retail_slice)
        product = node.catalog.by_gtin(synthetic_gtin("85123A"))
        # price = the latest UnitPrice in the slice (2.55 early on, 2.95 by its end)
        assert product.sku == "85123A" and product.price_cents == 295 and product.on_hand > 0
        assert node.customers.lookup("card", "VC-17850").customer_id == "17850"
        (record,) = node.returns.return_items([ReturnLine("71053", 1)], receipt_id="536365")
        assert record.refund_cents == 339 and record.customer_id == "17850"
        assert check(node.replica.reader(), "store-1").ok
    finally:
        node.close()


def test_not_the_retail_csv_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "other.csv"
    bogus.write_text("a,b,c\n1,2,3\n")
    replica = Replica.open(tmp_path / "x.db", "store-1")
    try:
        with pytest.raises(Invalid, match="not the Online Retail CSV"):
            seed(replica, bogus)
        assert replica.reader().execute("SELECT count(*) FROM outbox").fetchone()[0] == 0
    finally:
        replica.close()


def test_cli_seed_migrate_integrity(retail_slice: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "cli.db")
    result = runner.invoke(app, ["seed", "--db", db, "--path", str(retail_slice)])
    assert result.exit_code == 0, result.output
    assert "products" in result.output
    result = runner.invoke(app, ["migrate", "--db", db])
    assert result.exit_code == 0 and f"v{LATEST_VERSION}" in result.output
    result = runner.invoke(app, ["integrity-check", "--db", db])
    assert result.exit_code == 0 and "OK" in result.output
    missing = runner.invoke(app, ["seed", "--db", db, "--path", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2
