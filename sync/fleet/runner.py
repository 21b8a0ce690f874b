"""Run a scenario on a fleet: trading with faults on a timeline, settling, then the verdict.

Timeline events (seconds from the start of trading) run on the main thread in order; slow ones
(a broker restart, a worker restart, measuring a catch-up) run on their own threads so the clock
keeps its pace. After ``duration_s`` the shoppers stop, staff keep handing over orders that are
still arriving, and the run waits (at most ``settle_timeout_s``) for every store to converge.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from sync.fleet.cluster import Fleet, FleetConfig, Say, StoreSpec
from sync.fleet.errors import FleetError
from sync.fleet.scenario import Outage, Scenario
from sync.fleet.shoppers import StoreShoppers
from sync.fleet.verdict import Verdict, judge

PICKUP_LEAD_S = 4.0  # pickups for an outage are placed this long before the cut
CATCH_UP_LIMIT_S = 120.0


@dataclass
class OutageRecord:
    store: str
    planned_s: float
    pickups: list[str] = field(default_factory=list)
    cut_at: float = 0.0
    restored_at: float = 0.0
    backlog_at_restore: int = 0
    catch_up_s: float | None = None

    @property
    def duration_s(self) -> float:
        return self.restored_at - self.cut_at if self.restored_at else 0.0


@dataclass
class RunResult:
    verdict: Verdict
    outages: list[OutageRecord]
    activity: dict[str, dict[str, int]]
    timings: dict[str, float]

    def summary(self) -> dict[str, Any]:
        return {
            "green": self.verdict.green,
            "failed": [c.name for c in self.verdict.checks if not c.ok],
            **self.verdict.figures,
            "activity": self.activity,
            "outages": [
                {
                    "store": o.store,
                    "duration_s": round(o.duration_s, 1),
                    "offline_backlog": o.backlog_at_restore,
                    "catch_up_s": None if o.catch_up_s is None else round(o.catch_up_s, 2),
                    "pickups_placed_before_cut": len(o.pickups),
                }
                for o in self.outages
            ],
            **{k: round(v, 1) for k, v in self.timings.items()},
        }


def fleet_for(scenario: Scenario, root: Path, repo: Path, csv: Path, say: Say) -> Fleet:
    config = FleetConfig(
        root=root, repo=repo, csv=csv, stores=[StoreSpec(s.store_id, s.months) for s in scenario.stores],
        workers=scenario.workers, devices=scenario.devices, skus=scenario.skus, customers=scenario.customers,
    )  # fmt: skip
    return Fleet(config, say)


Hook = Callable[[OutageRecord], None]


class Runner:
    """``hooks``: ``{"cut": f, "before_restore": f}`` called on the timeline thread with the outage
    (tests act in an offline store through them). ``reserved`` customers are left to the hooks:
    shoppers never pick them, and their allowances are not spent by shoppers."""

    def __init__(self, fleet: Fleet, scenario: Scenario, say: Say = print, *,
                 hooks: dict[str, Hook] | None = None, reserved: frozenset[str] = frozenset()) -> None:  # fmt: skip
        self.fleet = fleet
        self.sc = scenario
        self.say = say
        self.hooks = hooks or {}
        self.reserved = reserved
        self.shoppers: dict[str, StoreShoppers] = {}
        self.outages: list[OutageRecord] = []
        self.reserved_allowance: dict[tuple[str, str], int] = {}
        self._threads: list[threading.Thread] = []
        self._t0 = 0.0

    def _at(self) -> float:
        return time.monotonic() - self._t0

    def _log(self, text: str) -> None:
        self.say(f"[{self._at():6.1f}s] {text}")

    def _background(self, fn: Callable[[], None], name: str) -> None:
        t = threading.Thread(target=fn, name=name, daemon=True)
        t.start()
        self._threads.append(t)

    def run(self) -> RunResult:
        timings: dict[str, float] = {}
        fleet = self.fleet
        assert fleet.retail is not None
        customers = fleet.retail.customers
        # each store leases allowances to its own slice of customers, so redemptions stay in bounds
        per = self.sc.allowance_customers
        for n, (sid, store) in enumerate(fleet.stores.items()):
            shoppers_pick = [c for c in customers if c not in self.reserved]
            shop = StoreShoppers(fleet, store, self.sc.shoppers, seed=self.sc.seed, customers=shoppers_pick,
                                 skus=fleet.retail.skus)  # fmt: skip
            shop.lease_allowances(customers[n * per : (n + 1) * per], self.sc.allowance_points)
            for customer in self.reserved:
                self.reserved_allowance[(sid, customer)] = shop.activity.allowance.pop(customer, 0)
            self.shoppers[sid] = shop
        fleet.wait_converged(60, "allowances reaching the stores")
        events = self._events()
        self._t0 = time.monotonic()
        self._log(f"trading for {self.sc.duration_s:.0f}s: {len(events)} timed events")
        for shop in self.shoppers.values():
            shop.start()
        try:
            for at, _order, action in events:
                while self._at() < at:
                    fleet.check_alive_except_restarts(self._expected_down)
                    time.sleep(0.05)
                action()
            while self._at() < self.sc.duration_s:
                fleet.check_alive_except_restarts(self._expected_down)
                time.sleep(0.05)
            timings["trading_s"] = self._at()
            for shop in self.shoppers.values():
                shop.stop_shopping()
            self._log("trading over; settling")
            settle_start = time.monotonic()
            for t in self._threads:
                t.join(max(1.0, self.sc.settle_timeout_s))
            self._settle(settle_start)
            timings["settle_s"] = time.monotonic() - settle_start
        finally:
            for shop in self.shoppers.values():
                shop.stop()
        started = time.monotonic()
        store_ops, acked = {}, {}
        for sid, store in fleet.stores.items():
            store_ops[sid], acked[sid] = fleet.export_ops(store)
        cloud = fleet.cloud_state()
        recovered = all(o.restored_at and o.catch_up_s is not None for o in self.outages)
        verdict = judge(store_ops, acked, cloud, recovered)
        for sid, shop in self.shoppers.items():
            errors = shop.activity.counts.get("errors", 0)
            verdict.add(f"{sid}: no failed requests", errors == 0, "; ".join(shop.activity.errors[:3]))
        for o in self.outages:
            handed = [x for x in o.pickups if x in self.shoppers[o.store].activity.handed_over_offline]
            verdict.add(f"{o.store}: pickups placed before the cut handed over offline ({len(o.pickups)})",
                        len(handed) == len(o.pickups), f"handed over offline: {len(handed)}")  # fmt: skip
        timings["verdict_s"] = time.monotonic() - started
        activity = {sid: dict(sorted(s.activity.counts.items())) for sid, s in self.shoppers.items()}
        return RunResult(verdict, self.outages, activity, timings)

    # -- timeline ---------------------------------------------------------------------------------
    _expected_down: set[str]

    def _events(self) -> list[tuple[float, int, Callable[[], None]]]:
        self._expected_down = set()
        events: list[tuple[float, int, Callable[[], None]]] = []
        for n, outage in enumerate(self.sc.outages):
            record = OutageRecord(outage.store, outage.duration_s)
            self.outages.append(record)
            if outage.pickups:
                lead = max(0.0, outage.start_s - PICKUP_LEAD_S)
                events.append((lead, n, partial(self._place_pickups, outage, record)))
            events.append((outage.start_s, 100 + n, partial(self._cut, record)))
            events.append((outage.start_s + outage.duration_s, 200 + n, partial(self._restore, record)))
        for n, b in enumerate(self.sc.broker_restarts):
            restart = partial(self._restart_broker, b.down_s)
            events.append((b.at_s, 300 + n, partial(self._background, restart, "broker")))
        for n, k in enumerate(self.sc.worker_kills):
            events.append((k.at_s, 400 + n, partial(self._kill_worker, k.worker, k.restart_after_s)))
        for n, r in enumerate(self.sc.reader_faults):
            fault = partial(self._reader_fault, r.store, r.recount_after_s)
            events.append((r.at_s, 500 + n, partial(self._background, fault, "reader")))
        events.sort(key=lambda e: (e[0], e[1]))
        return events

    def _place_pickups(self, outage: Outage, record: OutageRecord) -> None:
        shop = self.shoppers[outage.store]
        assert self.fleet.retail is not None
        for n in range(outage.pickups):
            oid = shop.order_online(shop.customers[-1 - n], held=True)
            if oid:
                record.pickups.append(oid)
        deadline = time.monotonic() + PICKUP_LEAD_S * 3
        while time.monotonic() < deadline and not all(shop.on_edge(o) for o in record.pickups):
            time.sleep(0.1)
        self._log(
            f"{outage.store}: {len(record.pickups)} click & collect orders placed and on the edge before the cut"
        )

    def _cut(self, record: OutageRecord) -> None:
        store = self.fleet.stores[record.store]
        store.proxy.cut()
        record.cut_at = time.monotonic()
        self._log(f"{record.store}: link CUT (outage of {record.planned_s:.0f}s)")
        if record.pickups:
            self.shoppers[record.store].release(record.pickups)
        if "cut" in self.hooks:
            self.hooks["cut"](record)

    def _restore(self, record: OutageRecord) -> None:
        if "before_restore" in self.hooks:
            self.hooks["before_restore"](record)
        store = self.fleet.stores[record.store]
        last, _acked, applied = self.fleet.lag(store)
        record.backlog_at_restore = last - applied
        store.proxy.restore()
        record.restored_at = time.monotonic()
        self._log(
            f"{record.store}: link RESTORED after {record.duration_s:.1f}s, {record.backlog_at_restore} ops to send"
        )

        def measure() -> None:
            deadline = record.restored_at + CATCH_UP_LIMIT_S
            while time.monotonic() < deadline:
                try:
                    if int(self.fleet.cloud_store(record.store)["uplink_applied_seq"]) >= last:
                        record.catch_up_s = time.monotonic() - record.restored_at
                        self._log(f"{record.store}: caught up in {record.catch_up_s:.2f}s")
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            self._log(f"{record.store}: NOT caught up after {CATCH_UP_LIMIT_S:.0f}s")

        self._background(measure, f"catch-up-{record.store}")

    def _restart_broker(self, down_s: float) -> None:
        self._log(f"broker: stopping for {down_s:.1f}s")
        self.fleet.restart_broker(down_s)
        self._log("broker: back")

    def _kill_worker(self, n: int, restart_after_s: float) -> None:
        self._expected_down.add(f"hub-worker-{n}")
        self.fleet.kill_worker(n)
        self._log(f"hub worker {n}: kill -9")

        def restart() -> None:
            time.sleep(restart_after_s)
            self.fleet.restart_worker(n)
            self._expected_down.discard(f"hub-worker-{n}")
            self._log(f"hub worker {n}: restarted")

        self._background(restart, f"worker-{n}")

    def _reader_fault(self, store_id: str, recount_after_s: float) -> None:
        store = self.fleet.stores[store_id]
        shop = self.shoppers[store_id]
        r = store.client.post("/api/v1/devices/counts", json={}, headers=store.headers())
        if r.status_code != 201:
            shop.error(f"start count: {r.status_code} {r.text[:200]}")
            return
        self._log(f"{store_id}: RFID count {r.json().get('session_id')} abandoned (reader fault)")
        shop.count("counts_abandoned")
        time.sleep(recount_after_s)
        r = store.client.post("/api/v1/devices/counts", json={}, headers=store.headers())
        if r.status_code != 201:
            shop.error(f"recount: {r.status_code} {r.text[:200]}")
            return
        count_id = r.json()["session_id"]
        time.sleep(2.0)
        r = store.client.post(f"/api/v1/devices/counts/{count_id}/finish", headers=store.headers())
        if r.status_code not in (200, 201):
            shop.error(f"finish count: {r.status_code} {r.text[:200]}")
            return
        shop.count("counts_finished")
        self._log(f"{store_id}: RFID recount {count_id} finished")

    def _settle(self, started: float) -> None:
        for store in self.fleet.stores.values():
            store.proxy.restore()
        deadline = started + self.sc.settle_timeout_s
        while time.monotonic() < deadline:
            if all(s.open_orders() == 0 for s in self.shoppers.values()):
                break
            time.sleep(0.2)
        left = max(5.0, deadline - time.monotonic())
        took = self.fleet.wait_converged(left, "settling")
        self._log(f"converged {took:.1f}s after the last action")


def run_scenario(scenario: Scenario, root: Path, repo: Path, csv: Path, say: Say = print) -> RunResult:
    fleet = fleet_for(scenario, root, repo, csv, say)
    try:
        started = time.monotonic()
        fleet.start()
        up = time.monotonic() - started
        result = Runner(fleet, scenario, say).run()
        result.timings["fleet_start_s"] = up
        return result
    except FleetError:
        raise
    finally:
        fleet.stop()
