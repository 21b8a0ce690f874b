"""Pure loyalty decisions (no I/O): online authorisation, allowance sizing, FIFO expiry (the hub
and the retail simulation use the same rules).

``reserved`` is what active allowances still hold for offline redemption in stores; those points
may not be spent online or leased again, which bounds double spending across offline stores by
the allowances themselves.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Decision:
    approved: bool
    reason: str
    available: int


def authorise_redemption(
    balance: int, reserved_elsewhere: int, own_allowance: int, requested: int
) -> Decision:
    """May a store redeem ``requested`` points now? ``own_allowance`` (the remainder of that store's
    lease) is part of what it may spend; allowances held by *other* stores are not."""
    available = max(0, balance - reserved_elsewhere)
    if requested <= 0:
        return Decision(False, "requested points must be positive", available)
    if requested > available:
        return Decision(False, "insufficient points", available)
    return Decision(True, "approved", available - requested)


def allowance_size(balance: int, reserved: int, requested: int) -> int:
    """Points a new lease may hold: at most what is neither spent nor already leased."""
    return max(0, min(requested, balance - reserved))


def expiring_points(credits_before_cutoff: int, debits_total: int) -> int:
    """FIFO expiry: debits consume the oldest credits first, so what expires is the part of the
    credits older than the cutoff that no debit has consumed."""
    return max(0, credits_before_cutoff - debits_total)
