"""Liveness and Prometheus metrics (unauthenticated)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from edge.api.deps import Metrics, Node
from edge.api.schemas import ClockHealth, Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(node: Node) -> Health:
    return Health(
        status="ok",
        store_id=node.store_id,
        schema_version=node.replica.schema_version(),
        outbox_backlog=node.outbox.backlog(),
        clock=ClockHealth(**asdict(node.hub_clock.status()), hlc_lead_ms=node.replica.clock.lead_ms()),
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(m: Metrics) -> Response:
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
