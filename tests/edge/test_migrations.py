"""Schema migrations: a database file created by schema v1 upgrades in place, data intact."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge.errors import StorageError
from edge.node import EdgeNode
from edge.replica.database import Replica
from edge.replica.integrity import check
from edge.replica.migrations import LATEST_VERSION, MIGRATIONS
from edge.services.returns import ReturnLine
from edge.services.selling import Basket, BasketLine

FIXTURE = Path(__file__).parent / "fixtures" / "replica_v1.sql"


def v1_file(tmp_path: Path) -> Path:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(FIXTURE.read_text())
    conn.close()
    return path


def columns(path: Path, table: str) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
    finally:
        conn.close()


def test_v1_file_upgrades_and_keeps_working(tmp_path: Path) -> None:
    path = v1_file(tmp_path)
    assert "pickup_code" not in columns(path, "orders")
    replica = Replica.open(path, "store-1", migrate=False)
    assert replica.schema_version() == 1
    assert replica.migrate() == [m.version for m in MIGRATIONS if m.version > 1]
    assert replica.schema_version() == LATEST_VERSION
    replica.close()
    assert "pickup_code" in columns(path, "orders")

    node = EdgeNode.open(path, "store-1")
    try:
        assert node.catalog.product("85123A").gtin == "02002344615337"  # v1's 13 digits → GTIN-14
        assert node.catalog.by_gtin("2002344615337").sku == "85123A"
        assert node.catalog.product("85123A").on_hand == 10  # counted 12, sold 2 under v1
        assert node.loyalty.view("17850").balance == 5
        assert node.orders.get("W-1").state == "placed"
        seq_before = node.outbox.last_seq()
        receipt = node.selling.sell(Basket([BasketLine("85123A", 1)], customer_id="17850"))
        assert node.outbox.last_seq() == seq_before + 3
        assert node.returns.return_items(
            [ReturnLine("85123A", 1)],
            receipt_id=receipt.receipt_id,
        )
        assert check(node.replica.reader(), "store-1").ok
    finally:
        node.close()


def test_migrations_are_recorded_once_and_rerun_is_a_no_op(tmp_path: Path) -> None:
    replica = Replica.open(tmp_path / "new.db", "store-1")
    assert replica.migrate() == []
    rows = replica.reader().execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    assert [r[0] for r in rows] == [m.version for m in MIGRATIONS]
    replica.close()


def test_a_failing_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    path = v1_file(tmp_path)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE stock_summary (x)")  # collides with what v2 creates
    conn.commit()
    conn.close()
    replica = Replica.open(path, "store-1", migrate=False)
    with pytest.raises(StorageError, match="migration 2"):
        replica.migrate()
    assert replica.schema_version() == 1
    assert "pickup_code" not in columns(path, "orders")  # v2's first statement was rolled back
    replica.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    replica = Replica.open(tmp_path / "future.db", "store-1")
    with replica.write() as tx:
        tx.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 'x')")
    replica.close()
    with pytest.raises(StorageError, match="newer"):
        Replica.open(tmp_path / "future.db", "store-1")


def test_v4_stores_every_gtin_as_gtin14_and_keeps_them_unique(tmp_path: Path) -> None:
    replica = Replica.open(v1_file(tmp_path), "store-1", migrate=False)
    replica.migrate(target=3)
    rows = [
        ("A", "012345678905"),  # UPC-A
        ("B", "0012345678905"),  # the same GTIN as EAN-13: it stays with A
        ("C", "96385074"),  # EAN-8
        ("D", "10614141000019"),  # already GTIN-14
        ("E", None),
    ]
    with replica.write() as tx:
        for sku, gtin in rows:
            tx.execute(
                "INSERT INTO catalog (sku, gtin, name, category) VALUES (?, ?, ?, 'x')", (sku, gtin, sku)
            )
    assert replica.migrate(target=4) == [4]
    stored = dict(
        replica.reader().execute("SELECT sku, gtin FROM catalog WHERE sku IN ('A','B','C','D','E')")
    )
    replica.close()
    assert stored == {
        "A": "00012345678905",
        "B": None,
        "C": "00000096385074",
        "D": "10614141000019",
        "E": None,
    }
