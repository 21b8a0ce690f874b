"""A store's periodic health report to the hub (topic ``status``, retained, JSON): what the store
knows of itself and the hub cannot see (its outbox backlog, clock skew, versions, bootstrap, devices).

:class:`StatusReporter` is a pump agent: every ``every_s`` it asks its source for the report and
publishes it; nothing is queued while offline (it retries every second until the link is back, and
the next report replaces the last). :func:`read_report`
is the hub's side: a bounded, validated dict or None.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sync.errors import SyncError
from sync.wire import decode_json, encode_json

log = logging.getLogger(__name__)
REPORT_VERSION = 1
MAX_REPORT_BYTES = 16 * 1024
RETRY_S = 1.0
# The fields a report may carry (anything else is dropped by the hub).
FIELDS = (
    "v",
    "at",
    "backlog",
    "oldest_unsynced_age_s",
    "clock_skew_ms",
    "schema_version",
    "software",
    "model",
    "bootstrap",
    "devices",
)
Source = Callable[[], dict[str, Any]]


class StatusReporter:
    def __init__(self, topic: str, publish: Callable[..., bool], every_s: float = 15.0) -> None:
        self.topic = topic
        self.publish = publish
        self.every_s = every_s
        self.source: Source | None = None  # set once the node can answer (after start-up)
        self._next = 0.0
        self.sent = 0

    def attach(self, wake: threading.Event) -> None:
        return None

    def deadline(self) -> float | None:
        return self._next if self.source is not None else None

    def pump(self, now: float) -> bool:
        if self.source is None or now < self._next:
            return False
        self._next = now + self.every_s
        try:
            report = {**self.source(), "v": REPORT_VERSION, "at": round(time.time(), 3)}
            payload = encode_json(report)
        except (OSError, ValueError, TypeError, SyncError) as err:  # a report is best effort
            log.warning("store status report not built: %s", err)
            return False
        if len(payload) > MAX_REPORT_BYTES:
            payload = encode_json({k: v for k, v in report.items() if k != "devices"})
        if self.publish(self.topic, payload, retain=True):
            self.sent += 1
        else:  # not connected: try again soon, so the hub hears from a store as soon as it is back
            self._next = now + min(self.every_s, RETRY_S)
        return True


def read_report(payload: bytes) -> dict[str, Any] | None:
    """The report's known fields, or None when it is too big or not a JSON object."""
    if len(payload) > MAX_REPORT_BYTES:
        return None
    try:
        doc = decode_json(payload, "status report")
    except SyncError:
        return None
    report = {k: doc[k] for k in FIELDS if k in doc}
    try:
        json.dumps(report)
    except (TypeError, ValueError):
        return None
    return report
