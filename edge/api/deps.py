"""Request-scoped access to the node built by ``create_app`` (no globals). Async: no threadpool hop."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from edge.api.metrics import EdgeMetrics
from edge.node import EdgeNode


async def get_node(request: Request) -> EdgeNode:
    node: EdgeNode = request.app.state.node
    return node


async def get_metrics(request: Request) -> EdgeMetrics:
    metrics: EdgeMetrics = request.app.state.metrics
    return metrics


Node = Annotated[EdgeNode, Depends(get_node)]
Metrics = Annotated[EdgeMetrics, Depends(get_metrics)]
