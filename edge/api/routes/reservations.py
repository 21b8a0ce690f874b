"""Reservations: customers reserve at the kiosk; staff list them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from edge.api.auth import KIOSK, STAFF
from edge.api.deps import Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.presence import CallerPresence, Presence
from edge.api.schemas import ID_PATTERN, ReservationIn
from edge.errors import Forbidden, NotFound
from edge.node import EdgeNode
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
def get(node: Node, presence: CallerPresence, reservation_id: ReservationId) -> ReservationView:
    _check_holder(node, presence, reservation_id)
    return node.reservations.get(reservation_id)


@router.post("/{reservation_id}/cancel", response_model=ReservationView, dependencies=[KIOSK])
def cancel(node: Node, presence: CallerPresence, reservation_id: ReservationId) -> ReservationView:
    _check_holder(node, presence, reservation_id)
    return node.reservations.cancel(reservation_id)


def _check_holder(node: EdgeNode, presence: Presence, reservation_id: str) -> None:
    """Kiosk: only with the card of the reservation's customer (ids follow the clock: guessable)."""
    if presence.trusted:
        return
    try:
        holder = node.reservations.get(reservation_id).customer_id
    except NotFound as err:
        raise Forbidden("this loyalty card belongs to another customer") from err
    if holder is None:
        raise Forbidden("this reservation is handled by staff")
    presence.check_customer(node, holder)
