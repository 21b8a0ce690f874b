"""The seeded deterministic simulation: 1,000 random fault schedules, and proof it can fail."""

from __future__ import annotations

import pytest

from sync.receiver import Plan
from sync.sim import engine
from sync.sim.cli import main
from sync.sim.engine import Schedule, run


def test_one_thousand_random_fault_schedules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--schedules", "1000", "--seed", "0"]) == 0
    assert '"failed": 0' in capsys.readouterr().out


def test_runs_are_deterministic() -> None:
    assert run(Schedule.random(42)) == run(Schedule.random(42))


def test_a_receiver_that_ignores_gaps_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    def sloppy(hwm: int, ops):  # type: ignore[no-untyped-def]
        fresh = tuple(sorted((o for o in ops if o.seq > hwm), key=lambda o: o.seq))
        return Plan(fresh, 0, False, max([hwm, *(o.seq for o in fresh)]))

    monkeypatch.setattr(engine, "plan", sloppy)
    results = [run(Schedule.random(seed)) for seed in range(60)]
    assert any(not r.ok for r in results)
