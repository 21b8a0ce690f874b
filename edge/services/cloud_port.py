"""What store services may ask the cloud while online (implemented over sync RPC by the edge app).

Every method answers ``None`` when the cloud cannot be reached, so each service has an offline rule.
"""

from __future__ import annotations

from typing import Any, Protocol


class OrderDirectory(Protocol):
    def order_for_return(self, order_id: str) -> dict[str, Any] | None:
        """The cloud's view of an online order (``kind, customer_id, state, lines:[{sku, qty,
        unit_cents}], total_cents, channel``), ``None`` when offline.

        Raises :class:`edge.errors.NotFound` when the cloud answers that no such order exists."""
        ...
