"""Fast checks of the fleet simulator's pure parts: scenario validation and the verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sync.fleet.errors import ScenarioError
from sync.fleet.scenario import load, parse
from sync.fleet.verdict import judge
from sync.ops import Op

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["demo", "chaos-day", "smoke"])
def test_shipped_scenarios_load(name: str) -> None:
    scenario = load(REPO / "firmware-config" / "scenarios" / f"{name}.toml")
    assert scenario.name == name and scenario.stores


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "at least one [[stores]]"),
        ({"stores": [{"id": "a"}, {"id": "a"}]}, "distinct"),
        ({"stores": [{"id": "a/b"}]}, "invalid store id"),
        ({"stores": [{"id": "a", "colour": 1}]}, "unknown keys"),
        ({"stores": [{"id": "a", "outages": [{"start_s": 50, "duration_s": 20}]}], "duration_s": 60}, "within the run"),
        ({"stores": [{"id": "a", "outages": [{"start_s": 1, "duration_s": 5}, {"start_s": 3, "duration_s": 5}]}]},
         "overlap"),
        ({"stores": [{"id": "a"}], "worker_kills": [{"at_s": 1, "worker": 3}]}, "worker 3 of 2"),
        ({"stores": [{"id": "a"}], "shoppers": {"online_share": 1.5}}, "online_share"),
        ({"stores": [{"id": "a"}], "reader_faults": [{"store": "a", "at_s": 1}]}, "devices = true"),
    ],
)  # fmt: skip
def test_bad_scenarios_are_refused_with_the_reason(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse(data)


def test_bad_toml_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("name = [")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load(path)


def _ops(store: str) -> list[Op]:
    hlc = iter(f"{1_700_000_000_000 + n:013d}.0000.{store}" for n in range(100))
    return [
        Op(store, 1, next(hlc), "stock.count", {"sku": "S1", "store": store, "zone": "floor", "qty": 10}),
        Op(store, 2, next(hlc), "stock.delta", {"sku": "S1", "store": store, "zone": "floor", "qty": -3, "reason": "sale"}),
        Op(store, 3, next(hlc), "loyalty.entry", {"entry_id": f"{store}:e1", "customer_id": "c1", "kind": "earn",
                                                  "points": 12}),
    ]  # fmt: skip


def _cloud(**changes: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "streams": {"a": {"ops": 3, "min_seq": 1, "max_seq": 3}},
        "marks": {"a": 3},
        "stock": [["S1", "a", 7]],
        "ledger": [["a:e1", "c1", 12], ["cloud:x", "c1", 5]],
        "quarantined": 0,
    }
    state.update(changes)
    return state


def test_green_when_the_cloud_holds_exactly_the_fold() -> None:
    verdict = judge({"a": _ops("a")}, {"a": 3}, _cloud())
    assert verdict.green, [c for c in verdict.checks if not c.ok]
    assert verdict.figures["loyalty_entries_from_cloud"] == 1


@pytest.mark.parametrize(
    ("acked", "changes", "red"),
    [
        (3, {"stock": [["S1", "a", 4]]}, "stock"),  # a sale applied twice
        (3, {"streams": {"a": {"ops": 2, "min_seq": 1, "max_seq": 3}}}, "every op once"),  # a gap
        (3, {"marks": {"a": 2}}, "high-water"),
        (2, {}, "acknowledged"),
        (3, {"ledger": [["a:e1", "c1", 13]]}, "ledger once"),
        (3, {"quarantined": 1}, "quarantined"),
    ],
)
def test_red_names_what_diverged(acked: int, changes: dict[str, Any], red: str) -> None:
    verdict = judge({"a": _ops("a")}, {"a": acked}, _cloud(**changes))
    assert not verdict.green
    assert any(red in c.name for c in verdict.checks if not c.ok)


def test_an_unrecovered_outage_is_red() -> None:
    assert not judge({"a": _ops("a")}, {"a": 3}, _cloud(), outages_recovered=False).green


def test_an_entry_id_written_with_different_points_by_two_stores_is_red() -> None:
    a, b = _ops("a"), _ops("b")
    b[2] = Op("b", 3, b[2].hlc, "loyalty.entry", {**a[2].body, "points": 99})
    cloud = _cloud(
        streams={"a": {"ops": 3, "min_seq": 1, "max_seq": 3}, "b": {"ops": 3, "min_seq": 1, "max_seq": 3}},
        marks={"a": 3, "b": 3},
        stock=[["S1", "a", 7], ["S1", "b", 7]],
    )
    verdict = judge({"a": a, "b": b}, {"a": 3, "b": 3}, cloud)
    assert next(c.name for c in verdict.checks if not c.ok).startswith("loyalty: an entry id means")
