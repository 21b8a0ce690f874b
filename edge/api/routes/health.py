"""Liveness and Prometheus metrics (unauthenticated)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from edge.api.deps import Metrics, Node
from edge.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(node: Node, request: Request) -> Health:
    """``ok``, or ``recovery-needed`` (with what to run) when the cloud holds ops this replica lost;
    ``resend_unavailable`` names the first op a restored cloud asked for that is past retention."""
    link = getattr(request.app.state, "sync_link", None)
    status = link.status() if link is not None else None
    recovery = node.replica.recovery or (status.recovery if status else None)
    return Health(
        status="recovery-needed" if recovery else "ok",
        store_id=node.store_id,
        schema_version=node.replica.schema_version(),
        outbox_backlog=node.outbox.backlog(),
        recovery=recovery,
        resend_unavailable=status.resend_unavailable if status else None,
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(m: Metrics) -> Response:
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
