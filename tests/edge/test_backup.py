"""Online backup while the store sells, verified restore."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from edge.errors import StorageError
from edge.node import EdgeNode
from edge.replica.backup import backup, restore
from edge.services.selling import Basket, BasketLine
from tests.edge.conftest import STORE


def _sales(node: EdgeNode) -> int:
    return int(node.replica.reader().execute("SELECT count(*) FROM sales").fetchone()[0])


def test_backup_is_a_consistent_snapshot_and_restores(node: EdgeNode, tmp_path: Path) -> None:
    node.selling.sell(Basket([BasketLine("85123A", 1)], payment_ref="card-1"))
    dest = tmp_path / "backups" / "store-1.bak"
    result = backup(Path(node.replica.path), dest, STORE)
    assert result.report.ok
    assert result.last_seq > 0

    # the store keeps selling after the snapshot; the backup does not see it
    node.selling.sell(Basket([BasketLine("71053", 1)], payment_ref="card-2"))
    assert _sales(node) == 2
    with sqlite3.connect(dest) as conn:
        assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 1

    target = tmp_path / "restored.db"
    restored = restore(dest, target, STORE)
    assert restored.last_seq == result.last_seq
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 1


def test_backup_and_restore_refuse_to_overwrite_or_read_garbage(node: EdgeNode, tmp_path: Path) -> None:
    dest = tmp_path / "b.bak"
    backup(Path(node.replica.path), dest, STORE)
    with pytest.raises(StorageError, match="exists"):
        backup(Path(node.replica.path), dest, STORE)
    with pytest.raises(StorageError, match="--force"):
        restore(dest, dest, STORE)
    garbage = tmp_path / "garbage.bak"
    garbage.write_bytes(b"not a database" * 100)
    with pytest.raises(StorageError):
        restore(garbage, tmp_path / "x.db", STORE)
    assert not (tmp_path / "x.db").exists()
