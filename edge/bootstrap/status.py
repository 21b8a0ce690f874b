"""The bootstrap status shown by ``/health`` and the manager's sync panel."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from edge.bootstrap import progress
from edge.node import EdgeNode


def bootstrap_status(app: FastAPI, node: EdgeNode) -> dict[str, Any] | None:
    """The running agent's status, else what the replica recorded, else None (never bootstrapped)."""
    agent = getattr(app.state, "bootstrap", None)
    if agent is not None:
        status: dict[str, Any] = agent.status()
        return status
    cursor = progress.load(node.replica.reader())
    if cursor is None:
        return None
    return {
        "state": "complete" if cursor.complete else "paused (VITRINE_EDGE_BOOTSTRAP off)",
        **cursor.progress(),
    }
