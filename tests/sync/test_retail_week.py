"""The retail-week verdict (issue 13, point 5): 1,000 seeded business schedules across three stores
and the web shop, with outages and link faults, in CI time; and the checks can fail."""

from __future__ import annotations

import time

import pytest

from sync.fleet.cli import main as vitrine_sim
from sync.sim import retail
from sync.sim.retail import Schedule, World, run


def test_a_thousand_retail_weeks_keep_every_invariant() -> None:
    started = time.perf_counter()
    results = [run(Schedule.random(seed)) for seed in range(1000)]
    took = time.perf_counter() - started
    failed = [(r.seed, r.detail) for r in results if not r.ok]
    assert not failed, (
        f"failing seeds (replay with vitrine-sim retail-week --seed S --schedules 1): {failed[:5]}"
    )
    assert took < 40, f"1000 schedules took {took:.1f}s"
    events: dict[str, int] = {}
    for r in results:
        for what, n in r.counts.items():
            events[what] = events.get(what, 0) + n
    # the schedules really exercise the flows the invariants are about
    for what in ("return offline", "return online", "return refused", "full-store count", "zone count",
                 "redemption offline", "order collected", "order cancelled online", "profile edit online",
                 "outage", "transfer", "goods received", "identity merge", "points expired",
                 "order reinstated (the store's pick won)", "reversal capped at merge"):  # fmt: skip
        assert events.get(what, 0) > 10, (what, events)


def test_the_checks_catch_a_reversal_above_what_was_earned(monkeypatch: pytest.MonkeyPatch) -> None:
    """An offline double refund reverses the points twice; without the hub's cap the verdict is red."""
    monkeypatch.setattr(World, "hub_cap", lambda self, *args: None)
    failed = [r for r in (run(Schedule.random(seed)) for seed in range(300)) if not r.ok]
    assert failed and any("earned" in r.detail for r in failed)


def test_the_checks_catch_an_online_cancel_beating_the_stores_pick(monkeypatch: pytest.MonkeyPatch) -> None:
    """Today's bug: a store applying the shop's cancel to an order it already picked (or the hub
    keeping its cancel) leaves the order in two states."""
    original = World.store_apply

    def cancel_picked_too(self: World, store: retail.Store, kind: str, body: object) -> None:
        if kind == "order.cancelled" and store.orders.get(str(body)) == "picked":
            store.orders[str(body)] = "cancelled"
            return
        original(self, store, kind, body)

    monkeypatch.setattr(World, "store_apply", cancel_picked_too)
    failed = [r for r in (run(Schedule.random(seed)) for seed in range(300)) if not r.ok]
    assert failed and any("order" in r.detail for r in failed)


def test_the_checks_catch_a_merge_not_relayed(monkeypatch: pytest.MonkeyPatch) -> None:
    original = World.merge_customers

    def merge_quietly(self: World) -> None:
        saved = {sid: list(st.downlink) for sid, st in self.stores.items()}
        original(self)
        for sid, st in self.stores.items():
            st.downlink[:] = saved[sid]

    monkeypatch.setattr(World, "merge_customers", merge_quietly)
    failed = [r for r in (run(Schedule.random(seed)) for seed in range(100)) if not r.ok]
    assert failed and any("merged into" in r.detail for r in failed)


def test_the_checks_catch_a_store_that_refunds_without_asking_the_hub(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Today's bug: a store refunding what it holds without the hub's reservation."""

    def approve_blindly(
        self: World, store: str | None, return_id: str, sale: retail.Sale, lines: dict[str, int]
    ) -> int:
        self.hub_claim(return_id, sale.receipt_id, lines, offline=False)
        return 0

    monkeypatch.setattr(World, "hub_reserve", approve_blindly)
    failed = [r for r in (run(Schedule.random(seed)) for seed in range(100)) if not r.ok]
    assert failed and any("every return taken online" in r.detail for r in failed)


def test_the_checks_catch_profiles_not_relayed(monkeypatch: pytest.MonkeyPatch) -> None:
    original = World.hub_profile

    def no_relay(self: World, origin: str, cid: str, fields: dict[str, object], hlc: str) -> None:
        saved = {sid: list(st.downlink) for sid, st in self.stores.items()}
        original(self, origin, cid, fields, hlc)
        for sid, st in self.stores.items():
            st.downlink[:] = saved[sid]

    monkeypatch.setattr(World, "hub_profile", no_relay)
    failed = [r for r in (run(Schedule.random(seed)) for seed in range(50)) if not r.ok]
    assert failed and any("profile" in r.detail for r in failed)


def test_vitrine_sim_retail_week_prints_the_verdict_and_failing_seeds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert vitrine_sim(["retail-week", "--schedules", "20", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "verdict: GREEN — 20 schedules, 0 failed" in out and "every profile equal" in out
    monkeypatch.setattr(World, "check", lambda self: self.failures.append("forced"))
    assert vitrine_sim(["retail-week", "--schedules", "2", "--seed", "40"]) == 1
    out = capsys.readouterr().out
    assert "seed 40: FAILED forced (replay: vitrine-sim retail-week --seed 40 --schedules 1)" in out
