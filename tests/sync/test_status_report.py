"""The store's status report: published on its topic, retained; the hub keeps only known fields."""

from __future__ import annotations

import json
from typing import Any

from sync.status_report import MAX_REPORT_BYTES, StatusReporter, read_report


def test_reporter_publishes_when_due_and_the_reader_bounds_it() -> None:
    sent: list[tuple[str, bytes, bool]] = []

    def publish(topic: str, payload: bytes, *, retain: bool = False) -> bool:
        sent.append((topic, payload, retain))
        return True

    reporter = StatusReporter("vitrine/v1/lyon/status", publish, every_s=5)
    assert reporter.deadline() is None and not reporter.pump(0.0)  # no source yet: nothing
    reporter.source = lambda: {"backlog": 2, "devices": [{"device_id": "r1"}]}
    assert reporter.pump(100.0) and not reporter.pump(101.0)  # then every 5 s
    assert reporter.pump(105.0)
    topic, payload, retain = sent[0]
    assert (topic, retain, len(sent)) == ("vitrine/v1/lyon/status", True, 2)
    report = read_report(payload)
    assert report is not None and report["backlog"] == 2 and report["v"] == 1
    huge: dict[str, Any] = {"backlog": 0, "devices": ["x" * 100] * 500}
    reporter.source = lambda: huge
    reporter.pump(200.0)
    assert "devices" not in json.loads(sent[-1][1])  # too big: sent without the device list
    down = StatusReporter("vitrine/v1/lyon/status", lambda *_a, **_k: False, every_s=15)
    down.source = lambda: {"backlog": 0}
    assert down.pump(10.0) and down.deadline() == 11.0  # not connected: tried again a second later
    assert read_report(b"[1, 2]") is None
    assert read_report(b"{" + b" " * MAX_REPORT_BYTES + b"}") is None
    assert read_report(b'{"backlog": 1, "evil": "x"}') == {"backlog": 1}
