"""The hub as the one authority on what is still returnable on every sold line.

A sold line is a store or kiosk receipt line (``sale_lines``) or an online order line. Every
return, whichever store or channel takes it, is a *claim* of quantities on those lines
(``return_claims``, one row per return id and sku):

* online, a store asks :func:`reserve` before refunding (RPC ``returns.reserve``); the answer
  reserves the quantity under the store's return id, idempotently, so a second store (or the web
  shop) sees it at once;
* every ``return.recorded`` op merged later writes its claims too (:func:`record`, a no-op for a
  reserved return); a store that refunded offline beyond what was left is recorded in
  ``over_refunds`` (the report ``GET /admin/v1/returns/over-refunds``), never silently.

Points: the hub reverses the points of every return it reserves, with the entry
``reverse:{return_id}`` relayed to the returning store, on the cumulative value returned so far
minus every reversal it knows of, so reversals never exceed what the receipt earned. A store
reverses points itself only for its own receipt when offline (or when the hub has not received
that sale yet); if that takes the receipt's reversals above the points its returned lines earned,
each line counted at most once (an offline double refund), the hub caps them when the store's entry merges (:func:`cap_reversals`) and the report
shows earned, reversed and capped points.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select, text, update

from cloud import orders, projections
from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from cloud.timefmt import normalise, utc_now_text
from sync import returns as rules
from sync.hlc import HybridClock

RETURNABLE_ORDER_STATES = frozenset({"collected", "shipped", "returned"})


@dataclass(slots=True)
class Sold:
    """What one receipt or order sold, as the hub holds it."""

    receipt_id: str
    kind: str  # order | sale
    store: str | None
    customer_id: str | None
    channel: str
    state: str
    total_cents: int
    paid_cents: int
    points_earned: int
    qty: dict[str, int] = field(default_factory=dict)
    value: dict[str, int] = field(default_factory=dict)  # sku -> net cents of every unit sold
    lines: list[dict[str, Any]] = field(default_factory=list)


def sold(conn: Connection, receipt_id: str) -> Sold | None:
    order = orders.find(conn, receipt_id)
    if order is not None:
        earned = conn.execute(
            select(s.loyalty_ledger.c.points).where(s.loyalty_ledger.c.entry_id == f"order:{receipt_id}:earn")
        ).scalar()
        out = Sold(
            receipt_id,
            "order",
            order["store"],
            order["customer_id"],
            str(order["channel"]),
            str(order["state"]),
            int(order["total_cents"]),
            int(order["total_cents"]),
            int(earned or 0),
        )
        for line in order["lines"]:
            sku, qty = str(line["sku"]), int(line["qty"])
            out.qty[sku] = out.qty.get(sku, 0) + qty
            out.value[sku] = out.value.get(sku, 0) + qty * int(line["unit_cents"])
            out.lines.append(
                {"sku": sku, "qty": qty, "unit_cents": int(line["unit_cents"]), "discount_cents": 0}
            )
        return out
    sale = conn.execute(select(s.sales).where(s.sales.c.receipt_id == receipt_id)).mappings().first()
    if sale is None:
        return None
    total = int(sale["total_cents"])
    out = Sold(
        receipt_id,
        "sale",
        str(sale["store"]),
        sale["customer_id"],
        str(sale["channel"]),
        "collected",
        total,
        # points redeemed paid part of the receipt: the hub's rules redeem one cent per point
        max(0, total - int(sale["points_redeemed"] or 0)),
        int(sale["points_earned"]),
    )
    sl = s.sale_lines
    for line in conn.execute(
        select(sl.c.sku, sl.c.qty, sl.c.unit_cents, sl.c.discount_cents)
        .where(sl.c.receipt_id == receipt_id)
        .order_by(sl.c.line_no)
    ).mappings():
        sku, qty = str(line["sku"]), int(line["qty"])
        out.qty[sku] = out.qty.get(sku, 0) + qty
        out.value[sku] = out.value.get(sku, 0) + qty * int(line["unit_cents"]) - int(line["discount_cents"])
        out.lines.append(
            {"sku": sku, "qty": qty, "unit_cents": int(line["unit_cents"]),
             "discount_cents": int(line["discount_cents"])}
        )  # fmt: skip
    return out


def describe(conn: Connection, receipt_id: str) -> dict[str, Any]:
    """A receipt or order as a store needs it to take its return (``orders.lookup``); ``returned``:
    what every store and channel has taken back on it so far, by sku."""
    found = sold(conn, receipt_id)
    if found is None:
        raise NotFound(f"unknown receipt or order {receipt_id!r}")
    return {
        "order_id": receipt_id,
        "kind": found.kind,
        "customer_id": found.customer_id,
        "store": found.store,
        "channel": found.channel,
        "state": found.state,
        "lines": found.lines,
        "total_cents": found.total_cents,
        "paid_cents": found.paid_cents,
        "returned": claimed(conn, receipt_id),
    }


def claimed(conn: Connection, receipt_id: str) -> dict[str, int]:
    c = s.return_claims
    rows = conn.execute(
        select(c.c.sku, func.sum(c.c.qty)).where(c.c.receipt_id == receipt_id).group_by(c.c.sku)
    ).all()
    return {str(sku): int(qty) for sku, qty in rows}


def _lock(conn: Connection, receipt_id: str) -> None:
    """Serialise reservations of one receipt across hub workers (PostgreSQL; SQLite has one writer)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": "returns:" + receipt_id})


def _check_lines(lines: Any) -> dict[str, int]:
    if not isinstance(lines, list) or not lines:
        raise InvalidInput("lines must be a non-empty list of {sku, qty}")
    out: dict[str, int] = {}
    for line in lines:
        sku, qty = (line.get("sku"), line.get("qty")) if isinstance(line, dict) else (None, None)
        if (
            not isinstance(sku, str)
            or not isinstance(qty, int)
            or isinstance(qty, bool)
            or not 0 < qty <= 999
        ):
            raise InvalidInput("each line needs a sku and a quantity 1..999")
        if sku in out:
            raise InvalidInput(f"{sku} appears twice in one return")
        out[sku] = qty
    return out


def remaining(found: Sold, already: dict[str, int]) -> dict[str, int]:
    return rules.remaining(found.qty, already)


def _insert_claims(
    conn: Connection, return_id: str, receipt_id: str, *, store: str, wanted: dict[str, int], at: str
) -> bool:
    new = False
    for sku, qty in wanted.items():
        new = (
            insert_ignore(
                conn,
                s.return_claims,
                {
                    "return_id": return_id,
                    "sku": sku,
                    "receipt_id": receipt_id,
                    "store": store,
                    "qty": qty,
                    "at": at,
                },
                ["return_id", "sku"],
            )
            or new
        )
    return new


CAP_PREFIX = "reverse-cap:"


def _reversed(conn: Connection, receipt_id: str) -> int:
    """Points reversed on a receipt, net of the hub's caps (``reverse-cap:`` corrections)."""
    lg = s.loyalty_ledger
    own = select(s.returns.c.return_id).where(s.returns.c.receipt_id == receipt_id)
    total = conn.execute(
        select(func.coalesce(func.sum(lg.c.points), 0)).where(
            (lg.c.kind == "reverse") | lg.c.entry_id.startswith(CAP_PREFIX),
            (lg.c.ref == receipt_id) | lg.c.ref.in_(own),
        )
    ).scalar_one()
    return -int(total)


def _capped(conn: Connection, receipt_id: str) -> int:
    lg = s.loyalty_ledger
    total = conn.execute(
        select(func.coalesce(func.sum(lg.c.points), 0)).where(
            lg.c.entry_id.startswith(CAP_PREFIX), lg.c.ref == receipt_id
        )
    ).scalar_one()
    return int(total)


def _receipt_of(conn: Connection, ref: str) -> str | None:
    """The receipt or order a store's reversal names (its ``ref`` is the receipt or its return id)."""
    if orders.find(conn, ref) is not None:
        return ref
    if conn.execute(select(s.sales.c.receipt_id).where(s.sales.c.receipt_id == ref)).scalar() is not None:
        return ref
    found = conn.execute(select(s.returns.c.receipt_id).where(s.returns.c.return_id == ref)).scalar()
    return str(found) if found is not None else None


def _reversible(conn: Connection, found: Sold) -> int:
    """The most a receipt's reversals may take: the points of what was taken back, each line
    counted at most up to what it sold (a line refunded twice is one line's points, not two)."""
    taken = {sku: min(qty, found.qty.get(sku, 0)) for sku, qty in claimed(conn, found.receipt_id).items()}
    return rules.returned_share(found.points_earned, found.total_cents, found.value, found.qty, taken)


def cap_reversals(conn: Connection, clock: HybridClock, entries: Sequence[dict[str, Any]]) -> None:
    """Merged store reversals (``loyalty.entry`` bodies of kind reverse) that take a receipt's
    reversed points above what its returned lines earned (each line at most once: :func:`_reversible`)
    — an offline double refund — are capped: the hub books
    ``reverse-cap:{entry_id}`` (kind adjust, +the excess, ref the receipt), relayed to that store,
    and the over-refund report shows it. Idempotent by entry id."""
    for body in entries:
        receipt_id = _receipt_of(conn, str(body.get("ref") or ""))
        found = sold(conn, receipt_id) if receipt_id else None
        if found is None or receipt_id is None:
            continue
        excess = min(_reversed(conn, receipt_id) - _reversible(conn, found), -int(body["points"]))
        if excess <= 0:
            continue
        cap = {
            "entry_id": CAP_PREFIX + str(body["entry_id"]),
            "customer_id": str(body["customer_id"]),
            "kind": "adjust",
            "points": excess,
            "ref": receipt_id,
            "channel": body.get("channel") or "store",
            "store": body.get("store"),
            "at": utc_now_text(),
        }
        exists = conn.execute(
            select(s.loyalty_ledger.c.entry_id).where(s.loyalty_ledger.c.entry_id == cap["entry_id"])
        ).scalar()
        if exists is None:
            store = str(body["store"]) if body.get("store") else None
            projections.emit(conn, clock, [("loyalty.entry", cap)], store=store)


def reverse_points(
    conn: Connection,
    clock: HybridClock,
    found: Sold,
    return_id: str,
    *,
    before: dict[str, int],
    after: dict[str, int],
    store: str,
    at: str,
) -> int:
    """Write the hub's reversal for ``return_id`` (idempotent by entry id); returns its points."""
    entry_id = f"reverse:{return_id}"
    existing = conn.execute(
        select(s.loyalty_ledger.c.points).where(s.loyalty_ledger.c.entry_id == entry_id)
    ).scalar()
    if existing is not None:
        return -int(existing)
    if not found.customer_id:
        return 0
    share = rules.points_for_return(
        found.points_earned,
        found.total_cents,
        value=found.value,
        sold=found.qty,
        before=before,
        after=after,
        reversed_known=_reversed(conn, found.receipt_id),
    )
    if share <= 0:
        return 0
    entry = {
        "entry_id": entry_id,
        "customer_id": found.customer_id,
        "kind": "reverse",
        "points": -share,
        "ref": found.receipt_id,
        "channel": "store" if store != found.store or found.kind == "sale" else found.channel,
        "store": store,
        "at": at,
    }
    projections.emit(conn, clock, [("loyalty.entry", entry)], store=store)
    return share


def reserve(
    conn: Connection,
    clock: HybridClock,
    *,
    store: str,
    return_id: Any,
    receipt_id: Any,
    lines: Any,
    own_sold: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Reserve the quantities of one return (idempotent by ``return_id``).

    ``own_sold``: the calling store says the receipt is its own and what it sold on it; used only
    while the hub has not received that sale yet (the store is the authority on its own receipts).
    Likewise an order's pickup store may take it back while its hand-over (``collected``) is still
    on its way here.
    Answers ``{approved, reason, return_id, receipt_id, remaining, points_reversed, points_by}``
    (a refusal adds ``code``, one of :data:`sync.returns.REFUSAL_REASONS`):
    the hub reverses the points of every return it reserves (``points_by: hub``), so reversals from
    several stores add up to at most what the receipt earned; only for a receipt it has not
    received yet does the calling store reverse them itself (``points_by: store``)."""
    if not isinstance(return_id, str) or not 0 < len(return_id) <= 96:
        raise InvalidInput("return_id must be a string of 1-96 characters")
    if not isinstance(receipt_id, str) or not 0 < len(receipt_id) <= 96:
        raise InvalidInput("receipt_id must be a string of 1-96 characters")
    wanted = _check_lines(lines)
    _lock(conn, receipt_id)
    found = sold(conn, receipt_id)
    provisional = found is None and bool(own_sold)
    if found is None and own_sold:
        found = Sold(receipt_id, "sale", store, None, "store", "collected", 0, 0, 0, qty=dict(own_sold))
    if found is None:
        raise NotFound(f"unknown receipt or order {receipt_id!r}")
    # The pickup store is the authority on its own hand-over: its ``collected`` may still be on
    # its way here while it takes the goods back.
    handed_over_here = found.kind == "order" and found.store == store and found.state in ("placed", "picked")
    if found.kind == "order" and found.state not in RETURNABLE_ORDER_STATES and not handed_over_here:
        raise Conflict(
            f"order {receipt_id} is {found.state}; only collected or shipped orders can be returned"
        )
    answer: dict[str, Any] = {
        "return_id": return_id,
        "receipt_id": receipt_id,
        "points_by": "store" if provisional else "hub",
    }
    mine = conn.execute(
        select(s.return_claims.c.sku, s.return_claims.c.qty).where(s.return_claims.c.return_id == return_id)
    ).all()
    already = claimed(conn, receipt_id)
    if mine:  # a retried request: the same answer, nothing reserved twice
        if dict((str(k), int(v)) for k, v in mine) != wanted:
            raise Conflict(f"return {return_id} was already reserved with other lines")
        answer.update(approved=True, reason="already reserved", remaining=remaining(found, already))
        answer["points_reversed"] = _hub_points(conn, return_id)
        return answer
    why = rules.refused(
        receipt_id, found.qty, already, wanted, kind="order" if found.kind == "order" else "receipt"
    )
    if why is not None:
        answer.update(
            approved=False, code=why[0], reason=why[1], remaining=remaining(found, already), points_reversed=0
        )
        return answer
    at = utc_now_text()
    _insert_claims(conn, return_id, receipt_id, store=store, wanted=wanted, at=at)
    after = {sku: already.get(sku, 0) + wanted.get(sku, 0) for sku in set(already) | set(wanted)}
    points = 0
    if not provisional:
        points = reverse_points(
            conn, clock, found, return_id, before=already, after=after, store=store, at=at
        )
    answer.update(approved=True, reason="reserved", remaining=remaining(found, after), points_reversed=points)
    return answer


def _hub_points(conn: Connection, return_id: str) -> int:
    found = conn.execute(
        select(s.loyalty_ledger.c.points).where(s.loyalty_ledger.c.entry_id == f"reverse:{return_id}")
    ).scalar()
    return -int(found or 0)


def record(conn: Connection, body: dict[str, Any]) -> None:
    """Claims of a merged ``return.recorded`` op; flag an over-refund if the receipt is now
    refunded beyond what it sold (a store refunded offline what another had already taken back)."""
    receipt_id, return_id = str(body["receipt_id"]), str(body["return_id"])
    wanted: dict[str, int] = {}
    for line in body.get("lines") or []:
        wanted[str(line["sku"])] = wanted.get(str(line["sku"]), 0) + int(line["qty"])
    at = normalise(str(body.get("at") or utc_now_text()))
    if not _insert_claims(conn, return_id, receipt_id, store=str(body["store"]), wanted=wanted, at=at):
        return
    found = sold(conn, receipt_id)
    if found is None:
        return
    flag_over_refunds(conn, found, list(wanted))


def flag_over_refunds(conn: Connection, found: Sold, skus: Sequence[str]) -> None:
    already = claimed(conn, found.receipt_id)
    o = s.over_refunds
    now = utc_now_text()
    for sku in skus:
        sold_qty, returned = found.qty.get(sku, 0), already.get(sku, 0)
        if returned <= sold_qty:
            continue
        stores = sorted(
            {
                str(x)
                for x in conn.execute(
                    select(s.return_claims.c.store).where(
                        s.return_claims.c.receipt_id == found.receipt_id, s.return_claims.c.sku == sku
                    )
                ).scalars()
            }
        )
        row = {"sold": sold_qty, "returned": returned, "stores": ",".join(stores), "detected_at": now}
        if not insert_ignore(
            conn, o, {"receipt_id": found.receipt_id, "sku": sku, **row}, ["receipt_id", "sku"]
        ):
            conn.execute(update(o).where(o.c.receipt_id == found.receipt_id, o.c.sku == sku).values(**row))


def over_refund_report(conn: Connection) -> list[dict[str, Any]]:
    """Every over-refunded receipt line, with the receipt's points earned, reversed (net) and
    capped (an offline double return reversed more than was earned; the hub gave the excess back,
    :func:`cap_reversals`)."""
    o = s.over_refunds
    rows = list(conn.execute(select(o).order_by(o.c.detected_at, o.c.receipt_id, o.c.sku)).mappings())
    points: dict[str, tuple[int, int, int]] = {}
    for rid in {str(r["receipt_id"]) for r in rows}:
        found = sold(conn, rid)
        points[rid] = (found.points_earned if found else 0, _reversed(conn, rid), _capped(conn, rid))
    return [
        {
            "receipt_id": r["receipt_id"],
            "sku": r["sku"],
            "sold": int(r["sold"]),
            "returned": int(r["returned"]),
            "over": int(r["returned"]) - int(r["sold"]),
            "stores": [x for x in str(r["stores"]).split(",") if x],
            "points_earned": points[str(r["receipt_id"])][0],
            "points_reversed": points[str(r["receipt_id"])][1],
            "points_capped": points[str(r["receipt_id"])][2],
            "detected_at": r["detected_at"],
        }
        for r in rows
    ]
