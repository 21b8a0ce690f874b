"""Request bodies with their limits (bad input is a 422, never a 500)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from cloud.marketing.triggers import DEFAULT_DAYS

# Printable text without NUL (PostgreSQL text cannot hold it) and bounded in length.
Text = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f]+$")]
Id = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@+-]*$")
]
StoreId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]
When = Annotated[
    str, StringConstraints(min_length=10, max_length=40, pattern=r"^\d{4}-\d{2}-\d{2}[T ]?[0-9:.+Z-]*$")
]
Cents = Annotated[int, Field(ge=0, le=1_000_000_000)]
Qty = Annotated[int, Field(ge=1, le=1000)]
Points = Annotated[int, Field(ge=0, le=1_000_000_000)]


class Strict(BaseModel):
    """Request bodies: unknown fields refused, and no coercion (``true`` is not a quantity, ``"3"`` is
    not a number, ``1.0`` is not an int)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class StoreIn(Strict):
    store_id: StoreId
    name: Text
    bootstrap: bool = False  # true: answer with the provisioning bundle; the edge bootstraps from the hub


class CatalogEdit(Strict):
    name: Text | None = None
    category: Annotated[str, StringConstraints(max_length=120, pattern=r"^[^\x00-\x1f]*$")] | None = None
    gtin: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None  # any GTIN form
    active: bool | None = None


class PriceIn(Strict):
    sku: Id
    cents: Cents


class PriceListIn(Strict):
    name: Text
    effective_from: When
    prices: Annotated[list[PriceIn], Field(min_length=1, max_length=100_000)]


class PromotionIn(Strict):
    sku: Id
    store: StoreId | None = None
    kind: Literal["percent_off", "amount_off", "fixed_price"]
    value: Cents
    starts: When
    ends: When


class LoyaltyRulesIn(Strict):
    earn_per_unit_cents: Annotated[int, Field(ge=1, le=1_000_000)]
    multipliers: Annotated[
        dict[
            Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,32}$")],
            Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)],
        ],
        Field(max_length=20),
    ] = {}
    expiry_days: Annotated[int, Field(ge=1, le=36_500)]
    effective_from: When | None = None


class StockCountIn(Strict):
    sku: Id
    store: StoreId
    zone: Annotated[str, StringConstraints(max_length=32, pattern=r"^[a-z0-9_-]*$")] = ""
    qty: Annotated[int, Field(ge=0, le=1_000_000)]


class MergeIn(Strict):
    customer_a: Id
    customer_b: Id


class TriggerRunIn(Strict):
    not_seen_days: Annotated[int, Field(ge=1, le=3650)] = DEFAULT_DAYS["not_seen"]
    unused_days: Annotated[int, Field(ge=1, le=3650)] = DEFAULT_DAYS["points_unused"]
    expiring_within_days: Annotated[int, Field(ge=1, le=3650)] = DEFAULT_DAYS["points_expiring"]
    follow_up_days: Annotated[int, Field(ge=1, le=3650)] = DEFAULT_DAYS["post_purchase"]
    deliver: bool = False


class LineIn(Strict):
    sku: Id
    qty: Qty


class OrderIn(Strict):
    kind: Literal["home_delivery", "click_collect", "reserve_in_store", "ship_from_store"]
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=100)]
    customer_id: Id | None = None
    store: StoreId | None = None
    points_to_redeem: Points = 0
    address: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^[^\x00]+$")] | None = (
        None
    )


class ReturnIn(Strict):
    lines: Annotated[list[LineIn], Field(min_length=1, max_length=100)]


Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$")]
Phone = Annotated[str, StringConstraints(max_length=32, pattern=r"^\+?[0-9 ().-]{6,31}$")]
Card = Annotated[str, StringConstraints(max_length=64, pattern=r"^[A-Za-z0-9_-]{1,64}$")]


ConsentWording = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")]


class CustomerIn(Strict):
    name: Text | None = None
    email: Email | None = None
    phone: Phone | None = None
    card: Card | None = None
    consent_marketing: bool = False
    consent_wording: ConsentWording | None = None  # version of the wording the customer agreed to


class CustomerPatch(Strict):
    name: Text | None = None
    email: Email | None = None
    phone: Phone | None = None
    card: Card | None = None
    consent_marketing: bool | None = None
    consent_wording: ConsentWording | None = None  # required with consent_marketing


class IdentityIn(Strict):
    kind: Literal["email", "phone", "card"]
    value: Annotated[str, StringConstraints(min_length=1, max_length=254, pattern=r"^[^\x00-\x1f]+$")]


class AuthoriseIn(Strict):
    customer_id: Id
    points: Annotated[int, Field(ge=1, le=1_000_000_000)]
    entry_id: Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f]+$")]


class AllowanceIn(Strict):
    customer_id: Id
    points: Annotated[int, Field(ge=1, le=1_000_000_000)]


class ModelReleaseIn(Strict):
    stores: list[StoreId] | None = Field(default=None, max_length=1000)  # None: every active store


class ModelRollbackIn(Strict):
    stores: list[StoreId] = Field(min_length=1, max_length=1000)
