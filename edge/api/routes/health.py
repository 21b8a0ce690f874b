"""Liveness and Prometheus metrics (unauthenticated)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from edge.api.deps import Metrics, Node
from edge.api.schemas import Health
from edge.bootstrap.status import bootstrap_status

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(node: Node, request: Request) -> Health:
    return Health(
        status="ok",
        store_id=node.store_id,
        schema_version=node.replica.schema_version(),
        outbox_backlog=node.outbox.backlog(),
        bootstrap=bootstrap_status(request.app, node),
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(m: Metrics) -> Response:
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
