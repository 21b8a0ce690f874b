"""Restore from the cloud: a replica that went back in time catches up with what the hub holds.

When the hub holds ops of this store that the replica lost (restored from an older backup, emptied,
a damaged file replaced), the node stops writing ops (``Replica.recovery``). This module repairs it
from the hub's copy of the store's own stream, fetched page by page (``sync.history``):

* every op the hub holds and the replica does not is written back into the outbox under its own
  number, acknowledged, and its effect re-applied to the replica's state (sales, returns, stock,
  loyalty, customers, orders, reservations, wish lists);
* every op the replica made after the backup that the hub never received keeps its effect and is
  moved after the hub's mark, so it is sent next — nothing sold since the restore is lost;
* the outbox's acknowledged mark becomes the hub's, and the node may sell again.

The downlink (catalog, prices, orders, ...) needs no step here: the hub notices the replica's lower
mark and sends those ops again (``sync.uplink``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from edge.errors import StorageError
from edge.replica.database import Replica, Tx, op_from_row
from edge.replica.inbox import ReplicaInbox
from sync.ops import Op, op_id

FetchPage = Callable[[int, int], tuple[int, list[Op]]]  # (after, limit) -> (hub mark, ops)
Progress = Callable[[int, int], None]  # (ops fetched, hub mark)
PAGE = 2000


@dataclass(frozen=True)
class RecoveryReport:
    hub_mark: int
    recovered: int  # ops the hub held that were written back here
    moved: int  # ops made here that the hub never had, now numbered after its mark
    local_mark: int  # the replica's last seq before the repair


def restore_from_cloud(
    replica: Replica, fetch: FetchPage, progress: Progress | None = None
) -> RecoveryReport:
    reader = replica.reader()
    acked = int(reader.execute("SELECT seq FROM outbox_ack WHERE id = 1").fetchone()[0])
    local_last = int(reader.execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()[0])
    hub_mark, _ = fetch(0, 1)
    start = min(acked, hub_mark)
    hub_ops: list[Op] = []
    after = start
    while after < hub_mark:
        hub_mark, page = fetch(after, PAGE)
        if not page:
            break
        hub_ops.extend(page)
        after = page[-1].seq
        if progress:
            progress(len(hub_ops), hub_mark)
    if hub_ops and [op.seq for op in hub_ops] != list(range(start + 1, start + 1 + len(hub_ops))):
        raise StorageError("the hub's copy of this store's stream has holes; contact support")
    mine = [op_from_row(replica.store_id, row) for row in reader.execute(
        "SELECT seq, hlc, type, v, body FROM outbox WHERE seq > ? ORDER BY seq", (start,)
    )]  # fmt: skip
    held = {op.hlc for op in hub_ops}
    local = {op.hlc for op in mine}
    lost = [op for op in hub_ops if op.hlc not in local]
    fresh = [op for op in mine if op.hlc not in held]
    inbox = ReplicaInbox(replica)
    with replica.write() as tx:
        _renumber_effects(tx, fresh, first_new=max(hub_mark, local_last) + 1)
        tx.execute("DELETE FROM outbox WHERE seq > ?", (start,))
        for op in hub_ops:
            _insert(tx, op)
        for op in lost:
            _apply(tx, inbox, op)
        for n, op in enumerate(fresh, start=1):
            _insert(tx, Op(op.origin, hub_mark + n, op.hlc, op.type, op.body, op.v))
        tx.execute("UPDATE outbox_ack SET seq = ? WHERE id = 1", (hub_mark,))
        tx.execute("DELETE FROM sync_recovery")
    replica.recovery = None
    return RecoveryReport(hub_mark, len(lost), len(fresh), local_last)


def _insert(tx: Tx, op: Op) -> None:
    tx.execute(
        "INSERT INTO outbox (seq, op_id, hlc, type, v, body) VALUES (?, ?, ?, ?, ?, ?)",
        (op.seq, op.id, op.hlc, op.type, op.v, json.dumps(op.body, separators=(",", ":"))),
    )


def _renumber_effects(tx: Tx, fresh: list[Op], first_new: int) -> None:
    """Stock rows are keyed by their op's id: move them to the new numbers (via temporary keys, so
    they never collide with the rows the recovered ops are about to write)."""
    hub_mark = first_new - 1
    for table in ("stock_deltas", "stock_counts"):
        for op in fresh:
            tx.execute(f"UPDATE {table} SET op_id = ? WHERE op_id = ?", (f"moving:{op.id}", op.id))
    for n, op in enumerate(fresh, start=1):
        new = op_id(op.origin, hub_mark + n)
        for table in ("stock_deltas", "stock_counts"):
            tx.execute(f"UPDATE {table} SET op_id = ? WHERE op_id = ?", (new, f"moving:{op.id}"))


def _apply(tx: Tx, inbox: ReplicaInbox, op: Op) -> None:
    own = _OWN_HANDLERS.get(op.type)
    if own is not None:
        own(tx, op)
    else:
        inbox.apply_effect(tx, op)


def _return(tx: Tx, op: Op) -> None:
    b = op.body
    if tx.one("SELECT 1 FROM returns WHERE return_id = ?", (str(b["return_id"]),)) is not None:
        return
    tx.execute(
        "INSERT INTO returns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        (str(b["return_id"]), b.get("receipt_id"), str(b.get("store") or op.origin), str(b["channel"]),
         b.get("customer_id"), str(b["at"]), op.hlc, int(b["refund_cents"]), int(b.get("points_reversed") or 0),
         op.origin),
    )  # fmt: skip
    for n, line in enumerate(b["lines"], start=1):
        tx.execute(
            "INSERT INTO return_lines VALUES (?, ?, ?, ?, ?)",
            (str(b["return_id"]), n, str(line["sku"]), int(line["qty"]), int(line.get("refund_cents") or 0)),
        )


def _order_transition(tx: Tx, op: Op) -> None:
    b = op.body
    tx.execute(
        "UPDATE orders SET state = ?, updated_at = ?, hlc = ? WHERE order_id = ? AND hlc < ?",
        (str(b["state"]), str(b["at"]), op.hlc, str(b["order_id"]), op.hlc),
    )


def _reservation(tx: Tx, op: Op) -> None:
    b = op.body
    tx.execute(
        "INSERT INTO reservations VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (reservation_id) DO UPDATE SET "
        "state = excluded.state, hlc = excluded.hlc WHERE excluded.hlc > reservations.hlc",
        (str(b["reservation_id"]), str(b["customer_id"]), str(b["sku"]), int(b["qty"]),
         str(b.get("created_at") or b["expires_at"]), str(b["expires_at"]), str(b["state"]), op.hlc),
    )  # fmt: skip


def _wishlist(tx: Tx, op: Op) -> None:
    b = op.body
    tx.execute(
        "INSERT INTO wishlist VALUES (?, ?, ?, ?) ON CONFLICT (customer_id, sku) "
        "DO UPDATE SET present = excluded.present, hlc = excluded.hlc WHERE excluded.hlc > wishlist.hlc",
        (str(b["customer_id"]), str(b["sku"]), 1 if b["present"] else 0, op.hlc),
    )


_OWN_HANDLERS: dict[str, Callable[[Tx, Op], None]] = {
    "return.recorded": _return,
    "order.transition": _order_transition,
    "reservation.set": _reservation,
    "wishlist.set": _wishlist,
}
