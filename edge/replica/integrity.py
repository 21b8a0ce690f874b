"""Integrity check of a replica: the invariants a crash must never break.

* SQLite's own ``PRAGMA integrity_check``;
* the outbox is contiguous from 1 and every op id is ``{store}:{seq}``;
* every local sale / return / stock movement / count / ledger entry has its op, and every such
  op has its row (so each sale is whole with its ops, or absent);
* every sale has its lines, as many as its op lists;
* stock per (sku, zone) and loyalty per customer, as the replica computes them, equal the fold
  (``sync.fold``) of the ops.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field

from edge.replica import queries as q
from sync.fold import fold_loyalty, fold_stock
from sync.ops import Op

MAX_LISTED = 20


@dataclass
class IntegrityReport:
    ok: bool = True
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    def fail(self, problem: str) -> None:
        self.ok = False
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)


def _ids(conn: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> set[str]:
    return {str(r[0]) for r in conn.execute(sql, params).fetchall()}


def _both_ways(report: IntegrityReport, what: str, rows: set[str], ops: set[str]) -> None:
    for missing in sorted(rows - ops)[:5]:
        report.fail(f"{what} {missing} has no op in the outbox")
    for orphan in sorted(ops - rows)[:5]:
        report.fail(f"outbox op for {what} {orphan} has no row")


def _op_from_row_id(op_id: str, hlc: str, type_: str, body: dict[str, object]) -> Op:
    origin, _, seq = op_id.rpartition(":")
    return Op(origin=origin, seq=int(seq), hlc=hlc, type=type_, body=body)


def check(conn: sqlite3.Connection, store: str) -> IntegrityReport:
    report = IntegrityReport()
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        report.fail(f"sqlite integrity_check: {result}")

    n, low, high = conn.execute(
        "SELECT count(*), coalesce(min(seq), 1), coalesce(max(seq), 0) FROM outbox"
    ).fetchone()
    report.counts["outbox_ops"] = n
    acked = conn.execute("SELECT seq FROM outbox_ack WHERE id = 1").fetchone()[0]
    # Retention drops acknowledged ops from the start of the log: what is kept must be contiguous.
    if n and (high - low + 1 != n or (low != 1 and low > acked)):
        report.fail(f"outbox seq not contiguous: {n} ops span {low}..{high}")
    bad_ids = conn.execute("SELECT count(*) FROM outbox WHERE op_id != ? || ':' || seq", (store,)).fetchone()[
        0
    ]
    if bad_ids:
        report.fail(f"{bad_ids} outbox ops have an id that is not {store}:seq")

    def op_keys(type_: str, key: str) -> set[str]:
        return _ids(conn, f"SELECT json_extract(body, '$.{key}') FROM outbox WHERE type = ?", (type_,))

    local = f"{store}:%"
    # Rows older than the oldest kept op had their ops dropped by retention: not checked against them.
    kept = conn.execute("SELECT coalesce(min(hlc), '') FROM outbox").fetchone()[0] if low > 1 else ""
    sales = _ids(
        conn, "SELECT receipt_id FROM sales WHERE origin = ? AND baseline = 0 AND hlc >= ?", (store, kept)
    )
    report.counts["local_sales"] = len(sales)  # baseline (seeded) history has no ops by design
    _both_ways(report, "sale", sales, op_keys("sale.recorded", "receipt_id"))
    _both_ways(
        report, "return", _ids(conn, "SELECT return_id FROM returns WHERE origin = ? AND baseline = 0 AND hlc >= ?", (store, kept)),
        op_keys("return.recorded", "return_id"),
    )  # fmt: skip
    _both_ways(
        report, "stock delta", _ids(conn, "SELECT op_id FROM stock_deltas WHERE op_id LIKE ? AND hlc >= ?", (local, kept)),
        _ids(conn, "SELECT op_id FROM outbox WHERE type = 'stock.delta'"),
    )  # fmt: skip
    _both_ways(
        report, "stock count", _ids(conn, "SELECT op_id FROM stock_counts WHERE op_id LIKE ? AND hlc >= ?", (local, kept)),
        _ids(conn, "SELECT op_id FROM outbox WHERE type = 'stock.count'"),
    )  # fmt: skip
    _both_ways(
        report, "ledger entry", _ids(conn, "SELECT entry_id FROM loyalty_ledger WHERE origin = ? AND hlc >= ?", (store, kept)),
        op_keys("loyalty.entry", "entry_id"),
    )  # fmt: skip

    mismatched = conn.execute(
        """SELECT o.receipt_id FROM
             (SELECT json_extract(body, '$.receipt_id') AS receipt_id, json_array_length(body, '$.lines') AS n
                FROM outbox WHERE type = 'sale.recorded') o
           LEFT JOIN (SELECT receipt_id, count(*) AS n FROM sale_lines GROUP BY receipt_id) l
             ON l.receipt_id = o.receipt_id
           WHERE coalesce(l.n, 0) != o.n LIMIT 5"""
    ).fetchall()
    for row in mismatched:
        report.fail(f"sale {row[0]}: lines differ from its op")
    no_deltas = conn.execute(
        """SELECT s.receipt_id FROM sales s
           WHERE s.origin = ? AND s.baseline = 0
             AND (SELECT count(*) FROM sale_lines l WHERE l.receipt_id = s.receipt_id)
              != (SELECT count(*) FROM stock_deltas d WHERE d.ref = s.receipt_id AND d.reason = 'sale') LIMIT 5""",
        (store,),
    ).fetchall()
    for row in no_deltas:
        report.fail(f"sale {row[0]}: stock movements differ from its lines")

    _check_stock_fold(conn, store, report)
    _check_loyalty_fold(conn, report)
    return report


def _check_stock_fold(conn: sqlite3.Connection, store: str, report: IntegrityReport) -> None:
    ops: list[Op] = []
    for row in conn.execute("SELECT op_id, sku, zone, qty, hlc, session FROM stock_counts"):
        body = {"sku": row[1], "store": store, "zone": row[2], "qty": row[3], "session": row[5]}
        ops.append(_op_from_row_id(row[0], row[4], "stock.count", body))
    for row in conn.execute("SELECT op_id, sku, zone, qty, hlc, reason, ref FROM stock_deltas"):
        body = {"sku": row[1], "store": store, "zone": row[2], "qty": row[3], "reason": row[5], "ref": row[6]}
        ops.append(_op_from_row_id(row[0], row[4], "stock.delta", body))
    # The outbox copy must agree with the rows (same qty for the same op id).
    for op_id, qty in conn.execute(
        "SELECT o.op_id, d.qty FROM outbox o JOIN stock_deltas d ON d.op_id = o.op_id "
        "WHERE json_extract(o.body, '$.qty') != d.qty LIMIT 5"
    ).fetchall():
        report.fail(f"stock delta {op_id}: outbox qty differs from row ({qty})")
    folded = fold_stock(ops)
    report.counts["stock_cells"] = len(folded)
    wrong = 0
    for (sku, _store, zone), level in folded.items():
        kept, raw = q.stock_cell(conn, sku, zone), q.stock_cell_from_rows(conn, sku, zone)
        if kept != level.qty or raw != level.qty:
            wrong += 1
            report.fail(f"stock {sku}@{zone}: kept {kept}, from rows {raw}, fold {level.qty}")
    stray = conn.execute("SELECT count(*) FROM stock_levels").fetchone()[0] - len(folded)
    if stray:
        report.fail(f"{stray} stock level rows have no count or delta behind them")
    report.counts["stock_cells_wrong"] = wrong


def _check_loyalty_fold(conn: sqlite3.Connection, report: IntegrityReport) -> None:
    ops = [
        _op_from_row_id(
            f"ledger:{n}",
            row[4],
            "loyalty.entry",
            {"entry_id": row[0], "customer_id": row[1], "points": row[2]},
        )
        for n, row in enumerate(
            conn.execute("SELECT entry_id, customer_id, points, kind, hlc FROM loyalty_ledger"), start=1
        )
    ]
    folded = fold_loyalty(ops)
    snapshots = {str(r[0]) for r in conn.execute("SELECT customer_id FROM loyalty_balances")}
    report.counts["loyalty_customers"] = len(folded)
    for customer_id, balance in folded.items():
        if customer_id in snapshots:
            continue  # the cloud's snapshot replaces the older part of the ledger
        local = q.loyalty_balance(conn, customer_id)
        if local != balance.points:
            report.fail(f"loyalty {customer_id}: replica {local} != fold {balance.points}")
    outbox_entries = conn.execute(
        "SELECT o.op_id FROM outbox o JOIN loyalty_ledger l ON l.entry_id = json_extract(o.body, '$.entry_id') "
        "WHERE o.type = 'loyalty.entry' AND json_extract(o.body, '$.points') != l.points LIMIT 5"
    ).fetchall()
    for row in outbox_entries:
        report.fail(f"ledger op {row[0]}: points differ from the row")


def check_json_bodies(conn: sqlite3.Connection) -> int:
    """Number of outbox bodies that are not JSON objects (should be 0)."""
    bad = 0
    for (body,) in conn.execute("SELECT body FROM outbox"):
        try:
            if not isinstance(json.loads(body), dict):
                bad += 1
        except ValueError:
            bad += 1
    return bad
