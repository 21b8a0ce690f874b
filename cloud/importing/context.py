"""What every loader needs besides its rows: the transaction's connection and the import's options."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection

from sync.hlc import HybridClock


@dataclass
class Context:
    conn: Connection
    clock: HybridClock
    warehouse: str  # store of online sales that name no store (the hub's warehouse_store)
    synthetic_gtins: bool = False  # products without a GTIN get sync.gtin.synthetic_gtin(sku)
    batch: int = 2000
