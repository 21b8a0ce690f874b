"""What store services may ask the cloud while online (implemented over sync RPC by the edge app).

Every method answers ``None`` when the cloud cannot be reached, so each service has an offline rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


class OrderDirectory(Protocol):
    def order_for_return(self, order_id: str) -> dict[str, Any] | None:
        """The cloud's view of an online order (``kind, customer_id, state, lines:[{sku, qty,
        unit_cents}], total_cents, channel``), ``None`` when offline.

        Raises :class:`edge.errors.NotFound` when the cloud answers that no such order exists."""
        ...

    def has_refund_authority(self) -> bool:
        """True when this store syncs with a hub, which then decides what is still returnable on
        every sold line; False for a standalone store (its replica is the only record)."""
        ...

    def reserve_return(
        self, return_id: str, receipt_id: str, lines: dict[str, int], own_sold: dict[str, int] | None
    ) -> dict[str, Any] | None:
        """Ask the hub to reserve the quantities of a return (``returns.reserve``): the answer is
        ``{approved, reason, remaining, points_reversed}``, ``None`` when the hub cannot be reached.
        ``own_sold`` (this store's own receipt: what it sold) lets the hub record a return of a sale
        whose op has not reached it yet."""
        ...


@dataclass(frozen=True)
class LoyaltySnapshot:
    """The hub's balance including every ledger entry it holds, all older than ``as_of_hlc``."""

    points: int
    as_of_hlc: str


@dataclass(frozen=True)
class CloudCustomer:
    """One customer as the cloud knows them (``customers.lookup``), validated at the boundary.

    ``fields`` are profile fields (name, email, phone, card, consent_marketing) and ``field_hlc``
    the HLC stamp of each, so the replica merges them last-writer-wins like a downlinked
    ``customer.upsert``. ``customer_id`` is canonical (the survivor after cloud merges)."""

    customer_id: str
    fields: dict[str, Any]
    field_hlc: dict[str, str]
    identities: list[tuple[str, str]]
    created_at: str
    loyalty: LoyaltySnapshot | None
    consent_proof: dict[str, Any] | None = None  # {granted, at, channel, wording_version}


class CustomerDirectory(Protocol):
    def customer_for_lookup(
        self, *, kind: str | None = None, value: str | None = None, customer_id: str | None = None
    ) -> CloudCustomer | None:
        """The cloud's record of the customer with identity ``kind:value`` (or ``customer_id``);
        ``None`` when the cloud cannot be reached.

        Raises :class:`edge.errors.NotFound` when the cloud answers that it knows no such customer."""
        ...
