"""Hybrid logical clock (Kulkarni et al., 2014).

A timestamp is (wall_ms, counter, node). Ordering is lexicographic on that triple, so two
timestamps from different nodes never compare equal, and every event a node has *seen* is
ordered before the events it produces afterwards.

The string form ``"{wall_ms:013d}.{counter:04d}.{node}"`` sorts the same way as the triple,
so it can be stored in a TEXT column and compared with ``<`` in SQL.

A corrected wall clock never stops a node: :meth:`HybridClock.restore` resumes from the node's own
last reading (from its durable log) however far the wall clock now lags behind it, and later
readings keep increasing (the counter runs on, carrying into the millisecond) until the wall clock
catches up; :meth:`HybridClock.lead_ms` says by how much the clock runs ahead of the wall meanwhile.
Only a *remote* reading too far ahead is refused by :meth:`HybridClock.observe`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sync.errors import ClockError

MAX_COUNTER = 9999
DEFAULT_MAX_DRIFT_MS = 24 * 3600 * 1000


@dataclass(frozen=True, order=True, slots=True)
class Timestamp:
    wall_ms: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}.{self.counter:04d}.{self.node}"

    @classmethod
    def parse(cls, text: str) -> Timestamp:
        try:
            wall, counter, node = text.split(".", 2)
            return cls(int(wall), int(counter), node)
        except ValueError as err:
            raise ClockError(f"not an HLC timestamp: {text!r}") from err


class HybridClock:
    """Thread-safe HLC for one node. ``wall`` is injectable for simulations and tests."""

    def __init__(
        self,
        node: str,
        wall: Callable[[], float] = time.time,
        max_drift_ms: int = DEFAULT_MAX_DRIFT_MS,
    ) -> None:
        if not node or "." in node:
            raise ValueError("HLC node id must be non-empty and contain no '.'")
        self.node = node
        self._wall = wall
        self._max_drift_ms = max_drift_ms
        self._last = Timestamp(0, 0, node)
        self._lock = threading.Lock()

    def _wall_ms(self) -> int:
        return int(self._wall() * 1000)

    def wall_ms(self) -> int:
        """This node's wall clock (epoch milliseconds), as the clock reads it."""
        return self._wall_ms()

    def now(self) -> Timestamp:
        """A timestamp for a local event, greater than every one issued or observed before."""
        with self._lock:
            wall = self._wall_ms()
            if wall > self._last.wall_ms:
                self._last = Timestamp(wall, 0, self.node)
            else:
                self._last = self._bump(self._last.wall_ms, self._last.counter)
            return self._last

    def restore(self, persisted: Timestamp) -> Timestamp:
        """Resume after a restart from a reading this node issued or observed before (its own log).

        Never refuses: a wall clock set back (an edge that ran days ahead, then was corrected, or a
        box whose clock is behind its replica) must not keep the node from opening."""
        with self._lock:
            resumed = Timestamp(persisted.wall_ms, persisted.counter, self.node)
            self._last = max(self._last, resumed)
            return self._last

    def lead_ms(self) -> int:
        """How far the clock runs ahead of the wall clock (0 when the wall is at or past it)."""
        with self._lock:
            return max(0, self._last.wall_ms - self._wall_ms())

    def observe(self, remote: Timestamp) -> Timestamp:
        """Merge a timestamp received from another node; returns the new local reading."""
        with self._lock:
            wall = self._wall_ms()
            if remote.wall_ms - wall > self._max_drift_ms:
                raise ClockError(f"remote clock {remote} is more than {self._max_drift_ms} ms ahead")
            top = max(wall, self._last.wall_ms, remote.wall_ms)
            if top == self._last.wall_ms and top == remote.wall_ms:
                counter = max(self._last.counter, remote.counter)
                self._last = self._bump(top, counter)
            elif top == self._last.wall_ms:
                self._last = self._bump(top, self._last.counter)
            elif top == remote.wall_ms:
                self._last = self._bump(top, remote.counter)
            else:
                self._last = Timestamp(top, 0, self.node)
            return self._last

    def _bump(self, wall_ms: int, counter: int) -> Timestamp:
        if counter >= MAX_COUNTER:
            # The counter field is fixed-width; carry into the millisecond instead.
            return Timestamp(wall_ms + 1, 0, self.node)
        return Timestamp(wall_ms, counter + 1, self.node)
