"""Pure pricing and loyalty arithmetic (no storage). Money in integer cents, points integers."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Promotion:
    promo_id: str
    kind: str  # percent | amount_off | price
    value: int


def unit_discount(unit_cents: int, promo: Promotion) -> int:
    """Discount per unit that ``promo`` gives, clamped to [0, unit_cents]."""
    if promo.kind == "percent":
        raw = unit_cents * promo.value // 100
    elif promo.kind == "amount_off":
        raw = promo.value
    elif promo.kind == "price":
        raw = unit_cents - promo.value
    else:
        raw = 0
    return max(0, min(unit_cents, raw))


def best_promotion(unit_cents: int, promos: Iterable[Promotion]) -> tuple[int, Promotion | None]:
    """The promotion giving the customer the largest discount per unit (promotions never stack)."""
    best: tuple[int, Promotion | None] = (0, None)
    for promo in promos:
        discount = unit_discount(unit_cents, promo)
        if discount > best[0]:
            best = (discount, promo)
    return best


def points_earned(paid_cents: int, channel: str, rules: Mapping[str, Any]) -> int:
    """Points for ``paid_cents`` on ``channel``: floor(paid / earn_per_unit_cents × multiplier)."""
    if paid_cents <= 0:
        return 0
    multiplier = float(rules.get("multipliers", {}).get(channel, 1.0))
    return max(0, math.floor(paid_cents * multiplier / int(rules["earn_per_unit_cents"]) + 1e-9))


def proportional_share(whole: int, part_num: int, part_den: int, rounding: str = "floor") -> int:
    """``whole × part_num / part_den`` rounded ("floor" or "half"), exact in integers."""
    if part_den <= 0:
        return 0
    if rounding == "half":
        return (2 * whole * part_num + part_den) // (2 * part_den)
    return whole * part_num // part_den
