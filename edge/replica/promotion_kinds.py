"""Promotion kinds: the hub's names on the wire (``sync.vocabulary.PROMOTION_KINDS``) and the ones the
replica stores (``promotions.kind``: percent | amount_off | price, see edge.services.pricing)."""

from __future__ import annotations

# one entry per sync.vocabulary.PROMOTION_KINDS (tests/edge/test_promotion_kinds.py checks it)
STORED = {"percent_off": "percent", "amount_off": "amount_off", "fixed_price": "price"}
LEGACY = {"percent": "percent", "price": "price"}  # the replica's own names, as older hubs sent them


def stored_promotion_kind(kind: str) -> str | None:
    """The replica's kind for a promotion kind received from the hub; None for an unknown one."""
    return STORED.get(kind) or LEGACY.get(kind)
