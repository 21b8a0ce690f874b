"""Liveness and Prometheus metrics (unauthenticated). ``/health`` answers even when the replica's
disk is full or failing: it then says ``degraded`` and why (docs/operations.md, storage faults)."""

from __future__ import annotations

import sqlite3
from dataclasses import asdict
from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from edge.api.deps import Metrics, Node
from edge.api.schemas import ClockHealth, Health, StorageStatus
from edge.node import EdgeNode
from edge.replica.faults import fault_of, free_bytes

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health(node: Node, request: Request) -> Health:
    """``ok``; ``degraded`` when the disk is full or failing; ``recovery-needed`` (with what to run)
    when the cloud holds ops this replica lost. ``resend_unavailable`` names the first op a restored
    cloud asked for that is past retention."""
    try:
        schema_version = node.replica.schema_version()
        backlog = node.outbox.backlog()
    except sqlite3.Error as err:  # a failing disk must not turn the health check into a 500
        fault = fault_of(err)
        if fault is None:
            raise
        node.replica.storage.record(fault)
        schema_version, backlog = -1, -1
    storage = storage_status(node)
    link = getattr(request.app.state, "sync_link", None)
    status = link.status() if link is not None else None
    recovery = node.replica.recovery or (status.recovery if status else None)
    return Health(
        status="recovery-needed" if recovery else "ok" if storage.ok else "degraded",
        store_id=node.store_id,
        schema_version=schema_version,
        outbox_backlog=backlog,
        storage=storage,
        recovery=recovery,
        resend_unavailable=status.resend_unavailable if status else None,
        clock=ClockHealth(**asdict(node.hub_clock.status()), hlc_lead_ms=node.replica.clock.lead_ms()),
    )


def storage_status(node: EdgeNode) -> StorageStatus:
    fault = node.replica.storage.current()
    return StorageStatus(
        ok=fault is None,
        fault=fault.kind if fault else None,
        detail=fault.detail if fault else None,
        since=datetime.fromtimestamp(fault.since, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if fault else None,
        free_bytes=free_bytes(node.replica.path),
    )


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(m: Metrics) -> Response:
    return Response(generate_latest(m.registry), media_type=CONTENT_TYPE_LATEST)
