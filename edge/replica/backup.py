"""Online backup and restore of a replica file.

A backup is taken with SQLite's online backup API while the edge keeps selling: the copy is a
consistent snapshot of one committed state (WAL included), so every sale in it is whole with its
ops. The copy is then checked with :func:`edge.replica.integrity.check` before it is kept.

Restoring brings back the state *and the outbox* as of the snapshot. Ops the store produced after
the snapshot are gone from the store but may already be in the cloud: :func:`restore` therefore
reports the restored outbox's last seq, and the operator compares it with the hub's high-water mark
for the store (docs/operations.md "Backup and restore").
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from edge.errors import StorageError
from edge.replica.integrity import IntegrityReport, check

PAGES_PER_STEP = 4096


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    last_seq: int
    acked_seq: int
    report: IntegrityReport


def _outbox_marks(conn: sqlite3.Connection) -> tuple[int, int]:
    last = conn.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0]
    try:
        acked = conn.execute("SELECT coalesce(max(seq), 0) FROM outbox_ack").fetchone()[0]
    except sqlite3.Error:
        acked = 0
    return int(last), int(acked)


def backup(source: Path, dest: Path, store: str) -> BackupResult:
    """Snapshot ``source`` into ``dest`` (written to a temporary name, then renamed) and verify it."""
    if not source.is_file():
        raise StorageError(f"no replica at {source}")
    if dest.exists():
        raise StorageError(f"{dest} exists; choose a new backup file name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        out = sqlite3.connect(partial)
        try:
            src.backup(out, pages=PAGES_PER_STEP)
            out.execute("PRAGMA journal_mode=DELETE")
            report = check(out, store)
            last, acked = _outbox_marks(out)
        finally:
            out.close()
            src.close()
    except sqlite3.Error as err:
        partial.unlink(missing_ok=True)
        raise StorageError(f"backup of {source} failed: {err}") from err
    if not report.ok:
        partial.unlink(missing_ok=True)
        raise StorageError(f"backup of {source} failed its integrity check: {report.problems}")
    os.replace(partial, dest)
    return BackupResult(dest, dest.stat().st_size, last, acked, report)


def restore(backup_file: Path, target: Path, store: str, force: bool = False) -> BackupResult:
    """Verify ``backup_file`` and copy it to ``target`` (the edge must be stopped)."""
    if not backup_file.is_file():
        raise StorageError(f"no backup at {backup_file}")
    if target.exists() and not force:
        raise StorageError(f"{target} exists; stop the edge and pass --force to replace it")
    try:
        conn = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
        try:
            report = check(conn, store)
            last, acked = _outbox_marks(conn)
        finally:
            conn.close()
    except sqlite3.Error as err:
        raise StorageError(f"{backup_file} is not a readable replica: {err}") from err
    if not report.ok:
        raise StorageError(f"{backup_file} failed its integrity check: {report.problems}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(backup_file, partial)
    for suffix in ("-wal", "-shm"):
        Path(str(target) + suffix).unlink(missing_ok=True)
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size, last, acked, report)
