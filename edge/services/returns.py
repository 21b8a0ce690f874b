"""Returns from any channel: by store/kiosk receipt, by online order id, or by customer lookup.

Invariants: per (receipt, sku) the returned quantity never exceeds the sold quantity (double
returns and over-quantity are refused with Conflict). When the store syncs with a hub, the hub is
the one authority on what is still returnable on every sold line: each return is reserved there
first (``returns.reserve``), whichever store or channel sold it; offline, the store refunds only
its own receipts (its replica proves what it sold and took back) and refuses other sales with a
message saying what to do. An over-refund that merges later is flagged in the hub's report. Refunds and reversed points are proportional
to the net value returned, computed cumulatively per receipt so partial returns add up exactly to
the sale's paid amount and earned points.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from edge.errors import Conflict, Invalid, NotFound
from edge.replica import queries as q
from edge.replica.database import Tx
from edge.services.cloud_port import OrderDirectory
from edge.services.context import StoreContext, id_from_hlc
from edge.services.loyalty import write_entry
from edge.services.models import ReturnLineView, ReturnRecord
from edge.services.pricing import proportional_share
from edge.services.stock import record_delta
from sync.returns import points_for_return, refused

RETURN_CHANNELS = frozenset({"store", "kiosk"})
MAX_QTY = 999
# "returned" too: a fully returned order still shows its lines; each line then says it was returned
RETURNABLE_STATES = frozenset({"collected", "shipped", "returned"})


@dataclass(frozen=True, slots=True)
class ReturnLine:
    sku: str
    qty: int


@dataclass(slots=True)
class Source:
    """What was sold on one receipt (a sale or an online order), enough to price a return."""

    receipt_id: str
    customer_id: str | None
    channel: str
    total_cents: int
    paid_cents: int
    points_earned: int
    sold: dict[str, int] = field(default_factory=dict)  # sku -> qty
    value: dict[str, int] = field(default_factory=dict)  # sku -> net cents of all units
    kind: str = "receipt"  # or "order": the word a refusal uses
    returned_anywhere: dict[str, int] = field(default_factory=dict)  # the hub's figure, when asked


def _source_from_sale(conn: q.Conn, receipt_id: str) -> Source | None:
    sale = q.sale(conn, receipt_id)
    if sale is None:
        return None
    src = Source(
        receipt_id=receipt_id,
        customer_id=sale["customer_id"],
        channel=sale["channel"],
        total_cents=sale["total_cents"],
        paid_cents=sale["total_cents"] - sale["redeemed_cents"],
        points_earned=sale["points_earned"],
    )
    for line in q.sale_lines(conn, receipt_id):
        sku = line["sku"]
        src.sold[sku] = src.sold.get(sku, 0) + line["qty"]
        src.value[sku] = src.value.get(sku, 0) + line["qty"] * line["unit_cents"] - line["discount_cents"]
    return src


def _source_from_order(conn: q.Conn, order_id: str) -> Source | None:
    order = q.order(conn, order_id)
    if order is None:
        return None
    if order["state"] not in RETURNABLE_STATES:
        raise Conflict(
            f"order {order_id} is {order['state']}; only collected or shipped orders can be returned"
        )
    src = Source(
        order_id,
        order["customer_id"],
        order["channel"],
        order["total_cents"],
        order["total_cents"],
        0,
        kind="order",
    )
    for line in json.loads(order["lines"]):
        sku = line["sku"]
        src.sold[sku] = src.sold.get(sku, 0) + int(line["qty"])
        src.value[sku] = src.value.get(sku, 0) + int(line["qty"]) * int(line["unit_cents"])
    return src


def _source_from_cloud_order(order_id: str, order: dict[str, Any]) -> Source:
    """An online order or another store's receipt this store never saw, as the cloud describes it
    (``orders.lookup``).

    The hub reverses its points when it reserves the return, so the store reverses none itself
    (``points_earned`` 0) and reports the hub's figure."""
    if order.get("state") not in RETURNABLE_STATES:
        raise Conflict(
            f"order {order_id} is {order.get('state')}; only collected or shipped orders can be returned"
        )
    try:
        total = int(order["total_cents"])
        paid = int(order.get("paid_cents", total))
        customer = str(order["customer_id"]) if order.get("customer_id") else None
        src = Source(order_id, customer, str(order.get("channel") or "online"), total, paid, 0)
        src.kind = "receipt" if order.get("kind") == "sale" else "order"
        src.returned_anywhere = {str(k): int(v) for k, v in dict(order.get("returned") or {}).items()}
        for line in order["lines"]:
            sku, qty = str(line["sku"]), int(line["qty"])
            net = qty * int(line["unit_cents"]) - int(line.get("discount_cents") or 0)
            src.sold[sku] = src.sold.get(sku, 0) + qty
            src.value[sku] = src.value.get(sku, 0) + net
    except (KeyError, TypeError, ValueError) as err:
        raise Invalid(f"the cloud's description of order {order_id} is unusable: {err}") from err
    return src


def _check_left(src: Source, lines: Sequence[ReturnLine], returned: dict[str, int]) -> None:
    why = refused(src.receipt_id, src.sold, returned, {line.sku: line.qty for line in lines}, kind=src.kind)
    if why is not None:
        raise Conflict(why[1], reason=why[0])


class ReturnService:
    def __init__(self, ctx: StoreContext, directory: OrderDirectory | None = None) -> None:
        self.ctx = ctx
        self.directory = directory

    def _cloud_order(self, key: str) -> dict[str, Any] | None:
        """Ask the cloud about an order id unknown here; outside the write transaction (network)."""
        if self.directory is None:
            return None
        reader = self.ctx.replica.reader()
        if q.sale(reader, key) is not None or q.order(reader, key) is not None:
            return None
        return self.directory.order_for_return(key)

    def return_items(
        self,
        lines: Sequence[ReturnLine],
        *,
        receipt_id: str | None = None,
        order_id: str | None = None,
        customer_id: str | None = None,
        channel: str = "store",
        zone: str | None = None,
    ) -> list[ReturnRecord]:
        """Book a return; one record per receipt involved (several only for customer lookup)."""
        if sum(x is not None for x in (receipt_id, order_id, customer_id)) != 1:
            raise Invalid("give exactly one of receipt_id, order_id or customer_id")
        if channel not in RETURN_CHANNELS:
            raise Invalid(f"a store return's channel is one of {sorted(RETURN_CHANNELS)}")
        if not lines:
            raise Invalid("a return needs at least one line")
        if len({line.sku for line in lines}) != len(lines):
            raise Invalid("each sku may appear once per return")
        for line in lines:
            if not 1 <= line.qty <= MAX_QTY:
                raise Invalid(f"quantity of {line.sku} must be 1..{MAX_QTY}")
        zone = zone or self.ctx.default_zone
        reader = self.ctx.replica.reader()
        if customer_id is not None:
            plan = self._allocate_by_customer(reader, customer_id, lines)
            owned = {src.receipt_id for src, _ in plan}
        else:
            key = receipt_id or order_id or ""
            remote = self._cloud_order(key)
            own = _source_from_sale(reader, key)
            src = own or _source_from_order(reader, key)
            if src is None and remote is not None:
                src = _source_from_cloud_order(key, remote)
            if src is None:
                kind = "receipt" if receipt_id else "order"
                hint = "" if self.directory is None else " (and the cloud cannot be reached to look it up)"
                raise NotFound(f"unknown {kind} {key!r}{hint}")
            plan = [(src, list(lines))]
            owned = {key} if own is not None else set()
        holds = []
        for src, src_lines in plan:
            _check_left(src, src_lines, q.returned_qty(reader, src.receipt_id))
            return_id = id_from_hlc("RT", str(self.ctx.replica.clock.now()))
            holds.append((return_id, self._hold(return_id, src, src_lines, src.receipt_id in owned)))
        with self.ctx.replica.write() as tx:
            return [
                self._book(
                    tx, src, src_lines, channel=channel, zone=zone, return_id=return_id, hub_points=hub_points
                )
                for (src, src_lines), (return_id, hub_points) in zip(plan, holds, strict=True)
            ]

    def returnable(self, ref: str) -> dict[str, Any]:
        """What can be taken back on receipt or order ``ref``, whichever store or channel sold it:
        ``{kind: receipt|order, key: {receipt_id|order_id}, ref, channel, sold_here, lines:[{sku,
        name, qty, returned_here, left}]}`` (``left``: still returnable as far as this store knows —
        its own returns, and every channel's when the cloud described the sale; the hub has the
        last word when the return is taken). Asks the cloud for a sale this store never saw;
        NotFound says whether the cloud could be asked."""
        reader = self.ctx.replica.reader()
        own = _source_from_sale(reader, ref)
        src = own or _source_from_order(reader, ref)
        remote = None
        if src is None:
            remote = self._cloud_order(ref)
            if remote is not None:
                src = _source_from_cloud_order(ref, remote)
        if src is None:
            hint = (
                "; the cloud cannot be reached to look it up, so only this store's receipts and its "
                "orders can be found now"
                if self.directory is not None
                else ""
            )
            raise NotFound(f"no receipt or order {ref!r}{hint}")
        is_order = q.order(reader, ref) is not None or (remote is not None and remote.get("kind") != "sale")
        returned = q.returned_qty(reader, ref)
        names = {
            str(r[0]): str(r[1])
            for r in reader.execute(
                f"SELECT sku, name FROM catalog WHERE sku IN ({','.join('?' * len(src.sold))})",
                list(src.sold),
            ).fetchall()
        }
        return {
            "kind": "order" if is_order else "receipt",
            "key": {"order_id": ref} if is_order else {"receipt_id": ref},
            "ref": ref,
            "channel": src.channel,
            "sold_here": own is not None,
            "lines": [
                {
                    "sku": sku,
                    "name": names.get(sku, sku),
                    "qty": qty,
                    "returned_here": returned.get(sku, 0),
                    "left": max(0, qty - max(returned.get(sku, 0), src.returned_anywhere.get(sku, 0))),
                }
                for sku, qty in sorted(src.sold.items())
            ],
        }

    def returnable_for_customer(self, customer_id: str) -> dict[str, Any]:
        """What a customer bought in this store (every receipt of theirs, by sku) and already brought
        back, for a return by customer lookup (each line then goes to their most recent receipt with
        enough left)."""
        reader = self.ctx.replica.reader()
        if q.customer(reader, customer_id) is None:
            raise NotFound(f"unknown customer {customer_id!r}")
        rows = reader.execute(
            "SELECT l.sku, coalesce(c.name, l.sku), sum(l.qty) FROM sales s "
            "JOIN sale_lines l ON l.receipt_id = s.receipt_id LEFT JOIN catalog c ON c.sku = l.sku "
            "WHERE s.customer_id = ? GROUP BY l.sku ORDER BY l.sku",
            (customer_id,),
        ).fetchall()
        back = dict(
            reader.execute(
                "SELECT rl.sku, sum(rl.qty) FROM returns r JOIN return_lines rl ON rl.return_id = r.return_id "
                "JOIN sales s ON s.receipt_id = r.receipt_id WHERE s.customer_id = ? GROUP BY rl.sku",
                (customer_id,),
            ).fetchall()
        )
        return {
            "kind": "customer",
            "key": {"customer_id": customer_id},
            "ref": customer_id,
            "channel": "store",
            "sold_here": True,
            "lines": [
                {
                    "sku": str(r[0]),
                    "name": str(r[1]),
                    "qty": int(r[2]),
                    "returned_here": int(back.get(r[0]) or 0),
                    "left": max(0, int(r[2]) - int(back.get(r[0]) or 0)),
                }
                for r in rows
            ],
        }

    def _hold(self, return_id: str, src: Source, lines: list[ReturnLine], own: bool) -> int | None:
        """Ask the hub, the one authority on what is still returnable, to reserve this return.

        Returns the points the hub reversed for this return, or ``None`` when the store reverses
        them itself (its own receipt, offline or not yet received by the hub). Offline, only this store's own receipts
        can be refunded (what it sold and already took back are in its replica)."""
        authority = self.directory
        if authority is None or not authority.has_refund_authority():
            return None  # a standalone store: its replica is the only record
        wanted = {line.sku: line.qty for line in lines}
        answer = authority.reserve_return(return_id, src.receipt_id, wanted, dict(src.sold) if own else None)
        if answer is None:
            if own:
                return None
            raise Conflict(
                f"the cloud cannot be reached to confirm what is still returnable on {src.receipt_id}, "
                "which this store did not sell; offline a store refunds only its own receipts. Keep "
                "the goods and the order number and take the return once the store is back online"
            )
        if not answer.get("approved"):
            raise Conflict(
                f"{answer.get('reason') or 'the cloud refused the return'}; nothing was refunded",
                reason=str(answer.get("code") or "return_refused"),
            )
        if answer.get("points_by", "store" if own else "hub") == "store":
            return None  # the hub has not received this sale yet: the store reverses its points
        return int(answer.get("points_reversed") or 0)

    def _allocate_by_customer(
        self, conn: q.Conn, customer_id: str, lines: Sequence[ReturnLine]
    ) -> list[tuple[Source, list[ReturnLine]]]:
        """Each line goes to the customer's most recent receipt that still has that many to return."""
        if q.customer(conn, customer_id) is None:
            raise NotFound(f"unknown customer {customer_id!r}")
        chosen: dict[str, tuple[Source, list[ReturnLine]]] = {}
        for line in lines:
            receipts = conn.execute(
                "SELECT DISTINCT s.receipt_id, s.at FROM sales s JOIN sale_lines l ON l.receipt_id = s.receipt_id "
                "WHERE s.customer_id = ? AND l.sku = ? ORDER BY s.at DESC",
                (customer_id, line.sku),
            ).fetchall()
            for rec in receipts:
                rid = str(rec["receipt_id"])
                if rid not in chosen:
                    src = _source_from_sale(conn, rid)
                    assert src is not None
                    chosen[rid] = (src, [])
                src = chosen[rid][0]
                if src.sold.get(line.sku, 0) - q.returned_qty(conn, rid).get(line.sku, 0) >= line.qty:
                    chosen[rid][1].append(line)
                    break
            else:
                raise Conflict(
                    f"customer {customer_id} has no purchase of {line.qty} × {line.sku} left to return"
                )
        return [entry for entry in chosen.values() if entry[1]]

    def _book(
        self,
        tx: Tx,
        src: Source,
        lines: list[ReturnLine],
        *,
        channel: str,
        zone: str,
        return_id: str,
        hub_points: int | None,
    ) -> ReturnRecord:
        returned = q.returned_qty(tx.conn, src.receipt_id)
        _check_left(src, lines, returned)
        # Cumulative value returned after this return, as a fraction of the receipt total.
        after = dict(returned)
        for line in lines:
            after[line.sku] = after.get(line.sku, 0) + line.qty
        value_before = sum(
            proportional_share(src.value[s], n, src.sold[s]) for s, n in returned.items() if s in src.sold
        )
        value_after = sum(
            proportional_share(src.value[s], n, src.sold[s]) for s, n in after.items() if s in src.sold
        )
        refunded_before, reversed_before = q.returned_totals(tx.conn, src.receipt_id)
        refund = proportional_share(src.paid_cents, value_after, src.total_cents, "half") - refunded_before
        points = points_for_return(
            src.points_earned,
            src.total_cents,
            value=src.value,
            sold=src.sold,
            before=returned,
            after=after,
            reversed_known=reversed_before,
        )
        refund = max(refund, 0)
        if hub_points is not None:  # the hub reversed them (its entry comes down the downlink)
            points = hub_points
        line_views = self._split_refund(src, lines, returned, refund, value_after - value_before)

        now = self.ctx.now_iso()
        hlc = tx.hlc()
        store = self.ctx.store_id
        tx.execute(
            "INSERT INTO returns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            (return_id, src.receipt_id, store, channel, src.customer_id, now, hlc, refund, points, store),
        )
        for n, view in enumerate(line_views, start=1):
            tx.execute(
                "INSERT INTO return_lines VALUES (?, ?, ?, ?, ?)",
                (return_id, n, view.sku, view.qty, view.refund_cents),
            )
        tx.emit(
            "return.recorded",
            {
                "return_id": return_id,
                "receipt_id": src.receipt_id,
                "store": store,
                "channel": channel,
                "at": now,
                "lines": [v.model_dump() for v in line_views],
                "refund_cents": refund,
                "points_reversed": points,
            },
            hlc=hlc,
        )
        for view in line_views:
            record_delta(tx, store, sku=view.sku, zone=zone, qty=view.qty, reason="return", ref=return_id)
        if points and src.customer_id and hub_points is None:
            write_entry(
                tx,
                store,
                entry_id=f"{return_id}:reverse",
                customer_id=src.customer_id,
                kind="reverse",
                points=-points,
                ref=return_id,
                channel=channel,
                at=now,
            )
        return ReturnRecord(
            return_id=return_id,
            receipt_id=src.receipt_id,
            store=store,
            channel=channel,
            customer_id=src.customer_id,
            at=now,
            lines=line_views,
            refund_cents=refund,
            points_reversed=points,
        )

    @staticmethod
    def _split_refund(
        src: Source, lines: list[ReturnLine], returned: dict[str, int], refund: int, value: int
    ) -> list[ReturnLineView]:
        """Per-line refunds proportional to each line's returned value, summing exactly to ``refund``."""
        views: list[ReturnLineView] = []
        given = 0
        for i, line in enumerate(lines):
            before = returned.get(line.sku, 0)
            sku_value = proportional_share(src.value[line.sku], before + line.qty, src.sold[line.sku]) - (
                proportional_share(src.value[line.sku], before, src.sold[line.sku])
            )
            share = (
                refund - given
                if i == len(lines) - 1
                else proportional_share(refund, sku_value, value, "half")
            )
            given += share
            views.append(ReturnLineView(sku=line.sku, qty=line.qty, refund_cents=share))
        return views
