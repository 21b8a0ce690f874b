"""Request bodies and constrained field types shared by the routers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
ZONE_PATTERN = r"^[a-z0-9_-]{1,32}$"


def _no_surrogates(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError("text must be valid unicode") from err
    if "\x00" in text:
        raise ValueError("text must not contain NUL")
    return text


Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Sku = Annotated[str, StringConstraints(pattern=SKU_PATTERN)]
Zone = Annotated[str, StringConstraints(pattern=ZONE_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_surrogates)]
Qty = Annotated[int, Field(ge=1, le=999)]


class Strict(BaseModel):
    """Request bodies: unknown fields refused, and no coercion (``true`` is not a quantity, ``"3"`` is
    not a number, ``1.0`` is not an int)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class SaleLineIn(Strict):
    sku: Sku
    qty: Qty
    reservation_id: Id | None = None


class SaleIn(Strict):
    lines: list[SaleLineIn] = Field(min_length=1, max_length=100)
    channel: Literal["store", "kiosk"] = "store"
    customer_id: Id | None = None
    payment_ref: Annotated[str, StringConstraints(max_length=64), AfterValidator(_no_surrogates)] = ""
    redeem_points: int = Field(default=0, ge=0, le=1_000_000)
    zone: Zone | None = None


class ReceiptEmailIn(Strict):
    email: str | None = Field(
        default=None, max_length=254, description="where to send it (default: the sale's customer's e-mail)"
    )


class ReceiptEmailOut(BaseModel):
    receipt_id: str
    email: str
    online: bool = Field(description="the link to head office is up: the hub e-mails it now")
    message: str = Field(description="what to tell the customer")


class ReturnLineIn(Strict):
    sku: Sku
    qty: Qty


class ReturnIn(Strict):
    """Exactly one of ``receipt_id`` (store, kiosk or online receipt), ``order_id`` or ``customer_id``."""

    receipt_id: Id | None = None
    order_id: Id | None = None
    customer_id: Id | None = None
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=100)
    channel: Literal["store", "kiosk"] = "store"
    zone: Zone | None = None


class ReceiptIn(Strict):
    sku: Sku
    qty: Annotated[int, Field(ge=1, le=99_999)]
    zone: Zone | None = None
    ref: Annotated[str, StringConstraints(max_length=64), AfterValidator(_no_surrogates)] = ""


class AdjustmentIn(Strict):
    sku: Sku
    qty: Annotated[int, Field(ge=-99_999, le=99_999)]
    reason: Literal["damage", "shrink", "adjustment", "transfer"]
    zone: Zone | None = None
    ref: Annotated[str, StringConstraints(max_length=64), AfterValidator(_no_surrogates)] = ""
    counterpart: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")] | None = Field(
        default=None,
        description="for a transfer: the other store (negative qty: sent to it; positive: from it)",
    )
    confirm: bool = Field(
        default=False,
        description="record a large change (more than 50 units, or one taking the book below zero); "
        "without it such a change is refused with 409 and X-Vitrine-Reason: confirm_large",
    )


class CountItemIn(Strict):
    sku: Sku
    qty: Annotated[int, Field(ge=0, le=99_999)]


class CountIn(Strict):
    zone: Zone | None = None
    session: Id | None = None
    items: list[CountItemIn] = Field(min_length=1, max_length=5000)


class ReservationIn(Strict):
    customer_id: Id
    sku: Sku
    qty: Annotated[int, Field(ge=1, le=99)] = 1
    hours: Annotated[int, Field(ge=1, le=336)] = 24


class CustomerIn(Strict):
    name: Annotated[Text, StringConstraints(min_length=1, max_length=120)]
    email: Text | None = None
    phone: Annotated[str, StringConstraints(max_length=24)] | None = None
    card: Annotated[str, StringConstraints(max_length=32)] | None = None
    consent_marketing: bool = False
    terms_version: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{1,32}$")] | None = Field(
        default=None,
        description="the version of the programme terms and privacy notice the customer accepted",
    )
    consent_wording: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{1,32}$")] | None = Field(
        default=None,
        description="the version of the marketing wording the customer agreed to (default: terms_version, "
        "whose notice holds the marketing box at the kiosk); needed when consent_marketing is true",
    )


class CustomerPatch(Strict):
    name: Annotated[Text, StringConstraints(min_length=1, max_length=120)] | None = None
    email: Text | None = None
    phone: Annotated[str, StringConstraints(max_length=24)] | None = None
    card: Annotated[str, StringConstraints(max_length=32)] | None = None
    consent_marketing: bool | None = None
    consent_wording: Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z._-]{1,32}$")] | None = Field(
        default=None,
        description="the version of the marketing wording the customer agreed to; needed to change "
        "consent_marketing (the customer's own act, kept as proof)",
    )


class CollectIn(Strict):
    customer: Annotated[Text, StringConstraints(min_length=1, max_length=200)] = Field(
        description="the collector's customer id, loyalty card, email or phone"
    )
    pickup_code: Annotated[str, StringConstraints(max_length=32)] | None = None


class OutboxStatus(BaseModel):
    last_seq: int
    acked_seq: int
    backlog: int


class StorageStatus(BaseModel):
    ok: bool = Field(description="False from a disk-full or I/O fault until the next committed write")
    fault: str | None = Field(description="disk_full, io_error, corrupt, cannot_open or read_only")
    detail: str | None = Field(description="what failed and what to do next")
    since: str | None = Field(description="when the unresolved fault was first seen (UTC)")
    free_bytes: int | None = Field(description="free space on the replica's file system")


class ClockHealth(BaseModel):
    skew_ms: int | None = Field(description="this box's clock minus the hub's, last measured (None: never)")
    rtt_ms: int | None = Field(description="round trip of that measurement (its uncertainty is half)")
    measured_at: str | None
    warning: str | None = Field(description="set when the skew is beyond VITRINE_EDGE_CLOCK_SKEW_WARN_S")
    hlc_lead_ms: int = Field(
        description="how far the HLC runs ahead of this box's clock (after a correction)"
    )


class Health(BaseModel):
    status: Literal["ok", "degraded", "recovery-needed"]
    store_id: str
    schema_version: int
    outbox_backlog: int
    bootstrap: dict[str, Any] | None = Field(
        default=None, description="bootstrap from the hub: state, phase, selling, percent, sections"
    )
    storage: StorageStatus
    recovery: str | None = None
    resend_unavailable: int | None = None
    clock: ClockHealth | None = None
