"""Scenario files (TOML): the fleet, the shoppers, and the faults on a timeline.

Times are seconds from the start of trading. See docs/simulation.md for the format; every field has
a default except the store list. :func:`load` validates everything before anything starts.
"""

from __future__ import annotations

import dataclasses
import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync.errors import SyncError
from sync.fleet.errors import ScenarioError
from sync.topics import check_store_id

DEFAULT_CSV = Path("..") / "shared" / "data" / "retail" / "online_retail_2010-12_2011-10.csv.gz"
MAX_DURATION_S = 3600.0


@dataclass(frozen=True)
class Outage:
    store: str
    start_s: float
    duration_s: float
    pickups: int = 0  # click & collect orders placed just before the cut, handed over during it


@dataclass(frozen=True)
class BrokerRestart:
    at_s: float
    down_s: float = 2.0


@dataclass(frozen=True)
class WorkerKill:
    at_s: float
    worker: int = 1
    restart_after_s: float = 2.0


@dataclass(frozen=True)
class ReaderFault:
    """An RFID cycle count at ``store`` interrupted by a reader fault: started at ``at_s`` and
    abandoned (never finished), then a clean recount ``recount_after_s`` later."""

    store: str
    at_s: float
    recount_after_s: float = 3.0


@dataclass(frozen=True)
class Shoppers:
    per_minute: float = 30.0  # per store
    online_share: float = 0.15  # share of shoppers ordering click & collect online instead
    loyalty_share: float = 0.6
    return_share: float = 0.08
    redeem_share: float = 0.2  # of loyalty shoppers holding an allowance at that store
    basket_max_lines: int = 3


@dataclass(frozen=True)
class StoreConf:
    store_id: str
    months: int = 1


@dataclass(frozen=True)
class Scenario:
    name: str
    stores: list[StoreConf]
    duration_s: float = 60.0
    settle_timeout_s: float = 90.0
    seed: int = 1
    workers: int = 2
    devices: bool = False
    skus: int = 40
    customers: int = 60
    allowance_customers: int = 6  # per store, leased before trading starts
    allowance_points: int = 100
    shoppers: Shoppers = field(default_factory=Shoppers)
    outages: list[Outage] = field(default_factory=list)
    broker_restarts: list[BrokerRestart] = field(default_factory=list)
    worker_kills: list[WorkerKill] = field(default_factory=list)
    reader_faults: list[ReaderFault] = field(default_factory=list)


def _take(table: dict[str, Any], cls: Any, where: str, **fixed: Any) -> Any:
    known = {f.name for f in dataclasses.fields(cls)} - set(fixed)
    unknown = set(table) - known
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(known)})")
    try:
        return cls(**table, **fixed)
    except TypeError as err:
        raise ScenarioError(f"{where}: {err}") from err


def parse(data: dict[str, Any], name: str = "scenario") -> Scenario:
    data = dict(data)
    stores_raw = data.pop("stores", None)
    if not isinstance(stores_raw, list) or not stores_raw:
        raise ScenarioError("a scenario needs at least one [[stores]] table with an id")
    stores: list[StoreConf] = []
    outages: list[Outage] = []
    for n, table in enumerate(stores_raw, start=1):
        raw = dict(table)
        sid = raw.pop("id", None)
        if not isinstance(sid, str):
            raise ScenarioError(f"stores[{n}]: id (a string) is required")
        try:
            check_store_id(sid)
        except SyncError as err:
            raise ScenarioError(f"stores[{n}]: {err}") from err
        for m, o in enumerate(raw.pop("outages", []), start=1):
            outages.append(_take(dict(o), Outage, f"stores[{n}].outages[{m}]", store=sid))
        stores.append(_take(raw, StoreConf, f"stores[{n}]", store_id=sid))
    shoppers = _take(dict(data.pop("shoppers", {})), Shoppers, "shoppers")
    lists = {
        "broker_restarts": [_take(dict(x), BrokerRestart, "broker_restarts") for x in data.pop("broker_restarts", [])],
        "worker_kills": [_take(dict(x), WorkerKill, "worker_kills") for x in data.pop("worker_kills", [])],
        "reader_faults": [_take(dict(x), ReaderFault, "reader_faults") for x in data.pop("reader_faults", [])],
    }  # fmt: skip
    data.setdefault("name", name)
    scenario: Scenario = _take(
        data, Scenario, "scenario", stores=stores, shoppers=shoppers, outages=outages, **lists
    )
    _validate(scenario)
    return scenario


def _validate(sc: Scenario) -> None:
    ids = [s.store_id for s in sc.stores]
    problems: list[str] = []
    if len(set(ids)) != len(ids):
        problems.append("store ids must be distinct")
    if not 0 < sc.duration_s <= MAX_DURATION_S:
        problems.append(f"duration_s must be in (0, {MAX_DURATION_S:.0f}]")
    if not 0 < sc.settle_timeout_s <= MAX_DURATION_S:
        problems.append("settle_timeout_s must be positive and bounded")
    if not 1 <= sc.workers <= 8:
        problems.append("workers must be 1..8")
    if any(not 1 <= s.months <= 11 for s in sc.stores):
        problems.append("months must be 1..11")
    sh = sc.shoppers
    if not 0 <= sh.per_minute <= 6000 or sh.basket_max_lines < 1:
        problems.append("shoppers.per_minute must be 0..6000 and basket_max_lines >= 1")
    for key in ("online_share", "loyalty_share", "return_share", "redeem_share"):
        if not 0 <= getattr(sh, key) <= 1:
            problems.append(f"shoppers.{key} must be within 0..1")
    for o in sc.outages:
        if o.start_s < 0 or o.duration_s <= 0 or o.start_s + o.duration_s > sc.duration_s or o.pickups < 0:
            problems.append(f"outage of {o.store} at {o.start_s}s must lie within the run")
    by_store: dict[str, list[Outage]] = {}
    for o in sc.outages:
        by_store.setdefault(o.store, []).append(o)
    for store, outs in by_store.items():
        outs.sort(key=lambda o: o.start_s)
        if any(a.start_s + a.duration_s > b.start_s for a, b in itertools.pairwise(outs)):
            problems.append(f"outages of {store} overlap")
    for b in sc.broker_restarts:
        if not 0 <= b.at_s <= sc.duration_s or not 0 <= b.down_s <= 60:
            problems.append("broker restart times must lie within the run (down_s <= 60)")
    for k in sc.worker_kills:
        if not 1 <= k.worker <= sc.workers or not 0 <= k.at_s <= sc.duration_s:
            problems.append(f"worker kill names worker {k.worker} of {sc.workers} or lies outside the run")
    for r in sc.reader_faults:
        if r.store not in ids or not 0 <= r.at_s <= sc.duration_s:
            problems.append(f"reader fault at unknown store {r.store!r} or outside the run")
    if sc.reader_faults and not sc.devices:
        problems.append("reader_faults need devices = true (simulated readers on the edges)")
    if problems:
        raise ScenarioError("; ".join(problems))


def load(path: Path) -> Scenario:
    try:
        data = tomllib.loads(path.read_text())
    except OSError as err:
        raise ScenarioError(f"cannot read scenario {path}: {err}") from err
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(f"{path} is not valid TOML: {err}") from err
    return parse(data, path.stem)
