"""The live availability publisher: a pump agent running :func:`cloud.stock_summary.publish_round`.

Every hub worker runs one; they coordinate through the database (see :mod:`cloud.stock_summary`),
so any number of workers publish at most one summary per source store per interval.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from cloud import stock_summary
from cloud.errors import CloudError
from sync.errors import SyncError
from sync.hlc import HybridClock

log = logging.getLogger(__name__)


class SummaryPublisher:
    def __init__(self, engine: Engine, clock: HybridClock, interval_s: float, poll_s: float = 0.5) -> None:
        self.engine = engine
        self.clock = clock
        self.interval_s = interval_s
        self.poll_s = min(poll_s, interval_s / 2)
        self.rounds = 0
        self.published = 0
        self._next = 0.0

    def attach(self, wake: threading.Event) -> None:
        """Timer-driven only: nothing to wake it."""

    def deadline(self) -> float | None:
        return self._next

    def pump(self, now: float) -> bool:
        if now < self._next:
            return False
        self._next = now + self.poll_s
        try:
            done = stock_summary.publish_round(self.engine, self.clock, self.interval_s)
        except (SQLAlchemyError, CloudError, SyncError) as err:  # the next round retries
            log.warning("availability summaries: round failed (%s); retrying", err)
            return False
        self.rounds += 1
        self.published += done.full + done.partial
        if done.full or done.partial:
            log.info(
                "availability summaries: %d ops to stores that joined, %d ops from %d stores",
                done.full,
                done.partial,
                done.sources,
            )
        return False
