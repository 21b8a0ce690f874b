"""Reservations: customers reserve at the kiosk; staff list them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from edge.api.auth import KIOSK, STAFF
from edge.api.deps import Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.presence import CallerPresence
from edge.api.schemas import ID_PATTERN, ReservationIn
from edge.services.models import ReservationView

router = APIRouter(prefix="/api/v1/reservations", tags=["reservations"], responses=ERROR_RESPONSES)
ReservationId = Annotated[str, Path(pattern=ID_PATTERN)]


@router.post("", response_model=ReservationView, status_code=201, dependencies=[KIOSK])
def reserve(node: Node, presence: CallerPresence, body: ReservationIn) -> ReservationView:
    """Hold stock for a customer; a kiosk needs the customer's loyalty card (``X-Vitrine-Card``)."""
    presence.check_customer(node, body.customer_id)
    return node.reservations.reserve(body.customer_id, body.sku, body.qty, body.hours)


@router.get("", response_model=list[ReservationView], dependencies=[STAFF])
def list_reservations(
    node: Node,
    state: Literal["active", "fulfilled", "cancelled", "expired"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ReservationView]:
    return node.reservations.list(state, limit)


@router.get("/{reservation_id}", response_model=ReservationView, dependencies=[KIOSK])
def get(node: Node, reservation_id: ReservationId) -> ReservationView:
    return node.reservations.get(reservation_id)


@router.post("/{reservation_id}/cancel", response_model=ReservationView, dependencies=[KIOSK])
def cancel(node: Node, reservation_id: ReservationId) -> ReservationView:
    return node.reservations.cancel(reservation_id)
