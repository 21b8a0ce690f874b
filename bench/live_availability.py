"""Live availability benchmark: what marking costs the ingest, and how well bursts are coalesced.

1. Ingest cost: a store's sales (``stock.delta`` batches of 100 over ``--skus`` skus) applied through
   the real ``StreamApplier`` with the hub's projections, with availability marking on and, as the
   baseline measured in the same run, off (``cloud.projections._mark_availability`` replaced by a
   no-op). Alternating runs; medians of ops/s and their ratio; and the marking alone timed in
   microseconds per op (steadier than the ratio when other jobs load the machine).
2. Coalescing: ``--sales`` sales from one store spread over ``--burst-s`` seconds of simulated time
   while two publishers race every 0.25 s (as two workers); summaries published, figures carried,
   sales per summary, and the median time of a publisher round.

    python bench/live_availability.py            # SQLite, 20,000 sales per ingest run
    python bench/live_availability.py --quick    # < 30 s
    python bench/live_availability.py --pg       # PostgreSQL (a throw-away local cluster)

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, select  # noqa: E402

from cloud import projections, stock_summary  # noqa: E402
from cloud.admin import stores  # noqa: E402
from cloud.ingest.apply import StreamApplier  # noqa: E402
from cloud.localpg import LocalPostgres  # noqa: E402
from cloud.settings import CloudSettings  # noqa: E402
from cloud.storage import make_engine, migrate  # noqa: E402
from cloud.storage import schema as s  # noqa: E402
from sync.broker import free_port  # noqa: E402
from sync.hlc import HybridClock  # noqa: E402
from sync.ops import Op  # noqa: E402

STORES = ("a", "b", "c")


class Stream:
    def __init__(self, store: str) -> None:
        self.store, self.seq, self.wall = store, 0, int(time.time() * 1000)

    def delta(self, sku: str, ref: str) -> Op:
        self.seq += 1
        self.wall += 1
        body = {"sku": sku, "store": self.store, "zone": "", "qty": -1, "reason": "sale", "ref": ref}
        return Op(self.store, self.seq, f"{self.wall:013d}.0000.{self.store}", "stock.delta", body)


@contextmanager
def databases(pg: bool, root: Path) -> Iterator[Any]:
    if not pg:
        n = iter(range(1000))
        yield lambda: f"sqlite:///{root / f'hub-{next(n)}.db'}"
        return
    cluster = LocalPostgres(datadir=root / "pg", port=free_port())
    cluster.start()
    n = iter(range(1000))
    try:
        yield lambda: cluster.create_database(f"bench_live_{next(n)}")
    finally:
        cluster.stop()


def fresh(url: str) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    settings = CloudSettings(database_url=url)
    with engine.begin() as conn:
        for store in STORES:
            stores.provision(conn, HybridClock("bench"), settings, store, store)
    return engine


def ingest_run(url: str, sales: int, skus: int, marking: bool) -> float:
    engine = fresh(url)
    applier = StreamApplier(engine, projections.apply)
    stream = Stream("b")
    ops = [stream.delta(f"SKU-{i % skus:05d}", f"r{i}") for i in range(sales)]
    saved = projections._mark_availability
    if not marking:
        projections._mark_availability = lambda _conn, _ops: None  # type: ignore[assignment]
    try:
        started = time.perf_counter()
        for i in range(0, sales, 100):
            applier.apply("b", ops[i : i + 100])
        took = time.perf_counter() - started
    finally:
        projections._mark_availability = saved  # type: ignore[assignment]
    engine.dispose()
    return sales / took


def marking_cost(url: str, sales: int, skus: int) -> float:
    """Microseconds per op of the marking alone (changes_of + mark, in the batch's transaction):
    steadier than the ratio of two ingest rates on a shared machine."""
    engine = fresh(url)
    stream = Stream("b")
    ops = [stream.delta(f"SKU-{i % skus:05d}", f"r{i}") for i in range(sales)]
    spent = 0.0
    for i in range(0, sales, 100):
        with engine.begin() as conn:
            started = time.perf_counter()
            stock_summary.mark(conn, stock_summary.changes_of(ops[i : i + 100], {}))
            spent += time.perf_counter() - started
    engine.dispose()
    return spent / sales * 1e6


def coalescing(url: str, sales: int, skus: int, burst_s: float, interval_s: float) -> dict[str, Any]:
    engine = fresh(url)
    applier = StreamApplier(engine, projections.apply)
    clocks = [HybridClock("w1"), HybridClock("w2")]
    stream = Stream("b")
    rounds_ms: list[float] = []

    def race(now: float) -> None:
        def one(clock: HybridClock) -> None:
            started = time.perf_counter()
            stock_summary.publish_round(engine, clock, interval_s, now)
            rounds_ms.append((time.perf_counter() - started) * 1000)

        threads = [threading.Thread(target=one, args=(c,)) for c in clocks]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    t0 = 1_000.0
    race(t0)
    ticks = int(burst_s / 0.25)
    per_tick = max(1, sales // ticks)
    sold = 0
    for k in range(1, ticks + 1):
        batch = [stream.delta(f"SKU-{(sold + i) % skus:05d}", f"r{sold + i}") for i in range(per_tick)]
        applier.apply("b", batch)
        sold += len(batch)
        race(t0 + k * 0.25)
    race(t0 + burst_s + interval_s)
    with engine.connect() as conn:
        bodies = [
            json.loads(b)
            for (b,) in conn.execute(
                select(s.downlink_ops.c.body).where(
                    s.downlink_ops.c.store == "a", s.downlink_ops.c.type == "stock.summary"
                )
            )
        ]
        truth = {k: q for k, (q, _) in stock_summary.figures(conn, ["b"])["b"].items() if q > 0}
    from_b = [x for x in bodies if x["store"] == "b" and x.get("partial")]
    held: dict[str, int] = {}
    for body in from_b:
        for item in body["items"]:
            if item["qty"] > 0:
                held[item["sku"]] = item["qty"]
            else:
                held.pop(item["sku"], None)
    engine.dispose()
    return {
        "sales": sold,
        "summaries": len(from_b),
        "bound": int(burst_s / interval_s) + 2,
        "figures_sent": sum(len(x["items"]) for x in from_b),
        "sales_per_summary": round(sold / max(1, len(from_b)), 1),
        "converged": held == truth,
        "round_ms_median": round(statistics.median(rounds_ms), 2),
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    p.add_argument("--sales", type=int, default=20_000)
    p.add_argument("--skus", type=int, default=2_000)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    if args.quick:
        args.sales, args.repeats = 4_000, 3
    with tempfile.TemporaryDirectory(prefix="vitrine-live-") as tmp, databases(args.pg, Path(tmp)) as new_url:
        on: list[float] = []
        off: list[float] = []
        for _ in range(args.repeats):
            off.append(ingest_run(new_url(), args.sales, args.skus, marking=False))
            on.append(ingest_run(new_url(), args.sales, args.skus, marking=True))
        print(f"ingest ops/s with marking  : {[round(x) for x in on]}")
        print(f"ingest ops/s baseline (off): {[round(x) for x in off]}")
        mark_us = statistics.median(
            marking_cost(new_url(), args.sales, args.skus) for _ in range(args.repeats)
        )
        print(f"marking alone: {mark_us:.1f} us/op")
        burst = coalescing(new_url(), min(args.sales, 5_000), args.skus, burst_s=10.0, interval_s=1.0)
        print(f"burst: {burst}")
    result = {
        "backend": "postgresql" if args.pg else "sqlite",
        "sales": args.sales,
        "skus": args.skus,
        "ingest_ops_s_marking": round(statistics.median(on)),
        "ingest_ops_s_baseline": round(statistics.median(off)),
        "ingest_ratio": round(statistics.median(on) / statistics.median(off), 3),
        "marking_us_per_op": round(mark_us, 2),
        "ingest_us_per_op_baseline": round(1e6 / statistics.median(off), 1),
        **{f"burst_{k}": v for k, v in burst.items()},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
