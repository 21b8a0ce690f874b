"""Other stores' availability pushed to stores (``stock.summary``), live, for "available at store X".

How a figure travels: the transaction that changes what a store can promise (a stock op applied
by ingest, an order placed, picked or cancelled) calls :func:`mark`; a publisher on every hub
worker calls :func:`publish_round` a few times a second, which

* gives every store that never had one the full picture of every other store (one op per source
  store, replacing what the store held for it), then
* for each source store with pending marks whose turn has come, publishes ONE summary of only
  the changed skus (``partial``) to every other active store, and sets the source's next turn
  ``interval_s`` later. A burst of sales is coalesced into one summary per interval.

Each figure is ``{sku, qty, as_of}``: quantity on hand minus what placed orders hold (0 when none
is left, so the receiver drops it), and the time of the newest change it reflects.

Coordination between N workers is the database. A source's turn is claimed by a conditional
UPDATE of its ``summary_sources`` row (``next_at <= now``), which only publishers touch; in the same
transaction the publisher reads the pending marks, queues the ops, then clears the marks it
published only if no change came since (``version`` unchanged): a change is either in a summary or
still pending, never lost. Lock order, the same for every writer on PostgreSQL: the ``cloud``
journal and downlink rows before the marks (ingest and the web shop mark at the end of their
transaction; the publisher clears marks last), so they cannot deadlock.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, update

from cloud import downlink
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from cloud.timefmt import of_hlc, utc_now_text
from sync.hlc import HybridClock

MAX_ITEMS = 2000  # figures per op; a longer summary is cut into several ops
Figure = tuple[int, str]  # (qty, as_of)


@dataclass(frozen=True, slots=True)
class Round:
    full: int  # ops queued to stores that joined
    partial: int  # ops queued with changes
    sources: int  # source stores published this round


# -- marking (inside the transaction that changes a figure) ------------------------------------------
def mark(conn: Connection, changes: Mapping[tuple[str, str], str]) -> None:
    """Note that the figures of ``(store, sku)`` changed, ``as_of`` each change's time. Call it
    last in the transaction (after any cloud op was queued: see the lock order above)."""
    if not changes:
        return
    # One multi-row upsert per 500 marks, as plain SQL (the same text on SQLite and PostgreSQL):
    # this runs in every ingest batch, where a statement per row would cost more than the ingest.
    param = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
    true = "true" if conn.dialect.name == "postgresql" else "1"
    rows = [(store, sku, at) for (store, sku), at in sorted(changes.items())]
    for i in range(0, len(rows), 500):
        part = rows[i : i + 500]
        values = ", ".join([f"({param}, {param}, {param}, 1, {true})"] * len(part))
        conn.exec_driver_sql(
            f"INSERT INTO {_MARKS} (store, sku, as_of, version, pending) VALUES {values} "
            f"ON CONFLICT (store, sku) DO UPDATE SET version = {_MARKS}.version + 1, pending = {true}, "
            f"as_of = CASE WHEN excluded.as_of > {_MARKS}.as_of THEN excluded.as_of ELSE {_MARKS}.as_of END",
            tuple(x for row in part for x in row),
        )


_MARKS = s.availability_marks.name


def changes_of(
    ops: Iterable[Any], lines_of: Mapping[str, tuple[str, list[dict[str, Any]]]]
) -> dict[tuple[str, str], str]:
    """The figures ``ops`` change: stock ops by their (store, sku); order ops by their order's lines
    (``lines_of``: order id -> (store, lines)). ``as_of`` is the newest op's HLC wall time."""
    newest: dict[tuple[str, str], str] = {}

    def note(store: str, sku: str, hlc: str) -> None:
        key = (store, sku)
        if hlc > newest.get(key, ""):
            newest[key] = hlc

    for op in ops:
        if op.type in ("stock.delta", "stock.count"):
            note(str(op.body["store"]), str(op.body["sku"]), op.hlc)
        elif op.type in ("order.placed", "order.transition"):
            found = lines_of.get(str(op.body.get("order_id")))
            if found is not None:
                store, lines = found
                for line in lines:
                    note(store, str(line["sku"]), op.hlc)
    seconds: dict[str, str] = {}  # many changes share a second: convert each second once
    out: dict[tuple[str, str], str] = {}
    for key, hlc in newest.items():
        wall_s = hlc[:10]  # the HLC text starts with 13 digits of wall-clock milliseconds
        at = seconds.get(wall_s)
        if at is None:
            at = seconds[wall_s] = of_hlc(hlc)
        out[key] = at
    return out


# -- figures -------------------------------------------------------------------------------------------
def figures(
    conn: Connection, stores: list[str] | None, skus: list[str] | None = None
) -> dict[str, dict[str, Figure]]:
    """``{store: {sku: (available qty, as_of)}}`` for ``stores`` (None: every store holding stock):
    on hand minus what placed orders hold, with the time of the newest change (the mark, else the
    newest stock move). Skus with no row are absent."""
    st, ol, o, m = s.stock, s.order_lines, s.orders, s.availability_marks
    qty: dict[tuple[str, str], int] = defaultdict(int)
    newest: dict[tuple[str, str], str] = {}
    for part in _chunks(skus):
        on_hand = select(st.c.store, st.c.sku, func.sum(st.c.qty), func.max(st.c.updated_hlc))
        held = (
            select(ol.c.store, ol.c.sku, func.sum(ol.c.qty))
            .join(o, o.c.order_id == ol.c.order_id)
            .where(o.c.state == "placed")
        )
        marks = select(m.c.store, m.c.sku, m.c.as_of)
        if stores is not None:
            on_hand, held = on_hand.where(st.c.store.in_(stores)), held.where(ol.c.store.in_(stores))
            marks = marks.where(m.c.store.in_(stores))
        if part is not None:
            on_hand, held = on_hand.where(st.c.sku.in_(part)), held.where(ol.c.sku.in_(part))
            marks = marks.where(m.c.sku.in_(part))
        for store, sku, q, hlc in conn.execute(on_hand.group_by(st.c.store, st.c.sku)):
            qty[(str(store), str(sku))] += int(q)
            if hlc:
                newest[(str(store), str(sku))] = of_hlc(str(hlc))
        for store, sku, q in conn.execute(held.group_by(ol.c.store, ol.c.sku)):
            qty[(str(store), str(sku))] -= int(q)
        for store, sku, at in conn.execute(marks):
            key = (str(store), str(sku))
            if at > newest.get(key, ""):
                newest[key] = str(at)
    out: dict[str, dict[str, Figure]] = {store: {} for store in stores or ()}
    for (store, sku), q in qty.items():
        out.setdefault(store, {})[sku] = (q, newest.get((store, sku), ""))
    return out


def _chunks(skus: list[str] | None, size: int = 500) -> list[list[str] | None]:
    if skus is None:
        return [None]
    return [skus[i : i + size] for i in range(0, len(skus), size)]


def available(conn: Connection, stores: list[str]) -> dict[str, list[dict[str, int | str]]]:
    """Available quantity per sku for each of ``stores`` (positive quantities only), with ``as_of``."""
    return {
        store: [{"sku": sku, "qty": q, "as_of": at} for sku, (q, at) in sorted(items.items()) if q > 0]
        for store, items in figures(conn, stores).items()
    }


# -- publishing -----------------------------------------------------------------------------------------
def _summary_ops(
    store: str, items: list[dict[str, int | str]], partial: bool
) -> list[tuple[str, dict[str, Any]]]:
    """One summary as ops of at most MAX_ITEMS figures; when full, the first op replaces, the rest add."""
    parts = [items[i : i + MAX_ITEMS] for i in range(0, len(items), MAX_ITEMS)] or [[]]
    return [
        ("stock.summary", {"store": store, "items": part, **({"partial": True} if partial or i else {})})
        for i, part in enumerate(parts)
    ]


def push(
    conn: Connection, clock: HybridClock, sources: list[str] | None = None, targets: list[str] | None = None
) -> int:
    """Queue each source store's FULL summary to every other target store; returns ops queued.
    The manual override (``vitrine-cloud push-stock-summaries``): live summaries need no push."""
    active = downlink.active_stores(conn)
    sources = sources or active
    targets = [t for t in (targets or active) if t in active]
    items = available(conn, sources)
    queued = 0
    for target in targets:
        specs = [op for src in sources if src != target for op in _summary_ops(src, items[src], False)]
        downlink.queue(conn, target, downlink.new_ops(conn, clock, specs))
        queued += len(specs)
    return queued


WELCOME_PER_ROUND = 20  # newcomers per round: a hub upgraded under a large fleet catches up gradually


def welcome(conn: Connection, clock: HybridClock, limit: int = WELCOME_PER_ROUND) -> int:
    """Full summaries of every other store for each active store that never had them, and the
    newcomer's full summary to the stores welcomed in earlier rounds; returns ops queued."""
    active = downlink.active_stores(conn)
    known = set(conn.execute(select(s.summary_targets.c.store)).scalars())
    newcomers = [t for t in active if t not in known][:limit]
    if not newcomers:
        return 0
    items = available(conn, active)
    earlier = [t for t in active if t in known]  # newcomers of one round learn each other below
    queued = 0
    for new in newcomers:
        if not insert_ignore(conn, s.summary_targets, {"store": new, "full_at": utc_now_text()}, ["store"]):
            continue  # another worker welcomed it
        specs = [op for src in active if src != new for op in _summary_ops(src, items[src], False)]
        if specs:
            downlink.queue(conn, new, downlink.new_ops(conn, clock, specs))
            queued += len(specs)
        if earlier:
            ops = downlink.new_ops(conn, clock, _summary_ops(new, items[new], False))
            downlink.broadcast(conn, ops, earlier)
            queued += len(ops) * len(earlier)
    return queued


def due_sources(conn: Connection, now: float) -> list[str]:
    """Source stores with pending marks whose turn has come."""
    m, ss = s.availability_marks, s.summary_sources
    pending = select(m.c.store).where(m.c.pending.is_(True)).distinct().subquery()
    rows = conn.execute(
        select(pending.c.store)
        .outerjoin(ss, ss.c.store == pending.c.store)
        .where(func.coalesce(ss.c.next_at, 0.0) <= now)
        .order_by(pending.c.store)
    )
    return [str(r) for r in rows.scalars()]


def publish_source(conn: Connection, clock: HybridClock, store: str, now: float, interval_s: float) -> int:
    """If ``store``'s turn has come and no other worker took it, publish its changed figures to every
    other active store; returns the ops queued (0 when not claimed or nothing to say)."""
    ss, m = s.summary_sources, s.availability_marks
    insert_ignore(conn, ss, {"store": store, "next_at": 0.0, "published": 0}, ["store"])
    claimed = conn.execute(
        update(ss)
        .where(ss.c.store == store, ss.c.next_at <= now)
        .values(next_at=now + interval_s, published=ss.c.published + 1)
    ).rowcount
    if claimed != 1:
        return 0
    pending = {
        str(sku): int(version)
        for sku, version in conn.execute(
            select(m.c.sku, m.c.version).where(m.c.pending.is_(True), m.c.store == store)
        )
    }
    if not pending:
        return 0
    active = downlink.active_stores(conn)
    targets = [t for t in active if t != store]
    queued = 0
    if store in active and targets:  # otherwise nobody to tell: a newcomer gets the full picture
        current = figures(conn, [store], sorted(pending))[store]
        items: list[dict[str, int | str]] = []
        for sku in sorted(pending):
            q, at = current.get(sku, (0, ""))
            items.append({"sku": sku, "qty": max(0, q), "as_of": at or utc_now_text()})
        ops = downlink.new_ops(conn, clock, _summary_ops(store, items, True))
        downlink.broadcast(conn, ops, targets)
        queued = len(ops) * len(targets)
    conn.execute(  # last: a mark changed since we read it (other version) stays pending
        update(m)
        .where(m.c.store == store, m.c.sku == bindparam("k_sku"), m.c.version == bindparam("k_version"))
        .values(pending=False),
        [{"k_sku": sku, "k_version": version} for sku, version in sorted(pending.items())],
    )
    return queued


def publish_round(engine: Engine, clock: HybridClock, interval_s: float, now: float | None = None) -> Round:
    """One publisher round (any worker, any time): welcome new stores, publish every due source.
    Each source is published in its own short transaction."""
    now = time.time() if now is None else now
    with engine.connect() as conn:
        joined = _has_new_targets(conn)
        due = due_sources(conn, now)
    full = 0
    if joined:
        with engine.begin() as conn:
            full = welcome(conn, clock)
    partial = sources = 0
    for store in due:
        with engine.begin() as conn:
            queued = publish_source(conn, clock, store, now, interval_s)
        partial += queued
        sources += queued > 0
    return Round(full, partial, sources)


def _has_new_targets(conn: Connection) -> bool:
    st, t = s.stores, s.summary_targets
    missing = select(st.c.store_id).where(st.c.active.is_(True), st.c.store_id.not_in(select(t.c.store)))
    return conn.execute(missing.limit(1)).first() is not None
