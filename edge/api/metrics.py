"""Prometheus metrics of one app instance (own registry, so several apps can live in one process)."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from edge.node import EdgeNode
from edge.replica.faults import FAULT_KINDS, free_bytes


class EdgeMetrics:
    def __init__(self, node: EdgeNode) -> None:
        self.registry = CollectorRegistry()
        self.sales = Counter("vitrine_edge_sales", "sales recorded", ["channel"], registry=self.registry)
        self.oversold = Counter(
            "vitrine_edge_oversold_sales", "sales that oversold a sku", registry=self.registry
        )
        self.sale_seconds = Histogram(
            "vitrine_edge_sale_seconds",
            "sale service latency",
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
            registry=self.registry,
        )
        self.returns = Counter("vitrine_edge_returns", "returns recorded", registry=self.registry)
        self.rejected = Counter(
            "vitrine_edge_rejected_requests",
            "requests refused: domain rules, input checks (4xx) and storage faults (503)",
            ["status"],
            registry=self.registry,
        )
        backlog = Gauge(
            "vitrine_edge_outbox_backlog", "ops not yet acked by the cloud", registry=self.registry
        )
        backlog.set_function(_or_nan(lambda: float(node.outbox.backlog())))
        skew = Gauge(
            "vitrine_edge_clock_skew_seconds",
            "this box's clock minus the hub's, last measured over the sync link (0 until measured)",
            registry=self.registry,
        )
        skew.set_function(lambda: float(node.hub_clock.status().skew_ms or 0) / 1000)
        warn = Gauge(
            "vitrine_edge_clock_skew_warning",
            "1 when the clock skew is beyond VITRINE_EDGE_CLOCK_SKEW_WARN_S",
            registry=self.registry,
        )
        warn.set_function(lambda: 1.0 if node.hub_clock.status().warning else 0.0)
        lead = Gauge(
            "vitrine_edge_hlc_lead_seconds",
            "how far the hybrid logical clock runs ahead of this box's clock (after a clock correction)",
            registry=self.registry,
        )
        lead.set_function(lambda: node.replica.clock.lead_ms() / 1000)
        last = Gauge("vitrine_edge_outbox_last_seq", "highest outbox seq written", registry=self.registry)
        last.set_function(_or_nan(lambda: float(node.outbox.last_seq())))
        self.registry.register(StorageCollector(node))


def _or_nan(read: Callable[[], float]) -> Callable[[], float]:
    """A gauge reading the replica reports NaN while the disk fails, so /metrics still answers."""

    def safe() -> float:
        try:
            return read()
        except sqlite3.Error:
            return math.nan

    return safe


class StorageCollector(Collector):
    """``vitrine_edge_storage_faults_total{kind}``, ``vitrine_edge_storage_degraded`` (1 while a fault
    is unresolved) and ``vitrine_edge_storage_free_bytes``, read from the replica at scrape time."""

    def __init__(self, node: EdgeNode) -> None:
        self.node = node

    def collect(self) -> Iterator[Metric]:
        storage = self.node.replica.storage
        counts = storage.counts()
        faults = CounterMetricFamily(
            "vitrine_edge_storage_faults",
            "replica writes/reads failed by a full or failing disk",
            labels=["kind"],
        )
        for kind in sorted(set(FAULT_KINDS.values())):
            faults.add_metric([kind], float(counts.get(kind, 0)))
        yield faults
        yield GaugeMetricFamily(
            "vitrine_edge_storage_degraded",
            "1 while a storage fault is unresolved (cleared by the next committed write)",
            value=0.0 if storage.current() is None else 1.0,
        )
        free = free_bytes(self.node.replica.path)
        yield GaugeMetricFamily(
            "vitrine_edge_storage_free_bytes",
            "free space on the replica's file system",
            value=math.nan if free is None else float(free),
        )
