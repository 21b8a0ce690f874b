"""What is still returnable on a sold line, and the points a return reverses (one rule for the
edge, the hub and the retail simulation).

A receipt or order sold ``sold[sku]`` units; the returns booked against it so far claimed
``claimed[sku]``. A new return of ``wanted`` is allowed when every line fits in what is left.
Points reversed on a receipt follow the share of its value returned so far, never above what the
receipt earned.
"""

from __future__ import annotations

from collections.abc import Mapping


def remaining(sold: Mapping[str, int], claimed: Mapping[str, int]) -> dict[str, int]:
    return {sku: max(0, qty - claimed.get(sku, 0)) for sku, qty in sold.items()}


def refusal(
    receipt_id: str, sold: Mapping[str, int], claimed: Mapping[str, int], wanted: Mapping[str, int]
) -> str | None:
    """Why ``wanted`` cannot be returned now, in words a cashier can act on; None when it can."""
    for sku, qty in wanted.items():
        if sold.get(sku, 0) <= 0:
            return f"{sku} is not on receipt {receipt_id}"
        left = sold[sku] - claimed.get(sku, 0)
        if left <= 0:
            return f"{sku} on receipt {receipt_id} was already returned"
        if qty > left:
            return f"only {left} × {sku} left to return on receipt {receipt_id}"
    return None


def points_to_reverse(
    earned: int,
    total_cents: int,
    *,
    value: Mapping[str, int],
    sold: Mapping[str, int],
    after: Mapping[str, int],
    reversed_before: int,
) -> int:
    """Points to reverse now so that the reversals on a receipt reach the share of its ``earned``
    points that the value returned so far (``after``: cumulative quantities) represents; the sum
    of reversals never exceeds ``earned``."""
    if earned <= 0 or total_cents <= 0:
        return 0
    returned_value = sum(value.get(sku, 0) * n // sold[sku] for sku, n in after.items() if sold.get(sku))
    target = min(earned, earned * returned_value // total_cents)
    return max(0, min(target, earned) - reversed_before)
