"""Prometheus metrics of one app instance (own registry, so several apps can live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from edge.node import EdgeNode


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
            "requests refused by domain rules",
            ["status"],
            registry=self.registry,
        )
        backlog = Gauge(
            "vitrine_edge_outbox_backlog", "ops not yet acked by the cloud", registry=self.registry
        )
        backlog.set_function(lambda: float(node.outbox.backlog()))
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
        last.set_function(lambda: float(node.outbox.last_seq()))
