"""Loyalty: the ledger (earn / redeem / reverse entries, each with a unique id), balance, allowance.

Balance = the cloud's last balance snapshot + ledger entries after it. Redemption: when the cloud
is reachable it authorises; offline, a store redeems only within the allowance the cloud leased.
"""

from __future__ import annotations

from typing import Protocol

from edge.errors import Conflict, NotFound
from edge.replica import queries as q
from edge.replica.database import Tx
from edge.services.context import StoreContext
from edge.services.models import LedgerEntry, LoyaltyView

HISTORY_LIMIT = 50


class LoyaltyAuthority(Protocol):
    """Online redemption authorisation by the cloud (implemented by the sync layer)."""

    def authorise_redeem(self, customer_id: str, points: int, entry_id: str) -> bool | None:
        """True/False: the cloud's decision. None: the cloud cannot be reached now (offline).

        ``entry_id`` is the id of the redeem ledger entry the sale will write; on approval the cloud
        may record it at once, so the store's later uplink of the same entry is a no-op."""
        ...


def write_entry(
    tx: Tx,
    store: str,
    *,
    entry_id: str,
    customer_id: str,
    kind: str,
    points: int,
    ref: str,
    channel: str,
    at: str,
) -> None:
    body = {
        "entry_id": entry_id,
        "customer_id": customer_id,
        "kind": kind,
        "points": points,
        "ref": ref,
        "channel": channel,
        "store": store,
        "at": at,
    }
    op = tx.emit("loyalty.entry", body)
    tx.execute(
        "INSERT INTO loyalty_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entry_id, customer_id, kind, points, ref, channel, store, at, op.hlc, store),
    )


def consume_allowance(tx: Tx, customer_id: str, points: int, now: str) -> None:
    """Use ``points`` from the customer's unexpired leases, earliest expiry first. Raises Conflict."""
    leases = tx.all(
        "SELECT lease_id, points - used AS left FROM loyalty_allowance "
        "WHERE customer_id = ? AND expires_at > ? AND points > used ORDER BY expires_at, lease_id",
        (customer_id, now),
    )
    if sum(int(r["left"]) for r in leases) < points:
        raise Conflict("offline: redemption exceeds the allowance leased by the cloud")
    remaining = points
    for lease in leases:
        take = min(remaining, int(lease["left"]))
        tx.execute(
            "UPDATE loyalty_allowance SET used = used + ? WHERE lease_id = ?", (take, lease["lease_id"])
        )
        remaining -= take
        if remaining == 0:
            break


class LoyaltyService:
    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx

    def view(self, customer_id: str, limit: int = HISTORY_LIMIT) -> LoyaltyView:
        conn = self.ctx.replica.reader()
        if q.customer(conn, customer_id) is None:
            raise NotFound(f"unknown customer {customer_id!r}")
        rows = conn.execute(
            "SELECT * FROM loyalty_ledger WHERE customer_id = ? ORDER BY hlc DESC LIMIT ?",
            (customer_id, limit),
        ).fetchall()
        return LoyaltyView(
            customer_id=customer_id,
            balance=q.loyalty_balance(conn, customer_id),
            allowance_remaining=q.allowance_remaining(conn, customer_id, self.ctx.now_iso()),
            history=[
                LedgerEntry(
                    entry_id=r["entry_id"],
                    kind=r["kind"],
                    points=r["points"],
                    ref=r["ref"],
                    channel=r["channel"],
                    store=r["store"],
                    at=r["at"],
                )
                for r in rows
            ],
        )
