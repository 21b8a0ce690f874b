"""Simulated shoppers and staff at one store, driven through the store's and the hub's HTTP APIs.

One thread per store: shoppers arrive as a Poisson process (``per_minute``); each either buys in the
store (staff API: sale with or without a loyalty card, points redeemed within the allowance the
cloud leased to this store), returns an item of an earlier receipt, or orders click & collect online
at this store (the hub's e-commerce API). Between arrivals the store's staff hand over the click &
collect orders that reached the edge (pick, then collect with the customer's id).
Every request is bounded by a timeout; anything but the expected answers counts as an error.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx

from sync.fleet.cluster import Fleet, Store
from sync.fleet.scenario import Shoppers

STAFF_EVERY_S = 0.5


@dataclass
class PlacedOrder:
    order_id: str
    store: str
    customer_id: str
    placed_at: float


@dataclass
class StoreActivity:
    """What happened at one store (the figures), plus what later actions need."""

    counts: Counter[str] = field(default_factory=Counter)
    receipts: list[tuple[str, str]] = field(default_factory=list)  # (receipt_id, sku) returnable
    allowance: dict[str, int] = field(default_factory=dict)  # customer -> points still redeemable here
    orders: dict[str, PlacedOrder] = field(default_factory=dict)
    held: set[str] = field(default_factory=set)  # orders staff must not hand over yet
    handed_over_offline: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class StoreShoppers:
    def __init__(self, fleet: Fleet, store: Store, conf: Shoppers, *, seed: int, customers: list[str],
                 skus: list[str]) -> None:  # fmt: skip
        self.fleet = fleet
        self.store = store
        self.conf = conf
        self.rng = random.Random(f"{seed}:{store.store_id}")
        self.customers = customers
        self.skus = skus
        self.activity = StoreActivity()
        self.shopping = threading.Event()
        self.staffing = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=f"shoppers-{store.store_id}", daemon=True)

    # -- control ----------------------------------------------------------------------------------
    def start(self) -> None:
        self.shopping.set()
        self.staffing.set()
        self._thread.start()

    def stop_shopping(self) -> None:
        self.shopping.clear()

    def stop(self) -> None:
        self.shopping.clear()
        self.staffing.clear()
        self._thread.join(30)

    def open_orders(self) -> int:
        with self._lock:
            return sum(1 for o in self.activity.orders if o not in self._done)

    # -- loop -------------------------------------------------------------------------------------
    _done: set[str]

    def _run(self) -> None:
        self._done = set()
        rate = self.conf.per_minute / 60.0
        next_arrival = time.monotonic() + (self.rng.expovariate(rate) if rate else 1e9)
        next_staff = time.monotonic()
        while self.staffing.is_set():
            now = time.monotonic()
            if self.shopping.is_set() and now >= next_arrival:
                self._guard(self._shopper)
                next_arrival = now + self.rng.expovariate(rate)
            if now >= next_staff:
                self._guard(self._staff)
                next_staff = now + STAFF_EVERY_S
            time.sleep(max(0.0, min(next_arrival, next_staff) - time.monotonic(), 0.01) if rate else 0.05)

    def _guard(self, action: Any) -> None:
        try:
            action()
        except httpx.HTTPError as err:
            self.error(f"{type(err).__name__}: {err}")

    def error(self, text: str) -> None:
        with self._lock:
            self.activity.counts["errors"] += 1
            if len(self.activity.errors) < 20:
                self.activity.errors.append(text[:300])

    def count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.activity.counts[key] += n

    # -- shoppers -----------------------------------------------------------------------------------
    def _shopper(self) -> None:
        roll = self.rng.random()
        if roll < self.conf.online_share:
            self.order_online(self.rng.choice(self.customers))
        elif roll < self.conf.online_share + self.conf.return_share and self.activity.receipts:
            self._return()
        else:
            self._sale()

    def _sale(self) -> None:
        lines_n = self.rng.randint(1, self.conf.basket_max_lines)
        skus = self.rng.sample(self.skus, min(lines_n, len(self.skus)))
        body: dict[str, Any] = {"lines": [{"sku": s, "qty": self.rng.randint(1, 2)} for s in skus]}
        customer = None
        if self.rng.random() < self.conf.loyalty_share:
            with self._lock:
                holders = sorted(c for c, left in self.activity.allowance.items() if left > 0)
            if holders and self.rng.random() < self.conf.redeem_share:
                customer = self.rng.choice(holders)
                body["redeem_points"] = min(self.activity.allowance[customer], self.rng.randint(5, 25))
            else:
                customer = self.rng.choice(self.customers)
            body["customer_id"] = customer
        r = self.store.client.post("/api/v1/sales", json=body, headers=self.store.headers())
        if r.status_code == 201:
            receipt = r.json()
            self.count("sales")
            self.count("sale_lines", len(skus))
            if customer:
                self.count("loyalty_sales")
                self.count("points_earned", int(receipt["points_earned"]))
            if body.get("redeem_points"):
                with self._lock:
                    self.activity.allowance[customer or ""] -= int(body["redeem_points"])
                self.count("redemptions")
                self.count("points_redeemed", int(body["redeem_points"]))
            with self._lock:
                self.activity.receipts.append((receipt["receipt_id"], skus[0]))
        elif body.get("redeem_points") and (
            r.status_code == 409 or (r.status_code == 422 and "exceeds" in r.text)
        ):
            self.count("redemptions_refused")  # beyond the allowance (409) or the basket total (422)
        else:
            self.error(f"sale: {r.status_code} {r.text[:200]}")

    def _return(self) -> None:
        with self._lock:
            receipt_id, sku = self.activity.receipts.pop(self.rng.randrange(len(self.activity.receipts)))
        body = {"receipt_id": receipt_id, "lines": [{"sku": sku, "qty": 1}]}
        r = self.store.client.post("/api/v1/returns", json=body, headers=self.store.headers())
        if r.status_code == 201:
            self.count("returns")
        else:
            self.error(f"return of {receipt_id}: {r.status_code} {r.text[:200]}")

    def order_online(self, customer: str, held: bool = False) -> str | None:
        """A click & collect order for this store on the hub's web shop; its id, or None if refused."""
        assert self.fleet.hub is not None
        body = {"kind": "click_collect", "store": self.store.store_id, "customer_id": customer,
                "lines": [{"sku": self.rng.choice(self.skus), "qty": 1}]}  # fmt: skip
        r = self.fleet.hub.post("/shop/v1/orders", json=body, headers=self.fleet.shop)
        if r.status_code == 201:
            order_id = str(r.json()["order_id"])
            with self._lock:
                self.activity.orders[order_id] = PlacedOrder(
                    order_id, self.store.store_id, customer, time.monotonic()
                )
                if held:
                    self.activity.held.add(order_id)
            self.count("online_orders")
            return order_id
        if r.status_code == 409:
            self.count("online_orders_refused")
        else:
            self.error(f"online order: {r.status_code} {r.text[:200]}")
        return None

    # -- staff --------------------------------------------------------------------------------------
    def _staff(self) -> None:
        with self._lock:
            waiting = [o for o in self.activity.orders.values() if o.order_id not in self._done
                       and o.order_id not in self.activity.held]  # fmt: skip
        for order in waiting:
            r = self.store.client.get(f"/api/v1/orders/{order.order_id}", headers=self.store.headers())
            if r.status_code == 404:
                continue  # not on this edge yet (downlink)
            if r.status_code != 200:
                self.error(f"order {order.order_id}: {r.status_code} {r.text[:200]}")
                continue
            state = r.json()["state"]
            if state == "placed":
                r = self.store.client.post(
                    f"/api/v1/orders/{order.order_id}/pick", headers=self.store.headers()
                )
                if r.status_code != 200:
                    self.error(f"pick {order.order_id}: {r.status_code} {r.text[:200]}")
                    continue
                state = "picked"
            if state == "picked":
                r = self.store.client.post(f"/api/v1/orders/{order.order_id}/collect",
                                           json={"customer": order.customer_id}, headers=self.store.headers())  # fmt: skip
                if r.status_code != 200:
                    self.error(f"collect {order.order_id}: {r.status_code} {r.text[:200]}")
                    continue
                self.count("pickups")
                if not self.store.proxy.online:
                    with self._lock:
                        self.activity.handed_over_offline.append(order.order_id)
                    self.count("pickups_offline")
            with self._lock:
                self._done.add(order.order_id)

    def on_edge(self, order_id: str) -> bool:
        r = self.store.client.get(f"/api/v1/orders/{order_id}", headers=self.store.headers())
        return r.status_code == 200

    def release(self, order_ids: list[str]) -> None:
        with self._lock:
            self.activity.held.difference_update(order_ids)

    def lease_allowances(self, customers: list[str], points: int) -> int:
        """Have head office lease offline allowances of these customers to this store (store API with
        the admin token: a store's own token leases only for customers with a history there, and
        these are known to every store from its seed, not from the hub); total points granted."""
        assert self.fleet.hub is not None
        granted = 0
        for customer in customers:
            r = self.fleet.hub.post(f"/store/v1/{self.store.store_id}/loyalty/allowances", json={"customer_id": customer, "points": points},
                                    headers=self.fleet.admin)  # fmt: skip
            if r.status_code != 201:
                self.error(f"allowance for {customer}: {r.status_code} {r.text[:200]}")
                continue
            got = int(r.json().get("points", 0))
            if got > 0:
                with self._lock:
                    self.activity.allowance[customer] = self.activity.allowance.get(customer, 0) + got
                granted += got
        self.count("allowance_points", granted)
        return granted
