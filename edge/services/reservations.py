"""Reservations: a customer holds stock for a while (kiosk "reserve for pickup").

States: active -> fulfilled (sold) | cancelled | expired. An active reservation past its expiry
reads as expired and can no longer be fulfilled. Reserving does not move stock; it lowers what is
*available* (on hand - active reservations).
"""

from __future__ import annotations

from datetime import timedelta

from edge.errors import Conflict, Invalid, NotFound
from edge.replica import queries as q
from edge.replica.database import Tx
from edge.services.context import StoreContext, id_from_hlc
from edge.services.models import ReservationView

MAX_QTY = 99


def _emit(tx: Tx, store: str, row: dict[str, object], state: str) -> None:
    op = tx.emit(
        "reservation.set",
        {
            "reservation_id": row["reservation_id"],
            "customer_id": row["customer_id"],
            "sku": row["sku"],
            "qty": row["qty"],
            "store": store,
            "expires_at": row["expires_at"],
            "state": state,
        },
    )
    tx.execute(
        "UPDATE reservations SET state = ?, hlc = ? WHERE reservation_id = ?",
        (state, op.hlc, row["reservation_id"]),
    )


def fulfil_reservation(
    tx: Tx, store: str, *, reservation_id: str, sku: str, qty: int, customer_id: str | None, now: str
) -> None:
    """Mark a reservation sold inside the sale's transaction. Raises NotFound/Conflict."""
    row = q.reservation(tx.conn, reservation_id)
    if row is None:
        raise NotFound(f"unknown reservation {reservation_id!r}")
    if row["state"] != "active":
        raise Conflict(f"reservation {reservation_id} is {row['state']}")
    if row["expires_at"] <= now:
        raise Conflict(f"reservation {reservation_id} expired at {row['expires_at']}")
    if row["sku"] != sku or qty > row["qty"]:
        raise Conflict(f"reservation {reservation_id} holds {row['qty']} × {row['sku']}, not {qty} × {sku}")
    if customer_id is not None and customer_id != row["customer_id"]:
        raise Conflict(f"reservation {reservation_id} belongs to another customer")
    _emit(tx, store, dict(row), "fulfilled")


class ReservationService:
    def __init__(self, ctx: StoreContext, max_hours: int = 72) -> None:
        self.ctx = ctx
        self.max_hours = max_hours

    def reserve(self, customer_id: str, sku: str, qty: int, hours: int) -> ReservationView:
        if not 1 <= qty <= MAX_QTY:
            raise Invalid(f"reservation quantity must be 1..{MAX_QTY}")
        if not 1 <= hours <= self.max_hours:
            raise Invalid(f"reservation lasts 1..{self.max_hours} hours")
        now = self.ctx.now_iso()
        expires = self.ctx.now_iso(timedelta(hours=hours))
        with self.ctx.replica.write() as tx:
            if q.customer(tx.conn, customer_id) is None:
                raise NotFound(f"unknown customer {customer_id!r}")
            if q.product(tx.conn, sku) is None:
                raise NotFound(f"unknown sku {sku!r}")
            available = q.on_hand(tx.conn, sku) - q.reserved(tx.conn, sku, now)
            if available < qty:
                raise Conflict(f"only {max(available, 0)} of {sku} available to reserve")
            hlc = tx.hlc()
            row = {
                "reservation_id": id_from_hlc("RS", hlc),
                "customer_id": customer_id,
                "sku": sku,
                "qty": qty,
                "created_at": now,
                "expires_at": expires,
                "state": "active",
                "hlc": hlc,
            }
            tx.execute(
                "INSERT INTO reservations VALUES (:reservation_id, :customer_id, :sku, :qty, :created_at, "
                ":expires_at, :state, :hlc)",
                row,
            )
            _emit(tx, self.ctx.store_id, row, "active")
        return self._view(row, now)

    def cancel(self, reservation_id: str) -> ReservationView:
        now = self.ctx.now_iso()
        with self.ctx.replica.write() as tx:
            row = q.reservation(tx.conn, reservation_id)
            if row is None:
                raise NotFound(f"unknown reservation {reservation_id!r}")
            if row["state"] != "active":
                raise Conflict(f"reservation {reservation_id} is already {row['state']}")
            _emit(tx, self.ctx.store_id, dict(row), "cancelled")
            updated = dict(row) | {"state": "cancelled"}
        return self._view(updated, now)

    def expire_due(self) -> int:
        """Persist the expiry of active reservations past their time (one op each). Returns how many."""
        now = self.ctx.now_iso()
        with self.ctx.replica.write() as tx:
            rows = tx.all("SELECT * FROM reservations WHERE state = 'active' AND expires_at <= ?", (now,))
            for row in rows:
                _emit(tx, self.ctx.store_id, dict(row), "expired")
        return len(rows)

    def get(self, reservation_id: str) -> ReservationView:
        row = q.reservation(self.ctx.replica.reader(), reservation_id)
        if row is None:
            raise NotFound(f"unknown reservation {reservation_id!r}")
        return self._view(dict(row), self.ctx.now_iso())

    def list(self, state: str | None = None, limit: int = 100) -> list[ReservationView]:
        now = self.ctx.now_iso()
        where, params = "", []
        if state == "active":
            where, params = "WHERE state = 'active' AND expires_at > ?", [now]
        elif state == "expired":
            where, params = "WHERE state = 'expired' OR (state = 'active' AND expires_at <= ?)", [now]
        elif state:
            where, params = "WHERE state = ?", [state]
        rows = (
            self.ctx.replica.reader()
            .execute(
                f"SELECT * FROM reservations {where} ORDER BY expires_at LIMIT ?", (*params, min(limit, 500))
            )
            .fetchall()
        )
        return [self._view(dict(r), now) for r in rows]

    @staticmethod
    def _view(row: dict[str, object], now: str) -> ReservationView:
        state = str(row["state"])
        if state == "active" and str(row["expires_at"]) <= now:
            state = "expired"
        return ReservationView(
            reservation_id=str(row["reservation_id"]),
            customer_id=str(row["customer_id"]),
            sku=str(row["sku"]),
            qty=int(str(row["qty"])),
            created_at=str(row["created_at"]),
            expires_at=str(row["expires_at"]),
            state=state,
        )
