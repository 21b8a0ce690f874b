"""Set-based projection of ``stock.delta`` and ``stock.count`` ops (a batch in a few statements).

Contract: the same ``stock``, ``stock_moves`` and ``stock_counts`` rows as applying the ops one by
one in HLC order (``sync.fold.fold_stock``): a cell's quantity is its latest count + the deltas
after it; ``oversold`` when the running quantity after that count ever went below zero; each new
count records the book quantity it replaced (the last count before it + the deltas between).
The result depends only on the set of moves recorded, never on how ops were cut into batches.
Ops whose move is already recorded (by op id) change nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, bindparam, func, insert, select, tuple_, update

from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore_many
from cloud.timefmt import day_of, normalise, utc_now_text
from sync.ops import Op

Key = tuple[str, str, str]
_CHUNK = 100


@dataclass(slots=True)
class _Cell:
    qty: int = 0
    last_count_hlc: str = ""
    oversold: bool = False
    newest: str = ""

    def fold(self, move: dict[str, Any], books: dict[str, int]) -> None:
        """Apply one move; moves must come in HLC order."""
        if move["kind"] == "count":
            books[move["op_id"]] = self.qty
            self.qty, self.last_count_hlc, self.oversold = int(move["qty"]), move["hlc"], False
        else:
            self.qty += int(move["qty"])
            self.oversold = self.oversold or self.qty < 0
        self.newest = max(self.newest, move["hlc"])


def _key(m: dict[str, Any]) -> Key:
    return (m["sku"], m["store"], m["zone"])


def _chunks(keys: list[Key]) -> list[list[Key]]:
    return [keys[i : i + _CHUNK] for i in range(0, len(keys), _CHUNK)]


def apply(conn: Connection, ops: Sequence[Op]) -> None:
    """Project the stock ops of one batch (deltas and counts, any order)."""
    fresh = _fresh_moves(conn, ops)
    if not fresh:
        return
    by_key: dict[Key, list[dict[str, Any]]] = defaultdict(list)
    for m in sorted(fresh, key=lambda m: m["hlc"]):
        by_key[_key(m)].append(m)
    keys = sorted(by_key)
    cells = _locked_cells(conn, keys)
    conn.execute(insert(s.stock_moves), fresh)

    states: dict[Key, _Cell] = {}
    refold: dict[Key, str] = {}
    books: dict[str, int] = {}
    for key in keys:
        moves, cell = by_key[key], cells[key]
        # Continuing from the stored cell is exact only when every new move is a delta after
        # everything already recorded for the cell (the common, in-order case).
        if all(m["kind"] == "delta" for m in moves) and moves[0]["hlc"] > cell.newest:
            state = _Cell(cell.qty, cell.last_count_hlc, cell.oversold, cell.newest)
            for m in moves:
                state.fold(m, books)
            states[key] = state
        else:
            refold[key] = moves[0]["hlc"]
    if refold:
        states.update(_refold(conn, refold, cells, books))
    _write_cells(conn, states)
    counts = [op for op in ops if op.type == "stock.count" and op.id in books]
    fresh_ids = {m["op_id"] for m in fresh}
    _record_counts(conn, [op for op in counts if op.id in fresh_ids], books)


def _fresh_moves(conn: Connection, ops: Sequence[Op]) -> list[dict[str, Any]]:
    ids = [op.id for op in ops]
    known = {
        str(v)
        for v in conn.execute(select(s.stock_moves.c.op_id).where(s.stock_moves.c.op_id.in_(ids))).scalars()
    }
    out: list[dict[str, Any]] = []
    for op in ops:
        if op.id in known:
            continue
        known.add(op.id)
        b = op.body
        out.append(
            {
                "op_id": op.id,
                "sku": str(b["sku"]),
                "store": str(b["store"]),
                "zone": str(b.get("zone") or ""),
                "hlc": op.hlc,
                "kind": "count" if op.type == "stock.count" else "delta",
                "qty": int(b["qty"]),
                "reason": b.get("reason"),
            }
        )
    return out


def _locked_cells(conn: Connection, keys: list[Key]) -> dict[Key, _Cell]:
    """The cells of ``keys`` (new ones created empty), safe to rewrite with absolute values:
    on PostgreSQL they are locked (in key order, so concurrent batches cannot deadlock) before
    they are read; SQLite's ``BEGIN IMMEDIATE`` already serialises writers."""
    st = s.stock
    if conn.dialect.name != "postgresql":
        cells = _stored_cells(conn, keys)
        missing = [k for k in keys if k not in cells]
        _create_cells(conn, missing)
        cells.update((k, _Cell()) for k in missing)
        return cells
    _create_cells(conn, keys)
    lock = (
        select(st.c.sku)
        .where(tuple_(st.c.sku, st.c.store, st.c.zone).in_(bindparam("keys", expanding=True)))
        .order_by(st.c.sku, st.c.store, st.c.zone)
        .with_for_update()
    )
    for chunk in _chunks(keys):
        conn.execute(lock, {"keys": chunk}).all()
    return _stored_cells(conn, keys)  # read after the locks: sees every committed move


def _create_cells(conn: Connection, keys: list[Key]) -> None:
    empty = {"qty": 0, "last_count_hlc": "", "oversold": False, "updated_hlc": ""}
    rows = [{"sku": k[0], "store": k[1], "zone": k[2], **empty} for k in keys]
    insert_ignore_many(conn, s.stock, rows, ["sku", "store", "zone"])


def _stored_cells(conn: Connection, keys: list[Key]) -> dict[Key, _Cell]:
    """Stored cells, ``newest`` = greatest recorded move HLC (a cell exists once it has a move)."""
    st, mv = s.stock, s.stock_moves
    newest = (
        select(func.max(mv.c.hlc))
        .where(mv.c.sku == st.c.sku, mv.c.store == st.c.store, mv.c.zone == st.c.zone)
        .scalar_subquery()
    )
    query = select(
        st.c.sku, st.c.store, st.c.zone, st.c.qty, st.c.last_count_hlc, st.c.oversold, newest
    ).where(tuple_(st.c.sku, st.c.store, st.c.zone).in_(bindparam("keys", expanding=True)))
    out: dict[Key, _Cell] = {}
    for chunk in _chunks(keys):
        for sku, store, zone, qty, last, oversold, hlc in conn.execute(query, {"keys": chunk}):
            out[(str(sku), str(store), str(zone))] = _Cell(
                int(qty), str(last or ""), bool(oversold), str(hlc or "")
            )
    return out


def _refold(
    conn: Connection, first_new: dict[Key, str], cells: dict[Key, _Cell], books: dict[str, int]
) -> dict[Key, _Cell]:
    """Refold each cell from the last count before its earliest new move (or from nothing).

    Runs before the cells are rewritten: ``stock.last_count_hlc`` is still the stored last count,
    the right start for every cell whose new moves all come after it."""
    mv, st = s.stock_moves, s.stock
    states = {key: _Cell() for key in first_new}
    late = sorted(k for k, first in first_new.items() if k in cells and first <= cells[k].last_count_hlc)
    current = sorted(k for k in first_new if k not in late)
    since_cell_count = and_(
        mv.c.sku == st.c.sku,
        mv.c.store == st.c.store,
        mv.c.zone == st.c.zone,
        mv.c.hlc >= st.c.last_count_hlc,
    )
    since_last_count = (  # driven from the cells (primary key), then the moves index per cell
        select(mv.c.op_id, mv.c.sku, mv.c.store, mv.c.zone, mv.c.hlc, mv.c.kind, mv.c.qty)
        .select_from(st.join(mv, since_cell_count))
        .where(tuple_(st.c.sku, st.c.store, st.c.zone).in_(bindparam("keys", expanding=True)))
        .order_by(mv.c.hlc)
    )
    for chunk in _chunks(current):
        for row in conn.execute(since_last_count, {"keys": chunk}).mappings():
            m = dict(row)
            states[_key(m)].fold(m, books)
    last_count_before = (
        select(func.coalesce(func.max(mv.c.hlc), ""))
        .where(*_same_key(mv), mv.c.kind == "count", mv.c.hlc < bindparam("before"))
        .scalar_subquery()
    )
    late_moves = (
        select(mv.c.op_id, mv.c.sku, mv.c.store, mv.c.zone, mv.c.hlc, mv.c.kind, mv.c.qty)
        .where(*_same_key(mv), mv.c.hlc >= last_count_before)
        .order_by(mv.c.hlc)
    )
    for key in late:  # a move older than the stored last count: rare, one query per cell
        params = {"k_sku": key[0], "k_store": key[1], "k_zone": key[2], "before": first_new[key]}
        for row in conn.execute(late_moves, params).mappings():
            states[key].fold(dict(row), books)
    return states


def _same_key(table: Any) -> list[Any]:
    return [
        table.c.sku == bindparam("k_sku"),
        table.c.store == bindparam("k_store"),
        table.c.zone == bindparam("k_zone"),
    ]


def _write_cells(conn: Connection, states: dict[Key, _Cell]) -> None:
    st = s.stock
    conn.execute(
        update(st)
        .where(
            st.c.sku == bindparam("k_sku"),
            st.c.store == bindparam("k_store"),
            st.c.zone == bindparam("k_zone"),
        )
        .values(
            qty=bindparam("qty"),
            last_count_hlc=bindparam("last_count_hlc"),
            oversold=bindparam("oversold"),
            updated_hlc=bindparam("updated_hlc"),
        ),
        [
            {
                "k_sku": k[0],
                "k_store": k[1],
                "k_zone": k[2],
                "qty": c.qty,
                "last_count_hlc": c.last_count_hlc,
                "oversold": c.oversold,
                "updated_hlc": c.newest,
            }
            for k, c in sorted(states.items())
        ],
    )


def _record_counts(conn: Connection, counts: list[Op], books: dict[str, int]) -> None:
    rows: list[dict[str, Any]] = []
    for op in counts:
        b = op.body
        at = normalise(str(b.get("at") or utc_now_text()))
        rows.append(
            {
                "op_id": op.id,
                "sku": str(b["sku"]),
                "store": str(b["store"]),
                "zone": str(b.get("zone") or ""),
                "session": b.get("session"),
                "at": at,
                "day": day_of(at),
                "counted": int(b["qty"]),
                "book": books[op.id],
            }
        )
    if rows:
        insert_ignore_many(conn, s.stock_counts, rows, ["op_id"])
