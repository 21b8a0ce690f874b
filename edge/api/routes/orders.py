"""Orders to pick and collect (staff)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from edge.api.auth import Role, require
from edge.api.deps import Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.schemas import ID_PATTERN, CollectIn
from edge.services.models import OrderView

router = APIRouter(prefix="/api/v1/orders", tags=["orders"], responses=ERROR_RESPONSES)
OrderId = Annotated[str, Path(pattern=ID_PATTERN)]
StaffRole = Annotated[Role, Depends(require(Role.STAFF))]


@router.get("", response_model=list[OrderView])
def list_orders(
    node: Node,
    role: StaffRole,
    state: Literal["placed", "picked", "collected", "cancelled", "shipped", "returned"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[OrderView]:
    return node.orders.list(state, limit)


@router.get("/{order_id}", response_model=OrderView)
def get(node: Node, role: StaffRole, order_id: OrderId) -> OrderView:
    return node.orders.get(order_id)


@router.post("/{order_id}/pick", response_model=OrderView)
def pick(node: Node, role: StaffRole, order_id: OrderId) -> OrderView:
    return node.orders.pick(order_id, by=role.name.lower())


@router.post("/{order_id}/collect", response_model=OrderView)
def collect(node: Node, role: StaffRole, order_id: OrderId, body: CollectIn) -> OrderView:
    """Hands a picked order over; the customer (and pickup code, if any) must match."""
    return node.orders.collect(order_id, body.customer, body.pickup_code, by=role.name.lower())


@router.post("/{order_id}/cancel", response_model=OrderView)
def cancel(node: Node, role: StaffRole, order_id: OrderId) -> OrderView:
    return node.orders.cancel(order_id, by=role.name.lower())
