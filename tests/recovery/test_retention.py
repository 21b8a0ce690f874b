"""Acknowledged ops are kept for the retention (default 35 days), then dropped; the replica stays
consistent and the last acknowledged op stays as the stream's fingerprint."""

from __future__ import annotations

import time
from pathlib import Path

from edge.node import EdgeNode
from edge.replica.integrity import check
from edge.replica.retention import DAY_S, OutboxRetention
from edge.services.selling import Basket, BasketLine
from edge.settings import EdgeSettings
from tests.edge.conftest import STORE, populate


def test_retention_keeps_35_days_by_default_and_drops_older_acked_ops(tmp_path: Path) -> None:
    assert EdgeSettings.model_fields["outbox_retention_days"].default == 35
    node = EdgeNode.open(tmp_path / "store.db", STORE)
    populate(node)
    for n in range(20):
        node.selling.sell(Basket(lines=[BasketLine("85123A", 1)], payment_ref=f"P{n}"))
    last = node.outbox.last_seq()
    node.outbox.mark_acked(last - 5)
    retention = OutboxRetention(node.outbox, 35)
    assert retention.run_once() == 0  # everything is younger than 35 days
    assert retention.run_once(now=time.time() + 36 * DAY_S) == last - 6  # all acked but the last acked
    kept = [r[0] for r in node.replica.reader().execute("SELECT seq FROM outbox ORDER BY seq")]
    assert kept == list(range(last - 5, last + 1))  # unacked ops are never dropped
    report = check(node.replica.reader(), STORE)
    assert report.ok, report.problems
    node.close()
