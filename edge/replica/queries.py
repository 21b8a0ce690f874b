"""Read queries over the replica, shared by services (inside a write transaction or on a reader).

Every function takes a plain ``sqlite3.Connection`` so the same code serves both paths.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from sync.hlc import Timestamp

Conn = sqlite3.Connection


def product(conn: Conn, sku: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM catalog WHERE sku = ?", (sku,)).fetchone()
    return row


def product_by_gtin(conn: Conn, gtin: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM catalog WHERE gtin = ?", (gtin,)).fetchone()
    return row


def effective_price(conn: Conn, sku: str, at: str) -> int | None:
    """Cents of the latest price version effective at ``at`` (ISO UTC)."""
    row = conn.execute(
        "SELECT cents FROM prices WHERE sku = ? AND effective_from <= ? "
        "ORDER BY effective_from DESC, version DESC LIMIT 1",
        (sku, at),
    ).fetchone()
    return int(row[0]) if row else None


def active_promotions(conn: Conn, sku: str, store: str, at: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM promotions WHERE sku = ? AND (store IS NULL OR store = ?) AND starts <= ? AND ends > ?",
        (sku, store, at, at),
    ).fetchall()


def stock_cell(conn: Conn, sku: str, zone: str) -> int:
    """Last count + deltas after it (HLC order) for one (sku, zone), as kept by the fold triggers."""
    row = conn.execute("SELECT qty FROM stock_levels WHERE sku = ? AND zone = ?", (sku, zone)).fetchone()
    return int(row[0]) if row else 0


def stock_cell_from_rows(conn: Conn, sku: str, zone: str) -> int:
    """The same figure computed from the raw count and delta rows (used to check the triggers)."""
    row = conn.execute(
        """SELECT coalesce(c.qty, 0) + coalesce(
               (SELECT sum(d.qty) FROM stock_deltas d
                 WHERE d.sku = ?1 AND d.zone = ?2 AND d.hlc > coalesce(c.hlc, '')), 0)
           FROM (SELECT 1) LEFT JOIN
                (SELECT qty, hlc FROM stock_counts WHERE sku = ?1 AND zone = ?2 ORDER BY hlc DESC LIMIT 1) c""",
        (sku, zone),
    ).fetchone()
    return int(row[0])


def stock_by_zone(conn: Conn, sku: str) -> dict[str, int]:
    rows = conn.execute("SELECT zone, qty FROM stock_levels WHERE sku = ? ORDER BY zone", (sku,)).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def stock_as_of(conn: Conn, sku: str) -> str | None:
    """ISO UTC time of the newest count or movement of ``sku`` here (by its HLC), or None."""
    row = conn.execute(
        "SELECT max(h) FROM (SELECT max(hlc) AS h FROM stock_counts WHERE sku = ?1 "
        "UNION ALL SELECT max(hlc) FROM stock_deltas WHERE sku = ?1)",
        (sku,),
    ).fetchone()
    if not row or not row[0]:
        return None
    wall = Timestamp.parse(str(row[0])).wall_ms / 1000
    return datetime.fromtimestamp(wall, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def on_hand(conn: Conn, sku: str) -> int:
    row = conn.execute("SELECT coalesce(sum(qty), 0) FROM stock_levels WHERE sku = ?", (sku,)).fetchone()
    return int(row[0])


def reserved(conn: Conn, sku: str, now: str) -> int:
    """Units of ``sku`` held here: active reservations, and this store's orders still ``placed``
    (the hub holds them from the moment it places the order; picking takes them off the shelf)."""
    row = conn.execute(
        "SELECT (SELECT coalesce(sum(qty), 0) FROM reservations WHERE sku = ?1 AND state = 'active' "
        "AND expires_at > ?2) + (SELECT coalesce(sum(json_extract(j.value, '$.qty')), 0) "
        "FROM orders o, json_each(o.lines) j WHERE o.state = 'placed' AND json_extract(j.value, '$.sku') = ?1)",
        (sku, now),
    ).fetchone()
    return int(row[0])


def customer(conn: Conn, customer_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM customers WHERE customer_id = ?", (customer_id,)
    ).fetchone()
    return row


def customer_by_identity(conn: Conn, kind: str, value: str) -> str | None:
    row = conn.execute(
        "SELECT customer_id FROM customer_identities WHERE kind = ? AND value = ?", (kind, value)
    ).fetchone()
    return str(row[0]) if row else None


def loyalty_balance(conn: Conn, customer_id: str) -> int:
    """The cloud's last balance snapshot plus ledger entries newer than it (or the whole ledger)."""
    row = conn.execute(
        """SELECT coalesce(b.balance, 0) + coalesce(
               (SELECT sum(points) FROM loyalty_ledger l
                 WHERE l.customer_id = ?1 AND l.hlc > coalesce(b.as_of_hlc, '')), 0)
           FROM (SELECT 1) LEFT JOIN (SELECT * FROM loyalty_balances WHERE customer_id = ?1) b""",
        (customer_id,),
    ).fetchone()
    return int(row[0])


def allowance_remaining(conn: Conn, customer_id: str, now: str) -> int:
    row = conn.execute(
        "SELECT coalesce(sum(points - used), 0) FROM loyalty_allowance WHERE customer_id = ? AND expires_at > ?",
        (customer_id, now),
    ).fetchone()
    return int(row[0])


def loyalty_rules(conn: Conn, at: str) -> dict[str, Any]:
    row = conn.execute(
        "SELECT * FROM loyalty_rules WHERE effective_from <= ? ORDER BY effective_from DESC, version DESC LIMIT 1",
        (at,),
    ).fetchone()
    if row is None:
        row = conn.execute("SELECT * FROM loyalty_rules ORDER BY version LIMIT 1").fetchone()
    rules = dict(row)
    rules["multipliers"] = json.loads(rules["multipliers"])
    return rules


def sale(conn: Conn, receipt_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM sales WHERE receipt_id = ?", (receipt_id,)
    ).fetchone()
    return row


def sale_lines(conn: Conn, receipt_id: str) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT l.*, coalesce(c.name, '') AS name FROM sale_lines l LEFT JOIN catalog c ON c.sku = l.sku "
        "WHERE l.receipt_id = ? ORDER BY l.line_no",
        (receipt_id,),
    ).fetchall()


def returned_qty(conn: Conn, receipt_id: str) -> dict[str, int]:
    rows = conn.execute(
        "SELECT rl.sku, sum(rl.qty) FROM returns r JOIN return_lines rl ON rl.return_id = r.return_id "
        "WHERE r.receipt_id = ? GROUP BY rl.sku",
        (receipt_id,),
    ).fetchall()
    return {str(r[0]): int(r[1]) for r in rows}


def returned_totals(conn: Conn, receipt_id: str) -> tuple[int, int]:
    """(refund cents, points reversed) already booked against ``receipt_id``."""
    row = conn.execute(
        "SELECT coalesce(sum(refund_cents), 0), coalesce(sum(points_reversed), 0) FROM returns WHERE receipt_id = ?",
        (receipt_id,),
    ).fetchone()
    return int(row[0]), int(row[1])


def order(conn: Conn, order_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute("SELECT * FROM orders WHERE order_id = ?", (order_id,)).fetchone()
    return row


def reservation(conn: Conn, reservation_id: str) -> sqlite3.Row | None:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM reservations WHERE reservation_id = ?", (reservation_id,)
    ).fetchone()
    return row
