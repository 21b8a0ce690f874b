"""Results of the store services; also the HTTP response models (pydantic)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class PromotionView(BaseModel):
    promo_id: str
    kind: str
    value: int
    ends: str


class ProductView(BaseModel):
    sku: str
    gtin: str | None
    name: str
    category: str
    attributes: dict[str, Any] = Field(default_factory=dict)
    price_cents: int | None = Field(description="effective list price now, null if not priced")
    promotion: PromotionView | None = None
    effective_cents: int | None = Field(description="price after the best promotion for this store")
    on_hand: int
    available: int = Field(description="on hand minus held (reservations, placed orders), never below 0")


class StoreFigure(BaseModel):
    store: str
    qty: int
    as_of: str | None = Field(description="when the figure last changed at that store (ISO UTC)")
    age_s: float | None = Field(description="seconds since as_of, by this edge's clock")


class StockLevels(BaseModel):
    sku: str
    zones: dict[str, int]
    on_hand: int
    reserved: int
    available: int = Field(
        description="on hand minus held, never below 0 (as the hub's figure for this store)"
    )
    oversold: int = Field(default=0, description="units sold beyond the book (on hand below 0), flagged")
    as_of: str | None = Field(default=None, description="last count or movement of this sku here (ISO UTC)")
    age_s: float | None = Field(default=None, description="seconds since as_of")
    other_stores: dict[str, int] = Field(default_factory=dict, description="store -> qty (see elsewhere)")
    elsewhere: list[StoreFigure] = Field(
        default_factory=list, description="other stores that have it, most first, each figure with its age"
    )


class StockMovement(BaseModel):
    sku: str
    zone: str
    qty: int
    reason: str
    ref: str
    on_hand: int
    op_id: str


class CountResult(BaseModel):
    zone: str
    session: str
    counted: int
    op_ids: list[str]


class ReceiptLine(BaseModel):
    sku: str
    name: str
    qty: int
    unit_cents: int
    discount_cents: int
    line_cents: int
    promo_id: str | None = None
    oversold: bool = False


class Receipt(BaseModel):
    receipt_id: str
    store: str
    channel: str
    customer_id: str | None
    payment_ref: str
    at: str
    lines: list[ReceiptLine]
    total_cents: int
    points_redeemed: int
    redeemed_cents: int
    paid_cents: int
    points_earned: int
    oversold: bool = Field(description="at least one line sold more than the stock on hand")


class ReturnLineView(BaseModel):
    sku: str
    qty: int
    refund_cents: int


class ReturnRecord(BaseModel):
    return_id: str
    receipt_id: str | None
    store: str
    channel: str
    customer_id: str | None
    at: str
    lines: list[ReturnLineView]
    refund_cents: int
    points_reversed: int


class ConsentProof(BaseModel):
    """The customer's own act behind their marketing consent, as this store holds it."""

    granted: bool
    at: str = Field(description="when the customer gave or withdrew it (ISO UTC)")
    channel: str = Field(description="'online' or the id of the store where they did it")
    wording_version: str = Field(description="the version of the wording they agreed to")


class CustomerView(BaseModel):
    customer_id: str
    name: str
    email: str | None
    phone: str | None
    card: str | None
    consent_marketing: bool
    created_at: str
    consent_proof: ConsentProof | None = None


class LedgerEntry(BaseModel):
    entry_id: str
    kind: str
    points: int
    ref: str
    channel: str
    store: str
    at: str


class LoyaltyView(BaseModel):
    customer_id: str
    balance: int
    allowance_remaining: int
    history: list[LedgerEntry]


class WishlistView(BaseModel):
    customer_id: str
    skus: list[str]


class ReservationView(BaseModel):
    reservation_id: str
    customer_id: str
    sku: str
    qty: int
    created_at: str
    expires_at: str
    state: str


class OrderLine(BaseModel):
    sku: str
    qty: int
    unit_cents: int


class OrderView(BaseModel):
    order_id: str
    kind: str
    customer_id: str
    store: str
    channel: str
    lines: list[OrderLine]
    total_cents: int
    state: str
    placed_at: str
    updated_at: str
    customer_name: str | None = Field(default=None, description="in order lists: the customer's name")
