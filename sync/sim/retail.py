"""The retail-week verdict: a seeded, deterministic business simulation of three stores and the web
shop around one hub, with store outages and link faults, that checks the omnichannel invariants.

The business rules are the shared, pure ones the edge and the hub run (:mod:`sync.returns` for
what is still returnable and the points a return reverses, :mod:`sync.loyalty` for redemption
authorisation and allowances, :mod:`sync.zones` for how a count replaces the book, :mod:`sync.fold`
for stock); storage, the network and time are simulated, as in :mod:`sync.sim.engine`.

A schedule (from its seed) mixes sales with and without a card, redemptions (online authorised,
offline within a leased allowance), online orders (delivery, click & collect, reserve) and their
pick / collect / cancel (by the store, or by the web shop whatever the store did offline: the
store's pick wins), returns at any store or online (including attempts to return twice or
more than sold), cycle counts over some or all zones, goods received without a location,
transfers, the same customer edited at a store and online at once, identity merges at the hub
(two customers found to be one), and points expiry; stores go offline and the link delivers
late, in bursts and twice. At the end every store comes back and the checks run:

1. refunded ≤ sold on every line, or the line is in the hub's over-refund report (and then some
   return of it was taken offline); stores never refund beyond their own proof;
2. per (merged) customer: balance = earned − redeemed − reversed − expired, reversals on a receipt
   (net of the hub's caps) ≤ the points its returned lines earned, each line counted at most up
   to what it sold (so never above the receipt's earned points), a capped receipt is in the
   over-refund report,
   and a customer whose balance is negative is in the overdraft report;
3. stock per (sku, store, zone): the hub's incremental book = the fold of every count and delta =
   the store's book; after a full-store count on-hand equalled the count; every oversold cell is
   flagged;
4. every order in the same state at the hub and at its store;
5. every profile equal at the hub and at every store holding the customer; no store still holds
   a customer merged into another.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sync import loyalty, returns, zones
from sync.fold import StockCell, fold_stock
from sync.ops import Op

STORES = ("s1", "s2", "s3")
SKUS = ("A", "B", "C", "D")
PRICE = {"A": 500, "B": 1200, "C": 250, "D": 3000}
ZONES = ("shelf-a", "backroom", "window")
FIELDS = ("name", "phone", "consent_marketing")
EARN_PER = 100  # cents per point


INVARIANTS = (
    "refunded ≤ sold on every receipt/order line, or the line is in the hub's over-refund report "
    "(and some return of it was taken offline); no store refunds beyond its own record",
    "balance = earned − redeemed − reversed − expired for every (merged) customer; reversals on a "
    "receipt ≤ what its returned lines earned, each line at most once (an offline double refund is "
    "capped at merge and reported); a "
    "negative balance is a reported overdraft",
    "stock per (sku, store, zone): hub book = fold of counts and deltas = store book; a full-store "
    "count makes on-hand equal the count; every oversold cell is flagged",
    "every order in the same state at the hub and at its store (an online cancel loses to the store's pick)",
    "every profile equal at the hub and at every store holding the customer, merged customers "
    "included; no store holds a merged-away customer",
)
CAP = "reverse-cap:"  # the hub's correction of a store reversal beyond what a receipt earned


@dataclass
class Sale:
    receipt_id: str
    store: str | None  # None: an online order
    customer: str | None
    sold: dict[str, int]
    value: dict[str, int]
    total: int
    earned: int = 0


@dataclass
class Clock:
    t: int = 0

    def hlc(self, node: str) -> str:
        self.t += 1
        return f"{self.t:013d}.0000.{node}"


@dataclass
class Store:
    sid: str
    online: bool = True
    outbox: list[Op] = field(default_factory=list)
    sent: int = 0  # ops the hub acknowledged
    seq: int = 0
    sales: dict[str, Sale] = field(default_factory=dict)
    returned: dict[str, dict[str, int]] = field(default_factory=dict)
    reversed: dict[str, int] = field(default_factory=dict)
    stock_ops: list[Op] = field(default_factory=list)
    orders: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    allowance: dict[str, int] = field(default_factory=dict)
    downlink: list[tuple[str, Any]] = field(default_factory=list)


@dataclass
class Hub:
    sold: dict[str, Sale] = field(default_factory=dict)
    claims: dict[str, dict[str, int]] = field(default_factory=dict)
    claim_ids: set[str] = field(default_factory=set)
    over_refunds: set[tuple[str, str]] = field(default_factory=set)
    offline_returns: set[str] = field(default_factory=set)
    ledger: dict[str, tuple[str, str, int, str | None]] = field(default_factory=dict)
    overdrafts: set[str] = field(default_factory=set)
    seen_ops: set[str] = field(default_factory=set)
    cells: dict[tuple[str, str, str], StockCell] = field(default_factory=dict)
    oversold: set[tuple[str, str, str]] = field(default_factory=set)
    orders: dict[str, str] = field(default_factory=dict)
    order_store: dict[str, str] = field(default_factory=dict)
    profiles: dict[str, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    holders: dict[str, set[str]] = field(default_factory=dict)
    leases: dict[tuple[str, str], int] = field(default_factory=dict)
    merged: dict[str, str] = field(default_factory=dict)  # merged-away customer -> the one kept
    cancelled_online: set[str] = field(default_factory=set)
    capped: set[str] = field(default_factory=set)  # receipts whose reversals the hub capped

    def canon(self, cid: str) -> str:
        while cid in self.merged:
            cid = self.merged[cid]
        return cid

    def balance(self, cid: str) -> int:
        cid = self.canon(cid)
        return sum(p for c, _k, p, _r in self.ledger.values() if self.canon(c) == cid)

    def reversed_on(self, rid: str) -> int:
        """Points reversed on a receipt, net of the caps."""
        return -sum(
            p
            for eid, (_c, k, p, r) in self.ledger.items()
            if r == rid and (k == "reverse" or eid.startswith(CAP))
        )


ORDER_MOVES = {  # the hub's transitions (one owner per transition)
    "placed": {"picked", "cancelled", "shipped"},
    "picked": {"collected", "cancelled"},
    "collected": {"returned"},
    "shipped": {"returned"},
}


@dataclass
class Result:
    seed: int
    ok: bool
    actions: int
    detail: str = ""
    counts: dict[str, int] = field(default_factory=dict)


class World:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = Clock()
        self.hub = Hub()
        self.stores = {sid: Store(sid) for sid in STORES}
        self.customers = [f"c{n}" for n in range(6)]
        self.failures: list[str] = []
        self.counts: dict[str, int] = {}
        self.ids = 0

    # --- plumbing --------------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        self.ids += 1
        return f"{prefix}{self.ids}"

    def tally(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    def emit(self, store: Store, kind: str, body: dict[str, Any]) -> Op:
        store.seq += 1
        op = Op(origin=store.sid, seq=store.seq, hlc=self.clock.hlc(store.sid), type=kind, body=body)
        store.outbox.append(op)
        if kind in ("stock.count", "stock.delta"):
            store.stock_ops.append(op)
        return op

    def sync(self, store: Store, everything: bool = False) -> None:
        """The link delivers a burst of the store's unacknowledged ops (sometimes twice), then the
        hub's downlink for it. Effect is exactly-once: the hub ignores ops it already applied."""
        if not store.online:
            return
        pending = store.outbox[store.sent :]
        n = len(pending) if everything else self.rng.randint(0, len(pending))
        for op in pending[:n]:
            self.hub_apply(op)
            if self.rng.random() < 0.1:
                self.hub_apply(op)  # a duplicate delivery
        store.sent += n
        if everything or self.rng.random() < 0.7:
            for kind, body in store.downlink:
                self.store_apply(store, kind, body)
            store.downlink.clear()

    # --- the hub ---------------------------------------------------------------------------------

    def hub_apply(self, op: Op) -> None:
        hub = self.hub
        if op.id in hub.seen_ops:
            return
        hub.seen_ops.add(op.id)
        b = op.body
        if op.type in ("stock.count", "stock.delta"):
            key = (b["sku"], b["store"], b["zone"])
            cell = hub.cells.setdefault(key, StockCell())
            cell.add(op)
            if cell.qty < 0:
                hub.oversold.add(key)
        elif op.type == "sale.recorded":
            sale: Sale = b["sale"]
            hub.sold.setdefault(sale.receipt_id, sale)
        elif op.type == "loyalty.entry":
            self.hub_entry(b["entry_id"], b["customer"], b["kind"], b["points"], b.get("receipt"))
            if b["kind"] == "reverse":
                self.hub_cap(b["entry_id"], b["customer"], b["receipt"], -b["points"])
        elif op.type == "return.recorded":
            self.hub_claim(b["return_id"], b["receipt_id"], b["lines"], offline=b["offline"])
        elif op.type == "customer.upsert":
            self.hub_profile(op.origin, b["customer"], b["fields"], op.hlc)
        elif op.type == "order.transition":
            oid, target = b["order_id"], b["state"]
            if target == "picked" and hub.orders[oid] == "cancelled" and oid in hub.cancelled_online:
                hub.orders[oid] = "picked"  # the store picked before the cancel reached it: it wins
                hub.cancelled_online.discard(oid)
                self.tally("order reinstated (the store's pick won)")
            elif target in ORDER_MOVES.get(hub.orders[oid], set()):
                hub.orders[oid] = target
                if target == "collected":
                    self.hub_earn_order(oid)

    def hub_entry(self, entry_id: str, cid: str, kind: str, points: int, receipt: str | None) -> None:
        if entry_id in self.hub.ledger:
            return
        self.hub.ledger[entry_id] = (cid, kind, points, receipt)
        if points < 0 and self.hub.balance(cid) < 0:
            self.hub.overdrafts.add(cid)

    def hub_cap(self, entry_id: str, cid: str, rid: str, points: int) -> None:
        """A store's reversal that takes the receipt above what its returned lines earned (each line
        at most once) is capped at merge."""
        sale = self.hub.sold.get(rid)
        if sale is None:
            return
        taken = {sku: min(n, sale.sold.get(sku, 0)) for sku, n in self.hub.claims.get(rid, {}).items()}
        reversible = returns.returned_share(sale.earned, sale.total, sale.value, sale.sold, taken)
        excess = min(self.hub.reversed_on(rid) - reversible, points)
        if excess > 0:
            self.hub_entry(CAP + entry_id, cid, "adjust", excess, rid)
            self.hub.capped.add(rid)
            self.tally("reversal capped at merge")

    def hub_claim(self, return_id: str, receipt_id: str, lines: dict[str, int], *, offline: bool) -> None:
        hub = self.hub
        if offline:
            hub.offline_returns.add(receipt_id)
        if return_id in hub.claim_ids:
            return
        hub.claim_ids.add(return_id)
        claimed = hub.claims.setdefault(receipt_id, {})
        for sku, qty in lines.items():
            claimed[sku] = claimed.get(sku, 0) + qty
        sale = hub.sold.get(receipt_id)
        if sale is not None:
            for sku in lines:
                if claimed[sku] > sale.sold.get(sku, 0):
                    hub.over_refunds.add((receipt_id, sku))

    def hub_reserve(self, store: str | None, return_id: str, sale: Sale, lines: dict[str, int]) -> int | None:
        """``returns.reserve``: None when refused; else the points the hub reversed (-1: the hub has
        not received this store's sale yet, the store reverses them itself)."""
        hub = self.hub
        known = hub.sold.get(sale.receipt_id) or sale  # a store's own receipt may not be here yet
        claimed = dict(hub.claims.get(sale.receipt_id, {}))
        if returns.refusal(sale.receipt_id, known.sold, claimed, lines) is not None:
            return None
        self.hub_claim(return_id, sale.receipt_id, lines, offline=False)
        if sale.receipt_id not in hub.sold:
            return None if store is None else -1  # not received yet: the store reverses itself
        return self.hub_reverse(return_id, known, claimed)

    def hub_reverse(self, return_id: str, sale: Sale, before: dict[str, int]) -> int:
        if not sale.customer:
            return 0
        known = self.hub.reversed_on(sale.receipt_id)
        share = returns.points_for_return(
            sale.earned,
            sale.total,
            value=sale.value,
            sold=sale.sold,
            before=before,
            after=self.hub.claims.get(sale.receipt_id, {}),
            reversed_known=known,
        )
        if share > 0:
            self.hub_entry(f"reverse:{return_id}", sale.customer, "reverse", -share, sale.receipt_id)
        return share

    def hub_earn_order(self, oid: str) -> None:
        sale = self.hub.sold[oid]
        if sale.customer and sale.earned == 0:
            sale.earned = sale.total // EARN_PER
            self.hub_entry(f"order:{oid}:earn", sale.customer, "earn", sale.earned, oid)

    def hub_profile(self, origin: str, cid: str, fields: dict[str, Any], hlc: str) -> None:
        cid = self.hub.canon(cid)
        prof = self.hub.profiles.setdefault(cid, {})
        for name, value in fields.items():
            if hlc > prof.get(name, ("", None))[0]:
                prof[name] = (hlc, value)
        holders = self.hub.holders.setdefault(cid, set())
        if origin in self.stores:
            holders.add(origin)
        for sid in sorted(holders - {origin}):
            self.stores[sid].downlink.append(("customer.upsert", (cid, dict(fields), hlc)))

    # --- a store applying its downlink -------------------------------------------------------------

    def store_apply(self, store: Store, kind: str, body: Any) -> None:
        if kind == "customer.upsert":
            cid, fields, hlc = body
            prof = store.profiles.setdefault(cid, {})
            for name, value in fields.items():
                if hlc > prof.get(name, ("", None))[0]:
                    prof[name] = (hlc, value)
        elif kind == "order.placed":
            store.orders.setdefault(body, "placed")
        elif kind == "order.cancelled" and store.orders.get(body) == "placed":
            store.orders[body] = "cancelled"  # a store that picked it keeps it (its pick wins)
        elif kind == "customer.merge":
            gone, kept, snapshot = body
            prof = store.profiles.setdefault(kept, {})
            for source in (store.profiles.pop(gone, {}), snapshot):
                for name, (hlc, value) in source.items():
                    if hlc > prof.get(name, ("", None))[0]:
                        prof[name] = (hlc, value)

    # --- actions ---------------------------------------------------------------------------------

    def act(self) -> None:
        r = self.rng.random()
        store = self.stores[self.rng.choice(STORES)]
        if r < 0.05:
            store.online = not store.online
            self.tally("outage" if not store.online else "back online")
        elif r < 0.30:
            self.sell(store)
        elif r < 0.40:
            self.online_order()
        elif r < 0.52:
            self.order_step(store)
        elif r < 0.70:
            self.return_somewhere()
        elif r < 0.76:
            self.count(store)
        elif r < 0.82:
            self.receive(store)
        elif r < 0.86:
            self.transfer(store)
        elif r < 0.93:
            self.edit_customer(store)
        elif r < 0.95:
            self.merge_customers()
        elif r < 0.97:
            self.expire_points()
        else:
            self.lease(store)
        self.sync(self.stores[self.rng.choice(STORES)])

    def sell(self, store: Store) -> None:
        customer = self.rng.choice([None, *self.customers])
        lines = {sku: self.rng.randint(1, 3) for sku in self.rng.sample(SKUS, self.rng.randint(1, 3))}
        rid = self.new_id(f"R-{store.sid}-")
        total = sum(PRICE[s] * q for s, q in lines.items())
        sale = Sale(rid, store.sid, customer, lines, {s: PRICE[s] * q for s, q in lines.items()}, total)
        redeem = 0
        if customer and self.rng.random() < 0.3:
            redeem = self.redeem(store, customer, self.rng.randint(5, 60))
        sale.earned = (total - redeem) // EARN_PER if customer else 0
        store.sales[rid] = sale
        if customer:
            self.hold(store, customer)
        self.emit(store, "sale.recorded", {"sale": sale})
        for sku, qty in lines.items():
            self.emit(
                store,
                "stock.delta",
                {"sku": sku, "store": store.sid, "zone": self.rng.choice(ZONES), "qty": -qty},
            )
        if customer and sale.earned:
            self.emit(store, "loyalty.entry", {"entry_id": f"{rid}:earn", "customer": customer, "kind": "earn",
                                               "points": sale.earned, "receipt": rid})  # fmt: skip
        if redeem:
            self.emit(store, "loyalty.entry", {"entry_id": f"{rid}:redeem", "customer": customer, "kind": "redeem",
                                               "points": -redeem, "receipt": rid})  # fmt: skip
        self.tally("sale with card" if customer else "sale")

    def hold(self, store: Store, cid: str) -> None:
        """The store holds the customer (enrolled or looked up there)."""
        if store.online:
            cid = self.hub.canon(cid)  # a lookup at the hub answers with the merged customer
        if cid not in store.profiles and store.online:
            store.profiles[cid] = dict(self.hub.profiles.get(cid, {}))
            self.hub.holders.setdefault(cid, set()).add(store.sid)

    def redeem(self, store: Store, cid: str, points: int) -> int:
        if store.online:  # loyalty.authorise: the debit is written at the hub at once
            decision = loyalty.authorise_redemption(
                self.hub.balance(cid), self.reserved(cid, store.sid), 0, points
            )
            if not decision.approved:
                self.tally("redemption refused")
                return 0
            self.hub_entry(self.new_id("auth:"), cid, "redeem", -points, None)
            self.tally("redemption online")
            return 0  # the debit is the hub's entry; the receipt redeems nothing more
        left = store.allowance.get(cid, 0)
        if points > left:
            self.tally("redemption refused offline")
            return 0
        store.allowance[cid] = left - points
        self.tally("redemption offline")
        return points

    def reserved(self, cid: str, exclude: str) -> int:
        cid = self.hub.canon(cid)
        return sum(
            p for (sid, c), p in self.hub.leases.items() if self.hub.canon(c) == cid and sid != exclude
        )

    def lease(self, store: Store) -> None:
        if not store.online:
            return
        cid = self.rng.choice(self.customers)
        size = loyalty.allowance_size(self.hub.balance(cid), self.reserved(cid, ""), self.rng.randint(10, 80))
        self.hub.leases[(store.sid, cid)] = self.hub.leases.get((store.sid, cid), 0) + size
        store.allowance[cid] = store.allowance.get(cid, 0) + size
        self.tally("allowance leased")

    def online_order(self) -> None:
        kind = self.rng.choice(["delivery", "click_collect", "reserve"])
        cid = self.rng.choice(self.customers)
        lines = {sku: self.rng.randint(1, 2) for sku in self.rng.sample(SKUS, self.rng.randint(1, 2))}
        oid = self.new_id("o-")
        total = sum(PRICE[s] * q for s, q in lines.items())
        self.hub.sold[oid] = Sale(oid, None, cid, lines, {s: PRICE[s] * q for s, q in lines.items()}, total)
        self.hub.orders[oid] = "placed"
        if kind == "delivery":
            self.hub.orders[oid] = "shipped"
            self.hub_earn_order(oid)
        else:
            sid = self.rng.choice(STORES)
            self.hub.order_store[oid] = sid
            self.stores[sid].downlink.append(("order.placed", oid))
        self.tally(f"order {kind}")

    def order_step(self, store: Store) -> None:
        mine = sorted(o for o, st in store.orders.items() if st in ("placed", "picked"))
        if not mine:
            return
        oid = self.rng.choice(mine)
        state = store.orders[oid]
        roll = self.rng.random()
        if roll < 0.15 and self.hub.orders[oid] == "placed":
            # the shop cancels what the hub sees placed, whatever the store did offline meanwhile
            self.hub.orders[oid] = "cancelled"
            self.hub.cancelled_online.add(oid)
            store.downlink.append(("order.cancelled", oid))
            self.tally("order cancelled online")
            return
        target = "cancelled" if roll < 0.25 else ("picked" if state == "placed" else "collected")
        if target not in ORDER_MOVES[state]:
            return
        store.orders[oid] = target
        self.emit(store, "order.transition", {"order_id": oid, "state": target})
        self.tally(f"order {target}")

    def return_somewhere(self) -> None:
        everything = [*self.hub.sold.values()] + [s for st in self.stores.values() for s in st.sales.values()]
        if not everything:
            return
        sale = self.rng.choice(everything)
        if sale.store is None and self.hub.orders.get(sale.receipt_id) not in (
            "collected",
            "shipped",
            "returned",
        ):
            return
        sku = self.rng.choice(sorted(sale.sold))
        qty = self.rng.randint(1, sale.sold[sku] + 1)  # sometimes more than was sold
        lines = {sku: qty}
        where = self.rng.choice([*STORES, "online"])
        return_id = self.new_id("RT-")
        if where == "online":
            if sale.store is not None:
                return  # the web shop takes back online orders only
            points = self.hub_reserve(None, return_id, sale, lines)
            self.tally("return online" if points is not None else "return refused")
            return
        store = self.stores[where]
        own = sale.receipt_id in store.sales
        if returns.refusal(sale.receipt_id, sale.sold, store.returned.get(sale.receipt_id, {}), lines):
            self.tally("return refused by the store's own record")
            return
        if store.online:
            points = self.hub_reserve(where, return_id, sale, lines)
            if points is None:
                self.tally("return refused")
                return
        elif own:
            points = -1
        else:
            self.tally("return refused: offline, not our receipt")
            return
        done = store.returned.setdefault(sale.receipt_id, {})
        prior = dict(done)
        done[sku] = done.get(sku, 0) + qty
        if points > 0:  # the hub's reversal, booked on this store's return row as well
            store.reversed[sale.receipt_id] = store.reversed.get(sale.receipt_id, 0) + points
        points_reversed_here = bool(own and sale.customer and points == -1)
        if points_reversed_here:
            before = store.reversed.get(sale.receipt_id, 0)
            points = returns.points_for_return(
                sale.earned,
                sale.total,
                value=sale.value,
                sold=sale.sold,
                before=prior,
                after=done,
                reversed_known=before,
            )
        # As at a real store: the return op precedes its reversal (the hub caps against the claims).
        self.emit(store, "return.recorded", {"return_id": return_id, "receipt_id": sale.receipt_id,
                                             "lines": lines, "offline": not store.online})  # fmt: skip
        if points_reversed_here and points > 0:
            store.reversed[sale.receipt_id] = store.reversed.get(sale.receipt_id, 0) + points
            self.emit(store, "loyalty.entry", {"entry_id": f"{return_id}:reverse", "customer": sale.customer,
                                               "kind": "reverse", "points": -points,
                                               "receipt": sale.receipt_id})  # fmt: skip
        self.emit(store, "stock.delta", {"sku": sku, "store": store.sid, "zone": zones.UNLOCATED, "qty": qty})
        self.tally("return" if store.online else "return offline")

    def book(self, store: Store) -> dict[tuple[str, str], int]:
        return {(sku, zone): lvl.qty for (sku, _s, zone), lvl in fold_stock(store.stock_ops).items()}

    def count(self, store: Store) -> None:
        full = self.rng.random() < 0.5
        chosen = list(ZONES) if full else self.rng.sample(ZONES, self.rng.randint(1, 2))
        counted = {
            (sku, z): self.rng.randint(0, 6) for sku in SKUS for z in chosen if self.rng.random() < 0.7
        }
        if not counted:
            return
        lines = zones.replace_book(self.book(store), counted, chosen, full_store=full)
        session = self.new_id("count-")
        for line in lines:
            self.emit(store, "stock.count", {"sku": line.sku, "store": store.sid, "zone": line.zone,
                                             "qty": line.counted, "session": session})  # fmt: skip
        if full:
            on_hand = sum(self.book(store).values())
            if on_hand != sum(counted.values()):
                self.failures.append(
                    f"after a full count at {store.sid} on-hand {on_hand} ≠ counted {sum(counted.values())}"
                )
        self.tally("full-store count" if full else "zone count")

    def receive(self, store: Store) -> None:
        sku = self.rng.choice(SKUS)
        self.emit(
            store,
            "stock.delta",
            {"sku": sku, "store": store.sid, "zone": zones.UNLOCATED, "qty": self.rng.randint(1, 12)},
        )
        self.tally("goods received")

    def transfer(self, store: Store) -> None:
        other = self.stores[self.rng.choice([s for s in STORES if s != store.sid])]
        sku, qty = self.rng.choice(SKUS), self.rng.randint(1, 3)
        self.emit(
            store,
            "stock.delta",
            {"sku": sku, "store": store.sid, "zone": self.rng.choice(ZONES), "qty": -qty},
        )
        self.emit(other, "stock.delta", {"sku": sku, "store": other.sid, "zone": zones.UNLOCATED, "qty": qty})
        self.tally("transfer")

    def edit_customer(self, store: Store) -> None:
        cid = self.rng.choice(self.customers)
        if store.online or cid not in store.profiles:
            cid = self.hub.canon(cid)
        self.hold(store, cid)
        name = self.rng.choice(FIELDS)
        value: Any = self.rng.random() < 0.5 if name == "consent_marketing" else self.new_id(name + "-")
        if cid in store.profiles:
            op = self.emit(store, "customer.upsert", {"customer": cid, "fields": {name: value}})
            store.profiles[cid][name] = (op.hlc, value)
            self.tally("profile edit in store")
        if self.rng.random() < 0.5:  # the same customer edits the same field online at once
            online = self.rng.random() < 0.5 if name == "consent_marketing" else self.new_id(name + "-")
            self.hub_profile("cloud", cid, {name: online}, self.clock.hlc("cloud"))
            self.tally("profile edit online")

    def merge_customers(self) -> None:
        """The hub finds two customers are one (same e-mail on two channels) and merges them: the
        ledger, the profile (per field, latest HLC) and the stores holding either."""
        hub = self.hub
        alive = sorted({hub.canon(c) for c in self.customers})
        if len(alive) < 3:
            return
        kept, gone = self.rng.sample(alive, 2)
        hub.merged[gone] = kept
        prof = hub.profiles.setdefault(kept, {})
        for name, (hlc, value) in hub.profiles.pop(gone, {}).items():
            if hlc > prof.get(name, ("", None))[0]:
                prof[name] = (hlc, value)
        holders = hub.holders.setdefault(kept, set())
        holders |= hub.holders.pop(gone, set())
        for (sid, c), points in list(hub.leases.items()):
            if c == gone:
                del hub.leases[(sid, c)]
                hub.leases[(sid, kept)] = hub.leases.get((sid, kept), 0) + points
        for sid in sorted(holders):
            self.stores[sid].downlink.append(("customer.merge", (gone, kept, dict(prof))))
        self.tally("identity merge")

    def expire_points(self) -> None:
        """The hub's expiry run: FIFO, what is older than the cutoff and no debit consumed."""
        hub = self.hub
        cid = hub.canon(self.rng.choice(self.customers))
        entries = [(p, c) for (_cc, _k, p, _r) in hub.ledger.values() for c in [_cc]]
        cutoff = len(entries) // 2  # the older half of the ledger is past the expiry date
        mine = [p for p, c in entries[:cutoff] if hub.canon(c) == cid and p > 0]
        debits = -sum(p for p, c in entries if hub.canon(c) == cid and p < 0)
        amount = loyalty.expiring_points(sum(mine), debits)
        if amount > 0:
            self.hub_entry(self.new_id(f"expire:{cid}:"), cid, "expire", -amount, None)
            self.tally("points expired")

    # --- the verdict -------------------------------------------------------------------------------

    def settle(self) -> None:
        for store in self.stores.values():
            store.online = True
        for _ in range(3):  # uplinks, then the relays they cause, then what those cause
            for store in self.stores.values():
                self.sync(store, everything=True)

    def check(self) -> None:
        hub, fail = self.hub, self.failures.append
        for rid, claimed in hub.claims.items():
            sale = hub.sold.get(rid)
            for sku, qty in claimed.items():
                over = sale is None or qty > sale.sold.get(sku, 0)
                if over and (rid, sku) not in hub.over_refunds:
                    fail(f"silent over-refund: {rid} {sku} returned {qty}")
                if (rid, sku) in hub.over_refunds and rid not in hub.offline_returns:
                    fail(f"over-refund of {rid} {sku} with every return taken online")
        for store in self.stores.values():
            for rid, done in store.returned.items():
                sale = hub.sold[rid]
                if any(q > sale.sold.get(s, 0) for s, q in done.items()):
                    fail(f"{store.sid} refunded {rid} beyond what was sold: {done}")
        for cid in sorted({hub.canon(c) for c in self.customers}):
            entries = [(eid, k, p) for eid, (c, k, p, _r) in hub.ledger.items() if hub.canon(c) == cid]
            by_kind = {
                k: sum(p for _e, kk, p in entries if kk == k) for k in ("earn", "redeem", "reverse", "expire")
            }
            by_kind["reverse"] += sum(p for e, _k, p in entries if e.startswith(CAP))
            balance = hub.balance(cid)
            if balance != by_kind["earn"] + by_kind["redeem"] + by_kind["reverse"] + by_kind["expire"]:
                fail(f"{cid}: balance {balance} ≠ earned − redeemed − reversed − expired {by_kind}")
            if (
                balance < 0
                and not ({cid} | {g for g, k in hub.merged.items() if hub.canon(k) == cid}) & hub.overdrafts
            ):
                fail(f"{cid}: silent overdraft {balance}")
        flagged = {rid for rid, _sku in hub.over_refunds}
        for rid, sale in hub.sold.items():
            reversed_ = hub.reversed_on(rid)
            taken = {sku: min(n, sale.sold.get(sku, 0)) for sku, n in hub.claims.get(rid, {}).items()}
            reversible = returns.returned_share(sale.earned, sale.total, sale.value, sale.sold, taken)
            if reversed_ > reversible:
                fail(f"{rid}: reversed {reversed_} points, its returned lines earned {reversible}")
            if rid in hub.capped and rid not in flagged:
                fail(f"{rid}: reversal capped but the receipt is not in the over-refund report")
        all_ops = [op for st in self.stores.values() for op in st.stock_ops]
        folded = fold_stock(all_ops)
        for key, level in folded.items():
            cell = hub.cells.get(key)
            if cell is None or cell.qty != level.qty:
                fail(f"stock {key}: hub {cell.qty if cell else None} ≠ fold {level.qty}")
            if level.oversold and key not in hub.oversold:
                fail(f"stock {key}: oversold and not flagged")
        for store in self.stores.values():
            for (sku, zone), qty in self.book(store).items():
                if folded[(sku, store.sid, zone)].qty != qty:
                    fail(f"stock {sku}/{store.sid}/{zone}: store {qty} ≠ fold")
        for oid, sid in hub.order_store.items():
            if self.stores[sid].orders.get(oid) != hub.orders[oid]:
                fail(f"order {oid}: hub {hub.orders[oid]} ≠ {sid} {self.stores[sid].orders.get(oid)}")
        for cid, prof in hub.profiles.items():
            for sid in hub.holders.get(cid, set()):
                if self.stores[sid].profiles.get(cid) != prof:
                    fail(f"profile {cid}: hub {prof} ≠ {sid} {self.stores[sid].profiles.get(cid)}")
        for store in self.stores.values():
            for gone in sorted(set(store.profiles) & set(hub.merged)):
                fail(f"{store.sid} still holds {gone}, merged into {hub.canon(gone)}")


@dataclass(frozen=True)
class Schedule:
    seed: int
    actions: int

    @classmethod
    def random(cls, seed: int) -> Schedule:
        return cls(seed, random.Random(seed).randint(60, 240))


def run(schedule: Schedule) -> Result:
    world = World(schedule.seed)
    for _ in range(schedule.actions):
        world.act()
    world.settle()
    world.check()
    failures = world.failures
    return Result(schedule.seed, not failures, schedule.actions, "; ".join(failures[:3]), world.counts)
