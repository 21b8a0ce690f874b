"""Cycle counting: a session over the tag states → stock counts per sku and zone.

A tag counts when it is present at the end of the session and was read during it (``last_seen`` at
or after the start), in the zone its tag state holds; a tag whose EPC names no sku is listed apart.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass

from drivers.errors import DriverError
from drivers.tags import TagState


@dataclass(frozen=True, slots=True)
class CountLine:
    sku: str
    zone: str
    quantity: int


@dataclass(frozen=True, slots=True)
class StockCount:
    session_id: str
    started_at: float
    finished_at: float
    lines: tuple[CountLine, ...]
    unresolved_epcs: tuple[str, ...]

    def quantity(self, sku: str, zone: str | None = None) -> int:
        return sum(line.quantity for line in self.lines if line.sku == sku and zone in (None, line.zone))


class CountSession:
    """One cycle count. ``sku_of(epc)`` names the sku of an EPC (``None`` if it names none)."""

    def __init__(
        self,
        session_id: str,
        started_at: float,
        sku_of: Callable[[str], str | None],
        zones: Collection[str] | None = None,
    ) -> None:
        self.session_id = session_id
        self.started_at = started_at
        self.zones = frozenset(zones) if zones else None
        self._sku_of = sku_of
        self.result: StockCount | None = None

    def finish(self, finished_at: float, tags: Iterable[TagState]) -> StockCount:
        """Count ``tags`` (the processor's snapshot at ``finished_at``). A session finishes once."""
        if self.result is not None:
            raise DriverError(f"count session {self.session_id} is already finished")
        self.result = self.preview(finished_at, tags)
        return self.result

    def preview(self, finished_at: float, tags: Iterable[TagState]) -> StockCount:
        """What :meth:`finish` would count now, leaving the session open."""
        if finished_at < self.started_at:
            raise DriverError("a count session cannot finish before it started")
        counts: dict[tuple[str, str], int] = {}
        unresolved: list[str] = []
        for tag in tags:
            if tag.last_seen < self.started_at or (self.zones is not None and tag.zone not in self.zones):
                continue
            sku = self._sku_of(tag.epc)
            if sku is None:
                unresolved.append(tag.epc)
                continue
            key = (sku, tag.zone)
            counts[key] = counts.get(key, 0) + 1
        lines = tuple(CountLine(sku, zone, n) for (sku, zone), n in sorted(counts.items()))
        return StockCount(self.session_id, self.started_at, finished_at, lines, tuple(sorted(unresolved)))
