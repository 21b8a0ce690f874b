"""A damaged replica gets one clear message naming the way out, never a traceback; a WAL that lost
committed frames in a crash is logged at open (docs/operations.md "Restores")."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

from edge.node import EdgeNode
from edge.replica.database import Replica
from edge.services.selling import Basket, BasketLine
from tests.edge.conftest import STORE, populate


def _replica_with_sales(path: Path, sales: int = 200) -> None:
    node = EdgeNode.open(path, STORE)
    populate(node)
    sku = node.replica.reader().execute("SELECT sku FROM catalog LIMIT 1").fetchone()[0]
    for n in range(sales):
        node.selling.sell(Basket(lines=[BasketLine(sku, 1)], payment_ref=f"P{n}"))
    node.close()


def _cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VITRINE_EDGE_DB_PATH": str(db), "VITRINE_EDGE_STORE_ID": STORE}
    return subprocess.run([sys.executable, "-m", "edge.cli", *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip


def test_damaged_pages_give_one_clear_message_from_serve_and_integrity_check(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    _replica_with_sales(db)
    page = sqlite3.connect(db).execute("PRAGMA page_size").fetchone()[0]
    size = db.stat().st_size
    with db.open("r+b") as f:  # 8 damaged pages in the middle of the file
        for n in range(8):
            f.seek((size // page // 2 + n) * page)
            f.write(os.urandom(page))
    for args in (("integrity-check",), ("migrate",)):
        done = _cli(*args, db=db)
        assert done.returncode != 0, done.stdout
        assert "Traceback" not in done.stderr + done.stdout, done.stderr
        assert "damaged" in done.stderr and "restore-from-cloud" in done.stderr, done.stderr
    env = {**os.environ, "VITRINE_EDGE_DB_PATH": str(db), "VITRINE_EDGE_STORE_ID": STORE,
           **{f"VITRINE_EDGE_{role}_TOKEN": secrets.token_urlsafe() for role in ("KIOSK", "STAFF", "MANAGER")}}  # fmt: skip
    served = subprocess.run([sys.executable, "-m", "edge.cli", "serve", "--port", "1"], env=env,
                            capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert served.returncode != 0
    assert "Traceback" not in served.stderr and "damaged" in served.stderr, served.stderr


def test_a_wal_that_lost_committed_frames_is_logged_at_open(tmp_path: Path, caplog: object) -> None:
    import logging

    db = tmp_path / "store.db"
    _replica_with_sales(db, sales=5)
    replica = Replica.open(db, STORE)
    replica._checkpointer.stop() if replica._checkpointer else None  # keep the frames in the WAL
    replica._checkpointer = None
    with replica.write() as tx:
        for n in range(50):
            tx.execute("INSERT INTO seed_runs VALUES (?, 1, 'x')", (f"s{n}",))
    wal = Path(f"{db}-wal")
    copy = tmp_path / "crashed.db"
    copy.write_bytes(db.read_bytes())
    data = bytearray(wal.read_bytes())
    replica.close()
    data[len(data) // 2] ^= 0xFF  # a torn write in the middle of the log
    Path(f"{copy}-wal").write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="edge.replica.database"):  # type: ignore[attr-defined]
        Replica.open(copy, STORE).close()
    assert "write-ahead log" in caplog.text and "restore-from-cloud" in caplog.text  # type: ignore[attr-defined]
