"""The hub's time as this store knows it, and the probe that learns it over the sync link.

Which clock an effective date follows: **the hub's**. Prices, promotions and loyalty rules are dated
by the hub (``effective_from``, ``starts``/``ends``), so a store applies them when the *hub's* clock
reaches the date. The store knows the hub's clock as its own wall clock corrected by the last offset
it measured (``clock.now`` over the sync link's RPC, NTP-style: the hub's reading against the middle
of the round trip). The offset is kept in the replica, so a store offline at midnight still switches
at midnight by its own clock corrected by the last known offset, even after a restart; a store that
never measured uses its own wall clock. Every business time of the store's services (effective
dates, sale and return times, reservation and allowance expiry) follows this one corrected clock; the
HLC keeps the raw wall clock (it only orders events); signed card tokens tolerate a skew of their own
(drivers/tokens.py ``CLOCK_SKEW_S``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from edge.replica.database import Replica
from sync.instants import instant_from_epoch

log = logging.getLogger(__name__)

DEFAULT_WARN_S = 2.0  # beyond this, /health, /metrics and the manager's sync panel warn
DEFAULT_PROBE_S = 60.0


@dataclass(frozen=True, slots=True)
class Offset:
    offset_ms: int  # hub clock minus this box's clock
    rtt_ms: int  # round trip of the measurement (its uncertainty is half of it)
    measured_at: float  # this box's wall clock when measured (epoch seconds)


@dataclass(frozen=True, slots=True)
class ClockStatus:
    skew_ms: int | None  # this box's clock minus the hub's (None: never measured)
    rtt_ms: int | None
    measured_at: str | None
    warning: str | None  # set beyond the threshold, says what to do


class HubClock:
    """This box's wall clock corrected by the last measured offset to the hub (persisted)."""

    def __init__(
        self, replica: Replica, wall: Callable[[], float] = time.time, warn_s: float = DEFAULT_WARN_S
    ) -> None:
        self._replica = replica
        self._wall = wall
        self.warn_s = warn_s
        self._lock = threading.Lock()
        self._offset = self._load()

    def _load(self) -> Offset | None:
        row = (
            self._replica.reader().execute("SELECT offset_ms, rtt_ms, measured_at FROM hub_clock").fetchone()
        )
        return None if row is None else Offset(int(row[0]), int(row[1]), float(row[2]))

    def wall(self) -> float:
        """This box's own wall clock (epoch seconds)."""
        return self._wall()

    @property
    def offset(self) -> Offset | None:
        with self._lock:
            return self._offset

    def now(self) -> float:
        """The hub's time as this store knows it (epoch seconds)."""
        known = self.offset
        return self._wall() + (known.offset_ms / 1000 if known else 0.0)

    def record(self, sent_at: float, hub_ms: int, received_at: float) -> Offset:
        """Store one measurement: the hub read ``hub_ms`` between ``sent_at`` and ``received_at``
        (this box's wall clock)."""
        middle_ms = (sent_at + received_at) * 500
        measured = Offset(
            round(hub_ms - middle_ms), max(0, round((received_at - sent_at) * 1000)), received_at
        )
        with self._replica.write() as tx:
            tx.execute(
                "INSERT INTO hub_clock (id, offset_ms, rtt_ms, measured_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) "
                "DO UPDATE SET offset_ms = excluded.offset_ms, rtt_ms = excluded.rtt_ms, "
                "measured_at = excluded.measured_at",
                (measured.offset_ms, measured.rtt_ms, received_at),
            )
        with self._lock:
            self._offset = measured
        if abs(measured.offset_ms) > self.warn_s * 1000:
            log.warning(
                "this box's clock is %.3f s %s the hub's; set its time (NTP). Business times follow the "
                "hub's clock meanwhile.",
                abs(measured.offset_ms) / 1000,
                "behind" if measured.offset_ms > 0 else "ahead of",
            )
        return measured

    def status(self) -> ClockStatus:
        """For /health, /metrics and the manager's sync panel."""
        known = self.offset
        if known is None:
            return ClockStatus(None, None, None, None)
        warning = None
        if abs(known.offset_ms) > self.warn_s * 1000:
            direction = "behind" if known.offset_ms > 0 else "ahead of"
            warning = (
                f"this box's clock is {abs(known.offset_ms) / 1000:.1f} s {direction} the hub's "
                f"(threshold {self.warn_s:g} s): set its time (NTP); business times follow the hub's clock"
            )
        # skew: this box minus the hub, positive when the box is ahead
        return ClockStatus(-known.offset_ms, known.rtt_ms, instant_from_epoch(known.measured_at), warning)


HubTime = Callable[[], int | None]  # the hub's wall clock in epoch ms, None when it does not answer


class SkewProbe:
    """Measures the offset every ``interval_s`` while the hub answers (``ask`` returns None offline)."""

    def __init__(self, clock: HubClock, ask: HubTime, interval_s: float = DEFAULT_PROBE_S) -> None:
        self._clock = clock
        self._ask = ask
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def probe_once(self) -> Offset | None:
        sent_at = self._clock.wall()
        hub_ms = self._ask()
        received_at = self._clock.wall()
        return None if hub_ms is None else self._clock.record(sent_at, hub_ms, received_at)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                measured = self.probe_once()
            except Exception:  # the probe must never take the node down; the next round retries
                log.exception("measuring the clock offset to the hub failed")
                measured = None
            self._stop.wait(self._interval_s if measured is not None else min(self._interval_s, 2.0))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="hub-clock-probe", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
