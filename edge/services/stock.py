"""Stock: receive, adjust (damage, shrink, correction), absolute counts, levels.

Stock per (sku, zone) = last count + deltas after it in HLC order (sync.fold); every movement is
a ``stock.delta`` op and every count a ``stock.count`` op, written with the row that records it.
Zones and how a count session replaces the book: :mod:`sync.zones`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from edge.errors import Invalid, NeedsConfirmation, NotFound
from edge.replica import queries as q
from edge.replica.database import Tx
from edge.services.context import StoreContext, age_s, id_from_hlc
from edge.services.models import CountResult, StockLevels, StockMovement, StoreFigure
from sync.zones import UNLOCATED

ADJUST_REASONS = frozenset({"damage", "shrink", "adjustment", "transfer"})
LARGE_ADJUSTMENT = 50  # units: a bigger manual change must be confirmed


@dataclass(frozen=True, slots=True)
class CountItem:
    sku: str
    qty: int


def record_delta(tx: Tx, store: str, *, sku: str, zone: str, qty: int, reason: str, ref: str) -> str:
    """Write one stock movement and its op in ``tx``; returns the op id."""
    op = tx.emit(
        "stock.delta", {"sku": sku, "store": store, "zone": zone, "qty": qty, "reason": reason, "ref": ref}
    )
    tx.execute(
        "INSERT INTO stock_deltas (op_id, sku, zone, qty, reason, ref, hlc) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (op.id, sku, zone, qty, reason, ref, op.hlc),
    )
    return op.id


def record_count(tx: Tx, store: str, *, sku: str, zone: str, qty: int, session: str) -> str:
    op = tx.emit("stock.count", {"sku": sku, "store": store, "zone": zone, "qty": qty, "session": session})
    tx.execute(
        "INSERT INTO stock_counts (op_id, sku, zone, qty, hlc, session) VALUES (?, ?, ?, ?, ?, ?)",
        (op.id, sku, zone, qty, op.hlc, session),
    )
    return op.id


def require_sku(tx: Tx, sku: str) -> None:
    if q.product(tx.conn, sku) is None:
        raise NotFound(f"unknown sku {sku!r}")


class StockService:
    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx

    def levels(self, sku: str) -> StockLevels:
        conn = self.ctx.replica.reader()
        if q.product(conn, sku) is None:
            raise NotFound(f"unknown sku {sku!r}")
        zones = q.stock_by_zone(conn, sku)
        on_hand = sum(zones.values())
        held = q.reserved(conn, sku, self.ctx.now_iso())
        others = conn.execute(
            "SELECT store, qty, as_of FROM stock_summary WHERE sku = ? AND store != ? AND qty > 0 "
            "ORDER BY qty DESC, store",
            (sku, self.ctx.store_id),
        ).fetchall()
        now = self.ctx.now()
        as_of = q.stock_as_of(conn, sku)
        return StockLevels(
            sku=sku,
            zones=zones,
            on_hand=on_hand,
            reserved=held,
            available=max(0, on_hand - held),
            oversold=max(0, -on_hand),
            as_of=as_of,
            age_s=age_s(as_of, now),
            other_stores={str(r[0]): int(r[1]) for r in others},
            elsewhere=[
                StoreFigure(store=str(r[0]), qty=int(r[1]), as_of=r[2], age_s=age_s(r[2], now))
                for r in others
            ],
        )

    def receive(self, sku: str, qty: int, zone: str | None = None, ref: str = "") -> StockMovement:
        """Goods in; without a location they land in the ``unlocated`` zone, which a full-store
        count reconciles (:mod:`sync.zones`)."""
        if qty < 1:
            raise Invalid("received quantity must be positive")
        return self._move(sku, qty, "receipt", zone or UNLOCATED, ref)

    def adjust(
        self,
        sku: str,
        qty: int,
        reason: str,
        zone: str | None = None,
        ref: str = "",
        *,
        counterpart: str | None = None,
        confirmed: bool = True,
    ) -> StockMovement:
        """A manual change of the book. A transfer names the other store (``counterpart``; the ref
        records "transfer to/from <store>"). Unless ``confirmed``, a change of more than
        LARGE_ADJUSTMENT units, or one taking the book below zero, raises NeedsConfirmation."""
        if reason not in ADJUST_REASONS:
            raise Invalid(f"adjustment reason must be one of {sorted(ADJUST_REASONS)}")
        if qty == 0:
            raise Invalid("adjustment quantity must not be zero")
        if reason == "transfer":
            if not counterpart:
                raise Invalid("a transfer needs the other store (counterpart)")
            if counterpart == self.ctx.store_id:
                raise Invalid("a transfer goes to or comes from another store, not this one")
            ref = f"transfer {'to' if qty < 0 else 'from'} {counterpart}" + (f" {ref}" if ref else "")
        elif counterpart:
            raise Invalid("only a transfer names another store")
        if not confirmed:
            conn = self.ctx.replica.reader()
            row = q.product(conn, sku)
            if row is None:
                raise NotFound(f"unknown sku {sku!r}")
            where = zone or self.ctx.default_zone
            level = q.stock_cell(conn, sku, where)
            if abs(qty) > LARGE_ADJUSTMENT or level + qty < 0:
                raise NeedsConfirmation(
                    f"This changes the stock of {row['name']} by {qty:+d} (from {level} to {level + qty} "
                    f"in {where}). Check the quantity, then confirm to record it."
                )
        return self._move(sku, qty, reason, zone, ref[:64])

    def _move(self, sku: str, qty: int, reason: str, zone: str | None, ref: str) -> StockMovement:
        zone = zone or self.ctx.default_zone
        with self.ctx.replica.write() as tx:
            require_sku(tx, sku)
            op_id = record_delta(tx, self.ctx.store_id, sku=sku, zone=zone, qty=qty, reason=reason, ref=ref)
            level = q.on_hand(tx.conn, sku)  # every zone
        return StockMovement(sku=sku, zone=zone, qty=qty, reason=reason, ref=ref, on_hand=level, op_id=op_id)

    def count(self, items: Sequence[CountItem], zone: str | None = None, session: str = "") -> CountResult:
        """Record absolute counts for a zone (one op per sku). All-or-nothing."""
        zone = zone or self.ctx.default_zone
        if not items:
            raise Invalid("a count needs at least one item")
        if len({i.sku for i in items}) != len(items):
            raise Invalid("each sku may appear once per count")
        if any(i.qty < 0 for i in items):
            raise Invalid("counted quantities cannot be negative")
        with self.ctx.replica.write() as tx:
            session = session or id_from_hlc("count", tx.hlc())
            for item in items:
                require_sku(tx, item.sku)
            op_ids = [
                record_count(tx, self.ctx.store_id, sku=i.sku, zone=zone, qty=i.qty, session=session)
                for i in items
            ]
        return CountResult(zone=zone, session=session, counted=len(items), op_ids=op_ids)
