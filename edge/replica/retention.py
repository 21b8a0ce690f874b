"""Keeps acknowledged ops for ``VITRINE_EDGE_OUTBOX_RETENTION_DAYS`` (default 35), then drops them.

Within the retention a hub restored from a backup gets every op it lost again; older ones are gone,
and the node says so on ``/health`` (``resend_unavailable``) if the hub asks for them.
"""

from __future__ import annotations

import logging
import threading
import time

from edge.errors import EdgeError
from edge.replica.outbox import ReplicaOutbox

log = logging.getLogger(__name__)
DAY_S = 86_400
INTERVAL_S = 3_600.0


class OutboxRetention:
    def __init__(self, outbox: ReplicaOutbox, days: int, interval_s: float = INTERVAL_S) -> None:
        self.outbox = outbox
        self.days = days
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self, now: float | None = None) -> int:
        if not self.days:
            return 0
        cutoff_ms = int(((now if now is not None else time.time()) - self.days * DAY_S) * 1000)
        try:
            gone = self.outbox.prune(cutoff_ms)
        except EdgeError as err:
            log.warning("outbox retention skipped: %s", err)
            return 0
        if gone:
            log.info("outbox retention: dropped %d acknowledged op(s) older than %d days", gone, self.days)
        return gone

    def start(self) -> None:
        if not self.days or self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="outbox-retention", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            self.run_once()
            if self._stop.wait(self.interval_s):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
