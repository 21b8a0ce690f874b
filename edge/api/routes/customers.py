"""Customers, loyalty and wishlists (kiosk and up: customer-initiated)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from edge.api.auth import KIOSK
from edge.api.deps import Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.schemas import ID_PATTERN, SKU_PATTERN, CustomerIn, CustomerPatch
from edge.services.models import CustomerView, LoyaltyView, WishlistView

router = APIRouter(
    prefix="/api/v1/customers", tags=["customers"], dependencies=[KIOSK], responses=ERROR_RESPONSES
)
CustomerId = Annotated[str, Path(pattern=ID_PATTERN)]
SkuPath = Annotated[str, Path(pattern=SKU_PATTERN)]


@router.post("", response_model=CustomerView, status_code=201)
def enrol(node: Node, body: CustomerIn) -> CustomerView:
    """Enrol with marketing consent; a loyalty card is issued when none is given."""
    return node.customers.enrol(body.model_dump(exclude_none=True))


@router.get("/lookup", response_model=CustomerView)
def lookup(
    node: Node,
    kind: Literal["card", "email", "phone"],
    value: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00]*$")],
) -> CustomerView:
    return node.customers.lookup(kind, value)


@router.get("/{customer_id}", response_model=CustomerView)
def get(node: Node, customer_id: CustomerId) -> CustomerView:
    return node.customers.get(customer_id)


@router.patch("/{customer_id}", response_model=CustomerView)
def update(node: Node, customer_id: CustomerId, body: CustomerPatch) -> CustomerView:
    return node.customers.update(customer_id, body.model_dump(exclude_unset=True))


@router.get("/{customer_id}/loyalty", response_model=LoyaltyView)
def loyalty(
    node: Node, customer_id: CustomerId, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> LoyaltyView:
    return node.loyalty.view(customer_id, limit)


@router.get("/{customer_id}/wishlist", response_model=WishlistView)
def wishlist(node: Node, customer_id: CustomerId) -> WishlistView:
    return node.customers.wishlist(customer_id)


@router.put("/{customer_id}/wishlist/{sku}", response_model=WishlistView)
def wish(node: Node, customer_id: CustomerId, sku: SkuPath) -> WishlistView:
    return node.customers.set_wishlist(customer_id, sku, True)


@router.delete("/{customer_id}/wishlist/{sku}", response_model=WishlistView)
def unwish(node: Node, customer_id: CustomerId, sku: SkuPath) -> WishlistView:
    return node.customers.set_wishlist(customer_id, sku, False)
