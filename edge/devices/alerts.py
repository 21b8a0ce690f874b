"""Loss-prevention alerts, kept in the hub's own SQLite file (local operational data, not synced)."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from drivers.loss_prevention import LossAlert

_SCHEMA = """CREATE TABLE IF NOT EXISTS loss_alerts (
    alert_id INTEGER PRIMARY KEY AUTOINCREMENT,
    epc TEXT NOT NULL,
    sku TEXT,
    name TEXT,
    zone TEXT NOT NULL,
    at REAL NOT NULL,
    reason TEXT NOT NULL,
    acknowledged INTEGER NOT NULL DEFAULT 0
)"""


@dataclass(frozen=True, slots=True)
class StoredAlert:
    alert_id: int
    epc: str
    sku: str | None
    name: str | None
    zone: str
    at: float
    reason: str
    acknowledged: bool


class AlertStore:
    """``path=None`` keeps alerts in memory (no devices configured).

    One tag raises at most one alert per ``repeat_s`` (a tag lingering by the exit would otherwise
    raise one at every reader cycle); acknowledging does not reopen the window.
    """

    def __init__(self, path: Path | None, repeat_s: float = 600.0) -> None:
        self.repeat_s = repeat_s
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._conn:
            self._conn.execute("PRAGMA journal_mode=WAL" if path else "PRAGMA journal_mode=MEMORY")
            self._conn.execute(_SCHEMA)

    def add(self, alert: LossAlert, name: str | None) -> StoredAlert | None:
        """Store ``alert``; None when the same tag already raised one less than ``repeat_s`` ago."""
        with self._lock, self._conn:
            recent = self._conn.execute(
                "SELECT 1 FROM loss_alerts WHERE epc = ? AND at > ? LIMIT 1",
                (alert.epc, alert.at - self.repeat_s),
            ).fetchone()
            if recent is not None:
                return None
            cur = self._conn.execute(
                "INSERT INTO loss_alerts (epc, sku, name, zone, at, reason) VALUES (?, ?, ?, ?, ?, ?)",
                (alert.epc, alert.sku, name, alert.zone, alert.at, alert.reason),
            )
        return StoredAlert(
            int(cur.lastrowid or 0), alert.epc, alert.sku, name, alert.zone, alert.at, alert.reason, False
        )

    def recent(self, limit: int = 50, include_acknowledged: bool = True) -> list[StoredAlert]:
        where = "" if include_acknowledged else "WHERE acknowledged = 0"
        with self._lock:
            rows = self._conn.execute(
                f"SELECT alert_id, epc, sku, name, zone, at, reason, acknowledged FROM loss_alerts {where} "
                "ORDER BY at DESC, alert_id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [StoredAlert(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7])) for r in rows]

    def acknowledge(self, alert_id: int) -> bool:
        with self._lock, self._conn:
            cur = self._conn.execute(
                "UPDATE loss_alerts SET acknowledged = 1 WHERE alert_id = ?", (alert_id,)
            )
        return cur.rowcount == 1

    def close(self) -> None:
        with self._lock:
            self._conn.close()
