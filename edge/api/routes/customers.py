"""Customers, loyalty and wishlists (kiosk and up: customer-initiated).

Kiosk calls about one customer need that customer's signed loyalty card (``edge.api.presence``);
lookup by email or phone is staff and up. Staff and manager are unaffected.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import Field

from edge.api.auth import KIOSK, Role
from edge.api.deps import Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.presence import CallerPresence, card_token_for, keyring_of
from edge.api.schemas import ID_PATTERN, SKU_PATTERN, CustomerIn, CustomerPatch
from edge.errors import Forbidden
from edge.services.models import CustomerView, LoyaltyView, WishlistView

router = APIRouter(
    prefix="/api/v1/customers", tags=["customers"], dependencies=[KIOSK], responses=ERROR_RESPONSES
)
CustomerId = Annotated[str, Path(pattern=ID_PATTERN)]
SkuPath = Annotated[str, Path(pattern=SKU_PATTERN)]


class EnrolledCustomerView(CustomerView):
    card_token: str | None = Field(
        description="signed token of the new loyalty card (None without token keys)"
    )


@router.post("", response_model=EnrolledCustomerView, status_code=201)
def enrol(node: Node, body: CustomerIn, presence: CallerPresence, request: Request) -> EnrolledCustomerView:
    """Enrol with marketing consent; a loyalty card is issued when none is given (always at a kiosk).

    ``card_token`` is the new card's signed token (when the store has token keys): the kiosk sends it
    as ``X-Vitrine-Card`` to continue the session and shows it as the card's QR code."""
    if not presence.trusted and body.card is not None:
        raise Forbidden("a kiosk cannot choose a card number; the store issues one")
    fields = body.model_dump(exclude_none=True, exclude={"terms_version", "consent_wording"})
    customer = node.customers.enrol(
        fields, terms_version=body.terms_version, consent_wording=body.consent_wording
    )
    token = card_token_for(keyring_of(request), customer.card)
    return EnrolledCustomerView(**customer.model_dump(), card_token=token)


@router.get("/lookup", response_model=CustomerView)
def lookup(
    node: Node,
    presence: CallerPresence,
    kind: Literal["card", "email", "phone"],
    value: Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[^\x00]*$")],
) -> CustomerView:
    """Staff and up: by card, email or phone. Kiosk: by card only, with that card's signed token."""
    if presence.role < Role.STAFF:
        if kind != "card":
            raise Forbidden(f"lookup by {kind} needs the staff role")
        presence.check_card(value)
    return node.customers.lookup(kind, value)


@router.get("/{customer_id}", response_model=CustomerView)
def get(node: Node, presence: CallerPresence, customer_id: CustomerId) -> CustomerView:
    presence.check_customer(node, customer_id)
    return node.customers.get(customer_id)


@router.patch("/{customer_id}", response_model=CustomerView)
def update(
    node: Node, presence: CallerPresence, customer_id: CustomerId, body: CustomerPatch
) -> CustomerView:
    presence.check_customer(node, customer_id)
    fields = body.model_dump(exclude_unset=True, exclude={"consent_wording"})
    return node.customers.update(customer_id, fields, consent_wording=body.consent_wording)


@router.get("/{customer_id}/loyalty", response_model=LoyaltyView)
def loyalty(
    node: Node,
    presence: CallerPresence,
    customer_id: CustomerId,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LoyaltyView:
    presence.check_customer(node, customer_id)
    return node.loyalty.view(customer_id, limit)


@router.get("/{customer_id}/wishlist", response_model=WishlistView)
def wishlist(node: Node, presence: CallerPresence, customer_id: CustomerId) -> WishlistView:
    presence.check_customer(node, customer_id)
    return node.customers.wishlist(customer_id)


@router.put("/{customer_id}/wishlist/{sku}", response_model=WishlistView)
def wish(node: Node, presence: CallerPresence, customer_id: CustomerId, sku: SkuPath) -> WishlistView:
    presence.check_customer(node, customer_id)
    return node.customers.set_wishlist(customer_id, sku, True)


@router.delete("/{customer_id}/wishlist/{sku}", response_model=WishlistView)
def unwish(node: Node, presence: CallerPresence, customer_id: CustomerId, sku: SkuPath) -> WishlistView:
    presence.check_customer(node, customer_id)
    return node.customers.set_wishlist(customer_id, sku, False)
