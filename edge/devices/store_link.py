"""What the hub needs from the store node: sku of an EPC, recent sales, count recording, names.

Everything goes through the node's services or its replica; results the hot path needs are cached.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from drivers import epc as epc_codec
from edge.errors import EdgeError, Invalid
from edge.node import EdgeNode
from edge.services.context import iso
from edge.services.stock import record_count, require_sku
from sync.gtin import is_canonical


class SkuResolver:
    """EPC → catalogue sku through the SGTIN's GTIN (``None`` when not an SGTIN or not in the catalogue).

    Hits are cached for good; misses for ``miss_ttl_s`` (the catalogue grows through sync).
    """

    def __init__(self, node: EdgeNode, miss_ttl_s: float = 60.0) -> None:
        self._node = node
        self._miss_ttl = miss_ttl_s
        self._by_gtin: dict[str, str] = {}
        self._misses: dict[str, float] = {}
        self._names: dict[str, str] = {}
        self._lock = threading.Lock()

    def sku_of(self, epc: str) -> str | None:
        gtin14 = epc_codec.gtin_of(epc)
        return None if gtin14 is None else self.sku_of_gtin(gtin14)

    def knows_gtin(self, gtin14: str) -> bool:
        """Whether a GTIN-14 names a catalogue product (a scanner's confirmation of a decode)."""
        return self.sku_of_gtin(gtin14) is not None

    def sku_of_gtin(self, gtin14: str) -> str | None:
        now = time.monotonic()
        with self._lock:
            hit = self._by_gtin.get(gtin14)
            if hit is not None:
                return hit
            missed = self._misses.get(gtin14)
            if missed is not None and now - missed < self._miss_ttl:
                return None
        try:
            sku: str | None = self._node.catalog.by_gtin(gtin14).sku
        except EdgeError:
            sku = None
        with self._lock:
            if sku is None:
                self._misses[gtin14] = now
            else:
                self._by_gtin[gtin14] = sku
                self._misses.pop(gtin14, None)
        return sku

    def name_of(self, sku: str) -> str:
        with self._lock:
            if sku in self._names:
                return self._names[sku]
        try:
            name = self._node.catalog.product(sku).name
        except EdgeError:
            name = sku
        with self._lock:
            self._names[sku] = name
        return name

    def forget(self) -> None:
        with self._lock:
            self._by_gtin.clear()
            self._misses.clear()
            self._names.clear()


class NodeSales:
    """:class:`drivers.loss_prevention.RecentSales` over the replica's sales (baseline history excluded)."""

    def __init__(self, node: EdgeNode) -> None:
        self._node = node

    def units_sold(self, sku: str, since: float, until: float) -> int:
        conn = self._node.replica.reader()
        row = conn.execute(
            "SELECT COALESCE(SUM(l.qty), 0) FROM sale_lines l JOIN sales s ON s.receipt_id = l.receipt_id "
            "WHERE l.sku = ? AND s.baseline = 0 AND s.store = ? AND s.at >= ? AND s.at <= ?",
            (sku, self._node.store_id, _iso(since), _iso(until)),
        ).fetchone()
        return int(row[0])


def _iso(epoch: float) -> str:
    return iso(datetime.fromtimestamp(epoch, UTC))


def catalogue_gtins(node: EdgeNode, limit: int) -> list[str]:
    """Up to ``limit`` catalogue GTINs as GTIN-14 (to label simulated stock with real products)."""
    rows = (
        node.replica.reader()
        .execute(
            "SELECT gtin FROM catalog WHERE gtin IS NOT NULL AND gtin != '' ORDER BY sku LIMIT ?", (limit,)
        )
        .fetchall()
    )
    return [str(row[0]) for row in rows if is_canonical(str(row[0]))]


def book_quantity(node: EdgeNode, sku: str, zone: str) -> int:
    try:
        return node.stock.levels(sku).zones.get(zone, 0)
    except EdgeError:
        return 0


def record_counts(node: EdgeNode, session: str, lines: Sequence[tuple[str, str, int]]) -> list[str]:
    """Write every (sku, zone, qty) as a ``stock.count`` op in ONE transaction; returns the op ids."""
    if not lines:
        raise Invalid("the count found no item of the catalogue; nothing recorded")
    with node.replica.write() as tx:
        for sku, _zone, qty in lines:
            require_sku(tx, sku)
            if qty < 0:
                raise Invalid("counted quantities cannot be negative")
        return [
            record_count(tx, node.store_id, sku=sku, zone=zone, qty=qty, session=session)
            for sku, zone, qty in lines
        ]
