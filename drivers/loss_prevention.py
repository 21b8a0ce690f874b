"""Loss prevention: a tag leaving through an exit zone that no recent sale covers → alert.

Coverage is counted per sku: within ``sale_window_s`` before a departure, the units sold of that sku
(from :class:`RecentSales`, supplied by the store) must exceed the exits of that sku already covered.
An EPC that names no sku is never covered. One alert per EPC per window.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Protocol

from drivers.tags import TagDeparted, TagEvent


class RecentSales(Protocol):
    def units_sold(self, sku: str, since: float, until: float) -> int:
        """Units of ``sku`` sold in ``[since, until]`` (seconds, same clock as the tag events)."""
        ...


@dataclass(frozen=True, slots=True)
class LossAlert:
    epc: str
    sku: str | None
    zone: str
    at: float
    reason: str


class LossPrevention:
    def __init__(
        self,
        exit_zones: Collection[str],
        sales: RecentSales,
        sku_of: Callable[[str], str | None],
        sale_window_s: float = 900.0,
    ) -> None:
        self.exit_zones = frozenset(exit_zones)
        self._sales = sales
        self._sku_of = sku_of
        self.window = sale_window_s
        self._covered: dict[str, deque[float]] = {}
        self._alerted: dict[str, float] = {}

    def check(self, events: Iterable[TagEvent]) -> list[LossAlert]:
        alerts: list[LossAlert] = []
        for event in events:
            if isinstance(event, TagDeparted) and event.zone in self.exit_zones:
                alert = self._on_exit(event)
                if alert is not None:
                    alerts.append(alert)
        return alerts

    def _on_exit(self, event: TagDeparted) -> LossAlert | None:
        at = event.last_seen
        since = at - self.window
        previous = self._alerted.get(event.epc)
        if previous is not None and previous >= since:
            return None
        sku = self._sku_of(event.epc)
        if sku is None:
            self._alerted[event.epc] = at
            return LossAlert(event.epc, None, event.zone, at, "unknown item left through the exit")
        covered = self._covered.setdefault(sku, deque())
        while covered and covered[0] < since:
            covered.popleft()
        if self._sales.units_sold(sku, since, at) > len(covered):
            covered.append(at)
            return None
        self._alerted[event.epc] = at
        return LossAlert(event.epc, sku, event.zone, at, "left through the exit with no sale covering it")
