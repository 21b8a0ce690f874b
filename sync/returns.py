"""What is still returnable on a sold line, and the points a return reverses (one rule for the
edge, the hub and the retail simulation).

A receipt or order sold ``sold[sku]`` units; the returns booked against it so far claimed
``claimed[sku]``. A new return of ``wanted`` is allowed when every line fits in what is left.
Each return reverses the share of the receipt's earned points that the value it adds represents,
never taking the reversals on the receipt above what it earned.
"""

from __future__ import annotations

from collections.abc import Mapping


def remaining(sold: Mapping[str, int], claimed: Mapping[str, int]) -> dict[str, int]:
    return {sku: max(0, qty - claimed.get(sku, 0)) for sku, qty in sold.items()}


REFUSAL_REASONS = ("not_sold", "already_returned", "only_left")


def refused(
    receipt_id: str,
    sold: Mapping[str, int],
    claimed: Mapping[str, int],
    wanted: Mapping[str, int],
    *,
    kind: str = "receipt",
) -> tuple[str, str] | None:
    """Why ``wanted`` cannot be returned now: ``(reason, words)`` — a code of
    :data:`REFUSAL_REASONS` (the pages translate it, header ``X-Vitrine-Reason``) and words a
    cashier can act on, naming a ``kind`` "receipt" or "order"; None when it can."""
    where = f"{kind} {receipt_id}"
    for sku, qty in wanted.items():
        if sold.get(sku, 0) <= 0:
            return "not_sold", f"{sku} is not on {where}"
        left = sold[sku] - claimed.get(sku, 0)
        if left <= 0:
            return "already_returned", f"{sku} on {where} was already returned"
        if qty > left:
            return "only_left", f"only {left} × {sku} left to return on {where}"
    return None


def refusal(
    receipt_id: str,
    sold: Mapping[str, int],
    claimed: Mapping[str, int],
    wanted: Mapping[str, int],
    *,
    kind: str = "receipt",
) -> str | None:
    """The words of :func:`refused`; None when ``wanted`` can be returned."""
    why = refused(receipt_id, sold, claimed, wanted, kind=kind)
    return None if why is None else why[1]


def returned_share(
    earned: int, total_cents: int, value: Mapping[str, int], sold: Mapping[str, int], qty: Mapping[str, int]
) -> int:
    """The points that the value of ``qty`` (cumulative quantities returned) represents."""
    if earned <= 0 or total_cents <= 0:
        return 0
    returned_value = sum(value.get(sku, 0) * n // sold[sku] for sku, n in qty.items() if sold.get(sku))
    return min(earned, earned * returned_value // total_cents)


def points_for_return(
    earned: int,
    total_cents: int,
    *,
    value: Mapping[str, int],
    sold: Mapping[str, int],
    before: Mapping[str, int],
    after: Mapping[str, int],
    reversed_known: int,
) -> int:
    """Points one return reverses: the share of the value it adds (``before`` → ``after``, cumulative
    quantities as the deciding side knows them), never taking the reversals known on the receipt
    above ``earned``. Incremental, so a reversal made elsewhere that has not arrived yet is not
    reversed a second time."""
    step = returned_share(earned, total_cents, value, sold, after) - returned_share(
        earned, total_cents, value, sold, before
    )
    return max(0, min(step, earned - reversed_known))
