"""One worker thread that drives a set of agents.

Agents receive messages on the transport's thread (and only queue them); every call into a node's
storage (Outbox, Inbox, database) happens on this pump thread, so a node's SQLite connection is used
from one thread only.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Protocol

log = logging.getLogger(__name__)


class Agent(Protocol):
    def pump(self, now: float) -> bool:
        """Do the work that is due; True when something was done (the pump loops again at once)."""
        ...

    def deadline(self) -> float | None:
        """Monotonic time of the next timer-driven action, if any."""
        ...

    def attach(self, wake: threading.Event) -> None:
        """Remember the event to set when new input arrives."""
        ...


class Pump:
    def __init__(self, agents: Sequence[Agent], name: str = "vitrine-sync", idle_s: float = 0.2) -> None:
        self.agents = list(agents)
        self.wake = threading.Event()
        self.idle_s = idle_s
        self.errors = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        for agent in self.agents:
            agent.attach(self.wake)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.wake.clear()
            busy = False
            now = time.monotonic()
            for agent in self.agents:
                try:
                    busy = agent.pump(now) or busy
                except Exception:
                    # Storage hiccups (locked DB, broken connection) must not end syncing: back off, retry.
                    self.errors += 1
                    log.exception("sync agent failed; retrying")
                    self._stop.wait(0.5)
            if busy:
                continue
            deadlines = [d for d in (a.deadline() for a in self.agents) if d is not None]
            timeout = self.idle_s
            if deadlines:
                timeout = max(0.0, min(timeout, min(deadlines) - time.monotonic()))
            self.wake.wait(timeout)
