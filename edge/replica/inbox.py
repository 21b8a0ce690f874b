"""``sync.ports.Inbox`` over the replica: applies the cloud's ops exactly once.

Contract: ops are applied in seq order only while they extend the origin's high-water mark
contiguously; the applied ops and the new mark commit in ONE transaction. Already-applied ops are
skipped; anything beyond a gap waits for a resend. A malformed op aborts the whole batch
(nothing applied, mark unchanged) with :class:`sync.errors.MalformedOp`.

Extra op types (e.g. ``model.release``, owned by other components) are applied by handlers passed
to the constructor; they run inside the same transaction. Types with no handler are acknowledged
and ignored.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from edge.replica.customer_merge import apply_customer_fields, apply_remote_consent_proof
from edge.replica.database import Replica, Tx
from edge.replica.promotion_kinds import stored_promotion_kind
from sync.errors import ClockError, MalformedOp
from sync.gtin import try_canonical_gtin
from sync.hlc import Timestamp
from sync.instants import canonical_instant, instant_from_epoch
from sync.ops import Op

log = logging.getLogger(__name__)

OpHandler = Callable[[Tx, Op], None]


def _iso_of(hlc: str) -> str:
    return instant_from_epoch(Timestamp.parse(hlc).wall_ms / 1000)


def _instant(value: object) -> str:
    """An instant from the hub, in the replica's one text form (sync.instants): compared in SQL."""
    return canonical_instant(str(value))


class ReplicaInbox:
    def __init__(self, replica: Replica, extra_handlers: Mapping[str, OpHandler] | None = None) -> None:
        self._replica = replica
        self._store = replica.store_id
        self._handlers: dict[str, OpHandler] = {
            "catalog.checkpoint": self._catalog,
            "price.checkpoint": self._prices,
            "loyalty.rules": self._loyalty_rules,
            "loyalty.balance": self._loyalty_balance,
            "loyalty.allowance": self._loyalty_allowance,
            "stock.summary": self._stock_summary,
            "stock.delta": self._stock_delta,
            "stock.count": self._stock_count,
            "order.placed": self._order_placed,
            "order.transition": self._order_transition,
            "loyalty.entry": self._loyalty_entry,
            "customer.upsert": self._customer_upsert,
            "sale.recorded": self._sale_recorded,
        }
        self._handlers.update(extra_handlers or {})

    def high_water_mark(self, origin: str) -> int:
        row = (
            self._replica.reader().execute("SELECT seq FROM inbox_hwm WHERE origin = ?", (origin,)).fetchone()
        )
        return int(row[0]) if row else 0

    def fingerprint(self, origin: str) -> str | None:
        """The HLC of the op at the mark: lets a sender restored from a backup see it is behind."""
        row = (
            self._replica.reader().execute("SELECT hlc FROM inbox_hwm WHERE origin = ?", (origin,)).fetchone()
        )
        return str(row[0]) if row and row[0] else None

    def apply(self, origin: str, ops: Sequence[Op]) -> int:
        with self._replica.write() as tx:
            row = tx.one("SELECT seq, hlc FROM inbox_hwm WHERE origin = ?", (origin,))
            mark, mark_hlc = (int(row[0]), row[1]) if row else (0, None)
            for op in sorted(ops, key=lambda o: o.seq):
                if op.origin != origin:
                    raise MalformedOp(f"op {op.id} in a batch from {origin}")
                if op.seq <= mark:
                    continue
                if op.seq != mark + 1:
                    break
                # A cloud restored from a backup re-numbers the ops it queued after the restore; an op
                # already applied under its old number is recognised by its HLC and applied once.
                seen = tx.execute(
                    "INSERT OR IGNORE INTO inbox_seen (origin, hlc) VALUES (?, ?)", (origin, op.hlc)
                ).rowcount
                if seen:
                    self._apply_one(tx, op)
                mark, mark_hlc = op.seq, op.hlc
            tx.execute(
                "INSERT INTO inbox_hwm (origin, seq, hlc) VALUES (?, ?, ?) "
                "ON CONFLICT (origin) DO UPDATE SET seq = excluded.seq, hlc = excluded.hlc",
                (origin, mark, mark_hlc),
            )
        return mark

    def apply_effect(self, tx: Tx, op: Op) -> None:
        """Apply one op's effect on the replica's state (no mark, no de-duplication): used to write
        back this store's own ops recovered from the cloud (edge/replica/recovery.py)."""
        self._apply_one(tx, op)

    def _apply_one(self, tx: Tx, op: Op) -> None:
        # A clock far ahead must not poison our own readings; the op still applies.
        with contextlib.suppress(ClockError):
            self._replica.clock.observe(Timestamp.parse(op.hlc))
        handler = self._handlers.get(op.type)
        if handler is None:
            return
        try:
            handler(tx, op)
        except (KeyError, TypeError, ValueError) as err:
            raise MalformedOp(f"op {op.id} ({op.type}): bad body: {err!r}") from err

    # -- cloud-authoritative checkpoints --------------------------------------------------------
    def _newer_checkpoint(self, tx: Tx, kind: str, version: int, hlc: str) -> bool:
        row = tx.one("SELECT version FROM checkpoints WHERE kind = ?", (kind,))
        if row is not None and int(row[0]) >= version:
            return False
        tx.execute(
            "INSERT INTO checkpoints VALUES (?, ?, ?) ON CONFLICT (kind) DO UPDATE SET version = excluded.version, "
            "hlc = excluded.hlc",
            (kind, version, hlc),
        )
        return True

    def _catalog(self, tx: Tx, op: Op) -> None:
        version = int(op.body["version"])
        if not self._newer_checkpoint(tx, "catalog", version, op.hlc):
            return
        for item in op.body["items"]:
            sku, raw_gtin = str(item["sku"]), item.get("gtin")
            # stored as GTIN-14 whatever form an older hub sent; a code that is no GTIN finds nothing
            gtin = try_canonical_gtin(str(raw_gtin)) if raw_gtin else None
            if gtin:
                tx.execute("UPDATE catalog SET gtin = NULL WHERE gtin = ? AND sku != ?", (gtin, sku))
            tx.execute(
                "INSERT INTO catalog (sku, gtin, name, category, attributes, version) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (sku) DO UPDATE SET gtin = excluded.gtin, name = excluded.name, "
                "category = excluded.category, attributes = excluded.attributes, version = excluded.version",
                (
                    sku,
                    gtin,
                    str(item["name"]),
                    str(item.get("category") or ""),
                    json.dumps(item.get("attributes") or {}),
                    version,
                ),
            )

    def _prices(self, tx: Tx, op: Op) -> None:
        version = int(op.body["version"])
        if not self._newer_checkpoint(tx, "price", version, op.hlc):
            return
        effective = _instant(op.body["effective_from"])
        for price in op.body.get("prices", []):
            tx.execute(
                "INSERT OR REPLACE INTO prices VALUES (?, ?, ?, ?)",
                (str(price["sku"]), version, effective, int(price["cents"])),
            )
        for promo in op.body.get("promotions", []):
            if promo.get("store") not in (None, self._store):
                continue
            kind = stored_promotion_kind(str(promo["kind"]))
            if kind is None:  # never wedge the stream on a promotion this edge cannot price
                log.warning("price checkpoint %s: promotion %s of unknown kind %r skipped", version,
                            promo.get("promo_id"), promo["kind"])  # fmt: skip
                continue
            tx.execute(
                "INSERT OR REPLACE INTO promotions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(promo["promo_id"]),
                    str(promo["sku"]),
                    promo.get("store"),
                    kind,
                    int(promo["value"]),
                    _instant(promo["starts"]),
                    _instant(promo["ends"]),
                    version,
                ),
            )

    def _loyalty_rules(self, tx: Tx, op: Op) -> None:
        b = op.body
        tx.execute(
            "INSERT OR REPLACE INTO loyalty_rules VALUES (?, ?, ?, ?, ?, ?)",
            (
                int(b["version"]),
                _instant(b["effective_from"]),
                int(b["earn_per_unit_cents"]),
                json.dumps({str(k): float(v) for k, v in dict(b.get("multipliers") or {}).items()}),
                int(b.get("expiry_days") or 0),
                int(b.get("redeem_cents_per_point") or 1),
            ),
        )

    def _loyalty_balance(self, tx: Tx, op: Op) -> None:
        b = op.body
        tx.execute(
            "INSERT INTO loyalty_balances VALUES (?, ?, ?) ON CONFLICT (customer_id) DO UPDATE SET "
            "balance = excluded.balance, as_of_hlc = excluded.as_of_hlc WHERE excluded.as_of_hlc > as_of_hlc",
            (str(b["customer_id"]), int(b["balance"]), str(b["as_of_hlc"])),
        )

    def _loyalty_allowance(self, tx: Tx, op: Op) -> None:
        b = op.body
        if b["store"] != self._store:
            return
        tx.execute(
            "INSERT INTO loyalty_allowance (lease_id, customer_id, points, expires_at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (lease_id) DO UPDATE SET points = excluded.points, expires_at = excluded.expires_at",
            (str(b["lease_id"]), str(b["customer_id"]), int(b["points"]), _instant(b["expires_at"])),
        )

    def _stock_summary(self, tx: Tx, op: Op) -> None:
        """Another store's availability: a full summary replaces what we held for that store, a
        ``partial`` one updates only its skus (a figure of 0 or less removes the sku)."""
        store = str(op.body["store"])
        if store == self._store:
            return
        if not op.body.get("partial"):
            tx.execute("DELETE FROM stock_summary WHERE store = ?", (store,))
        default_as_of = _iso_of(op.hlc)
        figures = [
            (str(i["sku"]), int(i["qty"]), str(i.get("as_of") or default_as_of)) for i in op.body["items"]
        ]
        gone = [(store, sku) for sku, qty, _ in figures if qty <= 0]
        if gone:
            tx.conn.executemany("DELETE FROM stock_summary WHERE store = ? AND sku = ?", gone)
        tx.db.table("stock_summary").insert_all(
            (
                {"store": store, "sku": sku, "qty": qty, "hlc": op.hlc, "as_of": as_of}
                for sku, qty, as_of in figures
                if qty > 0
            ),
            replace=True,
        )

    # -- relayed ops ----------------------------------------------------------------------------
    def _stock_delta(self, tx: Tx, op: Op) -> None:
        b = op.body
        if b["store"] != self._store:
            return
        tx.execute(
            "INSERT OR IGNORE INTO stock_deltas VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                op.id,
                str(b["sku"]),
                str(b.get("zone") or ""),
                int(b["qty"]),
                str(b["reason"]),
                str(b.get("ref") or ""),
                op.hlc,
            ),
        )

    def _stock_count(self, tx: Tx, op: Op) -> None:
        b = op.body
        if b["store"] != self._store:
            return
        tx.execute(
            "INSERT OR IGNORE INTO stock_counts VALUES (?, ?, ?, ?, ?, ?)",
            (
                op.id,
                str(b["sku"]),
                str(b.get("zone") or ""),
                int(b["qty"]),
                op.hlc,
                str(b.get("session") or ""),
            ),
        )

    def _order_placed(self, tx: Tx, op: Op) -> None:
        b = op.body
        if b["store"] != self._store:
            return
        lines = [
            {"sku": str(x["sku"]), "qty": int(x["qty"]), "unit_cents": int(x["unit_cents"])}
            for x in b["lines"]
        ]
        tx.execute(
            "INSERT OR IGNORE INTO orders (order_id, kind, customer_id, store, channel, lines, total_cents, state, "
            "placed_at, updated_at, hlc, pickup_code) VALUES (?, ?, ?, ?, ?, ?, ?, 'placed', ?, ?, ?, ?)",
            (
                str(b["order_id"]),
                str(b["kind"]),
                str(b["customer_id"]),
                str(b["store"]),
                str(b.get("channel") or "online"),
                json.dumps(lines),
                int(b["total_cents"]),
                _instant(b["at"]),
                _instant(b["at"]),
                op.hlc,
                b.get("pickup_code"),
            ),
        )

    def _order_transition(self, tx: Tx, op: Op) -> None:
        """The cloud's cancel of one of this store's orders (the shop cancelled it online). It
        applies only while the order is still ``placed`` here: a store that already picked it keeps
        it, and its pick, reaching the hub, reinstates the order there (the store's pick wins)."""
        b = op.body
        if b["state"] != "cancelled" or b.get("store") != self._store:
            return
        tx.execute(
            "UPDATE orders SET state = 'cancelled', updated_at = ?, hlc = ? WHERE order_id = ? AND state = 'placed'",
            (_instant(b["at"]), op.hlc, str(b["order_id"])),
        )

    def _loyalty_entry(self, tx: Tx, op: Op) -> None:
        b = op.body
        tx.execute(
            "INSERT OR IGNORE INTO loyalty_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                str(b["entry_id"]),
                str(b["customer_id"]),
                str(b["kind"]),
                int(b["points"]),
                str(b.get("ref") or ""),
                str(b.get("channel") or ""),
                str(b.get("store") or ""),
                _instant(b["at"]) if b.get("at") else "",
                op.hlc,
                op.origin,
            ),
        )

    def _customer_upsert(self, tx: Tx, op: Op) -> None:
        fields: dict[str, Any] = dict(op.body["fields"])
        apply_customer_fields(
            tx, str(op.body["customer_id"]), fields, hlc=op.hlc, now=_iso_of(op.hlc), remote=True
        )
        if not fields.get("consent_at") and fields.get("consent_wording"):
            fields["consent_at"] = _iso_of(op.hlc)
        apply_remote_consent_proof(tx, str(op.body["customer_id"]), fields, hlc=op.hlc, origin=op.origin)

    def _sale_recorded(self, tx: Tx, op: Op) -> None:
        """Online sales, kept so a customer can return an online purchase in the store."""
        b = op.body
        receipt_id = str(b["receipt_id"])
        if tx.one("SELECT 1 FROM sales WHERE receipt_id = ?", (receipt_id,)) is not None:
            return
        tx.execute(
            "INSERT INTO sales VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0)",
            (
                receipt_id,
                str(b.get("store") or op.origin),
                str(b["channel"]),
                b.get("customer_id"),
                str(b.get("payment_ref") or ""),
                _instant(b["at"]),
                op.hlc,
                int(b["total_cents"]),
                int(b.get("points_earned") or 0),
                int(b.get("points_redeemed") or 0),
                op.origin,
            ),
        )
        for n, line in enumerate(b["lines"], start=1):
            tx.execute(
                "INSERT INTO sale_lines VALUES (?, ?, ?, ?, ?, ?, NULL, 0)",
                (
                    receipt_id,
                    n,
                    str(line["sku"]),
                    int(line["qty"]),
                    int(line["unit_cents"]),
                    int(line.get("discount_cents") or 0),
                ),
            )
