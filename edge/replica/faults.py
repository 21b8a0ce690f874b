"""Storage faults of the replica: which SQLite errors mean "the disk is full or failing", and the
state ``/health`` and ``/metrics`` report.

A fault is recorded when a statement fails with one of :data:`FAULT_KINDS`; the replica is healthy
again after the next committed write (a sale, a sync apply...), so a node whose disk got space back
sells again without a restart. Counts are totals since the process started.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from edge.errors import StorageFault

# SQLite primary result codes (the low byte of an extended code) that are faults of the medium.
FAULT_KINDS: dict[int, str] = {
    13: "disk_full",  # SQLITE_FULL
    10: "io_error",  # SQLITE_IOERR and its extended codes
    11: "corrupt",  # SQLITE_CORRUPT
    26: "corrupt",  # SQLITE_NOTADB
    14: "cannot_open",  # SQLITE_CANTOPEN
    8: "read_only",  # SQLITE_READONLY
}
ADVICE: dict[str, str] = {
    "disk_full": "free space on the replica's disk; the node sells again as soon as there is room",
    "io_error": "check the replica's disk (dmesg, SMART); restart the node once the disk is sound",
    "corrupt": "run 'vitrine-edge integrity-check' and restore the replica (docs/operations.md)",
    "cannot_open": "check that the replica's directory exists and is writable",
    "read_only": "remount the replica's file system read-write",
}


def fault_of(err: sqlite3.Error) -> StorageFault | None:
    """The :class:`StorageFault` an SQLite error stands for, or None if it is not a storage fault."""
    code = getattr(err, "sqlite_errorcode", None)
    kind = FAULT_KINDS.get(code & 0xFF) if isinstance(code, int) else None
    if kind is None:
        return None
    return StorageFault(kind, f"replica storage fault ({kind.replace('_', ' ')}: {err}): {ADVICE[kind]}")


def free_bytes(replica_path: Path) -> int | None:
    """Free space on the file system holding the replica, or None if it cannot be read."""
    try:
        return shutil.disk_usage(replica_path.parent).free
    except OSError:
        return None


@dataclass(frozen=True)
class FaultState:
    kind: str
    detail: str
    since: float  # wall-clock seconds


class StorageHealth:
    """Thread-safe record of the last unresolved storage fault and the count of faults per kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: FaultState | None = None
        self._counts: dict[str, int] = {}

    def record(self, fault: StorageFault) -> None:
        with self._lock:
            self._counts[fault.kind] = self._counts.get(fault.kind, 0) + 1
            since = self._current.since if self._current is not None else time.time()
            self._current = FaultState(fault.kind, str(fault), since)

    def write_succeeded(self) -> None:
        if self._current is not None:
            with self._lock:
                self._current = None

    def current(self) -> FaultState | None:
        return self._current

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)
