"""Cloud hub scale-out benchmark: simulated stores → Mosquitto → N ingest workers → PostgreSQL.

For each worker count (1, 2, 4) a fresh PostgreSQL database and N ``vitrine-cloud worker``
processes on the shared subscription ``$share/hub/vitrine/v1/+/up`` (full projections on).
Simulated stores (one MQTT connection publishing on every store's uplink topic, wire format of
``sync.wire``) each send a stream of batches — stock counts, sales with lines, stock deltas,
loyalty entries — one batch in flight per store, the next when the previous is acked; 5% of
batches are published twice (at-least-once delivery) and gaps are resent on request.

Measured per worker count: ops/s (first publish → last ack), end-to-end lag p95 (publish →
ack, i.e. committed with its projections). Afterwards the database is checked against the fold
of the generated ops: cloud_ops rows, receipts, sale lines, ledger entries and stock per
(sku, store); every difference counts in ``double_applied`` (must be 0).

Then the reports are timed on a database holding a million sale lines (``report_p95_ms``).

    python bench/cloud_scale.py           # 1,000 stores × 2 batches × 25 ops per worker count, 1M sale lines
    python bench/cloud_scale.py --quick   # < 50 s

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import Engine, func, select, text  # noqa: E402

from cloud import reports  # noqa: E402
from cloud.localpg import LocalPostgres  # noqa: E402
from cloud.storage import make_engine, migrate  # noqa: E402
from cloud.storage import schema as s  # noqa: E402
from sync.broker import MosquittoProcess, free_port  # noqa: E402
from sync.fold import fold_stock, stock_by_store  # noqa: E402
from sync.ops import Op  # noqa: E402
from sync.transport import MqttConfig, Transport  # noqa: E402
from sync.wire import BatchCodec, decode_ack  # noqa: E402

SKUS = 40


def p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --- workload -------------------------------------------------------------------------------------


@dataclass
class StoreStream:
    store: str
    batches: list[list[Op]]
    sent_at: dict[int, float] = field(default_factory=dict)  # last seq of an in-flight batch -> publish time
    acked: int = 0
    finished: bool = False
    last_publish: float = 0.0
    limit: int = 0  # batches released for sending so far

    @property
    def last_seq(self) -> int:
        return self.batches[self.limit - 1][-1].seq

    def sent_ops(self) -> list[Op]:
        return [op for b in self.batches[: self.limit] for op in b]


def make_store(store: str, n_batches: int, ops_per_batch: int, rnd: random.Random, wall0: int) -> StoreStream:
    ops: list[Op] = []
    seq = 0
    wall = wall0

    def add(kind: str, body: dict) -> None:  # type: ignore[type-arg]
        nonlocal seq, wall
        seq += 1
        wall += 1
        ops.append(Op(store, seq, f"{wall:013d}.0000.{store}", kind, body))

    for k in range(5):
        add("stock.count", {"sku": f"sku-{k}", "store": store, "zone": "floor", "qty": 50, "session": "boot"})
    n = 0
    while len(ops) < n_batches * ops_per_batch:
        n += 1
        rid = f"{store}-r{n}"
        lines = [
            (f"sku-{rnd.randrange(SKUS)}", rnd.randint(1, 2), rnd.choice([500, 1200, 2500])) for _ in range(2)
        ]
        customer = f"c{rnd.randrange(5000)}" if rnd.random() < 0.6 else None
        total = sum(q * c for _, q, c in lines)
        add(
            "sale.recorded",
            {
                "receipt_id": rid,
                "store": store,
                "channel": rnd.choice(["store", "kiosk"]),
                "customer_id": customer,
                "payment_ref": rid,
                "at": "2026-03-01T10:00:00Z",
                "total_cents": total,
                "points_earned": total // 100,
                "points_redeemed": 0,
                "lines": [
                    {"sku": sku, "qty": q, "unit_cents": c, "discount_cents": 0} for sku, q, c in lines
                ],
            },
        )
        for sku, q, _ in lines:
            add(
                "stock.delta",
                {"sku": sku, "store": store, "zone": "floor", "qty": -q, "reason": "sale", "ref": rid},
            )
        if customer:
            add(
                "loyalty.entry",
                {
                    "entry_id": f"{rid}:earn",
                    "customer_id": customer,
                    "kind": "earn",
                    "points": total // 100,
                    "ref": rid,
                    "channel": "store",
                    "store": store,
                    "at": "2026-03-01T10:00:00Z",
                },
            )
    ops = ops[: n_batches * ops_per_batch]
    batches = [ops[i : i + ops_per_batch] for i in range(0, len(ops), ops_per_batch)]
    return StoreStream(store, batches)


# --- one run: N workers ---------------------------------------------------------------------------


class StoreFleet:
    """Publishes every store's batches, one in flight per store; records publish→ack lags."""

    def __init__(
        self, streams: list[StoreStream], port: int, dup_rate: float, rnd: random.Random, retry_s: float
    ) -> None:
        self.retry_s = retry_s
        self.streams = {st.store: st for st in streams}
        self.codec = BatchCodec()
        self.dup_rate = dup_rate
        self.rnd = rnd
        self.lags: list[float] = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.stopped = threading.Event()
        self.remaining = len(streams)
        self.resends = 0
        self.retries = 0
        self.duplicates_sent = 0
        self.first_publish = 0.0
        self.last_ack = 0.0
        self.transport = Transport(
            MqttConfig(
                port=port, client_id=f"bench-fleet-{os.getpid()}", session_expiry_s=0, max_inflight=5000
            )
        )
        self.transport.subscribe("vitrine/v1/+/ack/up", self.on_ack)

    def publish_batch(self, st: StoreStream, index: int, duplicate_ok: bool = True) -> None:
        batch = st.batches[index]
        payload = self.codec.encode(st.store, batch)
        st.last_publish = time.monotonic()
        st.sent_at.setdefault(batch[-1].seq, st.last_publish)
        self.transport.publish(f"vitrine/v1/{st.store}/up", payload)
        if duplicate_ok and self.rnd.random() < self.dup_rate:
            self.duplicates_sent += 1
            self.transport.publish(f"vitrine/v1/{st.store}/up", payload)

    def start(self) -> None:
        self.transport.start()
        if not self.transport.wait_connected(10):
            raise RuntimeError("fleet could not connect to the broker")
        self._wait_for_workers()
        threading.Thread(target=self._watchdog, daemon=True).start()

    def burst(self, n_batches: int, timeout_s: float) -> bool:
        """Every store sends its first ``n_batches`` at once (one in flight, next on ack)."""
        with self.lock:
            self.remaining = len(self.streams)
            self.first_publish = time.monotonic()
            for st in self.streams.values():
                st.limit = n_batches
                self.publish_batch(st, 0)
        return self.done.wait(timeout_s)

    def steady(self, stores: list[StoreStream], rate_ops_s: float, timeout_s: float) -> bool:
        """One more batch for each of ``stores``, paced at ``rate_ops_s``: lag below saturation."""
        with self.lock:
            self.lags = []
            self.done.clear()
            self.remaining = len(stores)
        interval = len(stores[0].batches[0]) / rate_ops_s if stores else 0.0
        start = time.monotonic()
        for i, st in enumerate(stores):
            time.sleep(max(0.0, start + i * interval - time.monotonic()))
            with self.lock:
                st.limit += 1
                st.finished = False
                self.publish_batch(st, st.limit - 1)
        return self.done.wait(timeout_s)

    def _wait_for_workers(self, timeout_s: float = 20.0) -> None:
        """Publish a probe batch until a worker acks it: the shared subscription is live."""
        probe = Op(
            "probe",
            1,
            f"{int(time.time() * 1000):013d}.0000.probe",
            "wishlist.set",
            {"customer_id": "probe", "sku": "probe", "present": False},
        )
        got = threading.Event()
        self.transport.subscribe("vitrine/v1/probe/ack/up", lambda _t, _p: got.set())
        deadline = time.monotonic() + timeout_s
        while not got.is_set():
            if time.monotonic() > deadline:
                raise RuntimeError("no worker acknowledged the probe batch")
            self.transport.publish("vitrine/v1/probe/up", self.codec.encode("probe", [probe]))
            got.wait(0.5)

    def _watchdog(self) -> None:
        """Like the edge's uplink watchdog: re-publish a batch left unacknowledged (e.g. published
        before a worker had subscribed)."""
        while not self.stopped.wait(0.5):
            now = time.monotonic()
            with self.lock:
                for st in self.streams.values():
                    if not st.finished and st.limit and st.sent_at and now - st.last_publish > self.retry_s:
                        index = next(i for i, b in enumerate(st.batches) if b[-1].seq > st.acked)
                        self.retries += 1
                        self.publish_batch(st, index, duplicate_ok=False)

    def on_ack(self, _topic: str, payload: bytes) -> None:
        ack = decode_ack(payload)
        now = time.monotonic()
        with self.lock:
            st = self.streams.get(ack.origin)
            if st is None or st.finished:  # (the probe store is not in self.streams)
                return
            if ack.hwm > st.acked:
                st.acked = ack.hwm
                for last in [k for k in st.sent_at if k <= ack.hwm]:
                    self.lags.append(now - st.sent_at.pop(last))
            if st.acked >= st.last_seq:
                st.finished = True
                self.remaining -= 1
                self.last_ack = now
                if self.remaining == 0:
                    self.done.set()
                return
            index = next(i for i, b in enumerate(st.batches) if b[-1].seq > st.acked)
            if index >= st.limit:
                return
            if ack.gap:  # the receiver saw a hole: resend from hwm + 1
                self.resends += 1
                self.publish_batch(st, index, duplicate_ok=False)
            elif st.batches[index][-1].seq not in st.sent_at:  # the previous one is acked: next
                self.publish_batch(st, index)

    def stop(self) -> None:
        self.stopped.set()
        self.transport.stop(announce=False)


def start_workers(n: int, url: str, port: int, tag: str, logdir: Path) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "VITRINE_CLOUD_BROKER_PORT": str(port),
        "VITRINE_CLOUD_DATABASE_URL": url,
        "PYTHONPATH": str(REPO),
    }
    procs = []
    for i in range(n):
        log = (logdir / f"worker-{tag}-{i}.log").open("wb")
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cloud.cli",
                    "worker",
                    "--client-id",
                    f"bench-{tag}-{i}",
                    *(["--downlink"] if i == 0 else []),
                ],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        )
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode()
        if "running" not in line:
            raise RuntimeError(f"worker did not start: {line!r} (see {logdir})")
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def verify(engine: Engine, streams: list[StoreStream]) -> dict[str, int]:
    """Differences between the database and the fold of the generated ops (each one = a double or
    missing apply)."""
    ops = [op for st in streams for op in st.sent_ops()]
    receipts = [op for op in ops if op.type == "sale.recorded"]
    entries = [op for op in ops if op.type == "loyalty.entry"]
    lines_qty = sum(line["qty"] for op in receipts for line in op.body["lines"])
    expected_stock = stock_by_store(fold_stock(ops))
    with engine.connect() as conn:
        n_ops = conn.execute(
            select(func.count()).select_from(s.cloud_ops).where(s.cloud_ops.c.origin != "probe")
        ).scalar_one()
        n_sales = conn.execute(select(func.count()).select_from(s.sales)).scalar_one()
        qty = conn.execute(select(func.coalesce(func.sum(s.sale_lines.c.qty), 0))).scalar_one()
        n_entries = conn.execute(select(func.count()).select_from(s.loyalty_ledger)).scalar_one()
        cloud_stock = {
            (str(a), str(b)): int(q)
            for a, b, q in conn.execute(
                select(s.stock.c.sku, s.stock.c.store, func.sum(s.stock.c.qty)).group_by(
                    s.stock.c.sku, s.stock.c.store
                )
            )
        }
    stock_diff = sum(abs(cloud_stock.get(k, 0) - v) for k, v in expected_stock.items())
    return {
        "ops_extra": int(n_ops) - len(ops),
        "receipts_extra": int(n_sales) - len(receipts),
        "line_qty_extra": int(qty) - lines_qty,
        "ledger_extra": int(n_entries) - len(entries),
        "stock_abs_diff": stock_diff,
    }


def run_ingest(
    pg: LocalPostgres,
    broker: MosquittoProcess,
    workers: int,
    streams: list[StoreStream],
    burst_batches: int,
    steady_s: float,
    timeout_s: float,
    retry_s: float,
    logdir: Path,
) -> dict[str, Any]:
    """Burst (every store sends ``burst_batches`` at once: throughput, lag under saturation), then
    steady (one more batch for some stores, paced at half the burst throughput: lag)."""
    url = pg.create_database(f"scale_w{workers}")
    engine = make_engine(url)
    migrate(engine)
    procs = start_workers(workers, url, broker.port, f"w{workers}", logdir)
    # The watchdog re-publishes what a worker lost (e.g. dropped by the broker with a worker whose
    # connection timed out); it must exceed the queueing delay of a saturating burst, or it would
    # only add duplicate work.
    fleet = StoreFleet(streams, broker.port, dup_rate=0.05, rnd=random.Random(workers), retry_s=retry_s)
    steady_ok, steady_lags, rate = False, [], 0.0
    try:
        fleet.start()
        finished = fleet.burst(burst_batches, timeout_s)
        elapsed = (fleet.last_ack or time.monotonic()) - fleet.first_publish
        burst_ops = sum(st.acked for st in streams)
        burst_lags = list(fleet.lags)
        if finished:
            rate = max(1.0, 0.5 * burst_ops / elapsed)
            per_batch = len(streams[0].batches[0])
            sample = streams[: max(1, min(len(streams), int(rate * steady_s / per_batch)))]
            steady_ok = fleet.steady(sample, rate, timeout_s)
            steady_lags = list(fleet.lags)
    finally:
        fleet.stop()
        stop_workers(procs)
    diff = verify(engine, streams)
    engine.dispose()
    all_done = finished and steady_ok
    return {
        "workers": workers,
        "finished": all_done,
        "ops": sum(len(st.sent_ops()) for st in streams),
        "acked_ops": burst_ops,
        "seconds": round(elapsed, 2),
        "ops_s": round(burst_ops / elapsed, 1) if elapsed > 0 else 0.0,
        "burst_lag_p95_ms": round(p95(burst_lags) * 1000, 1),
        "steady_rate_ops_s": round(rate, 1),
        "lag_p50_ms": round(statistics.median(steady_lags) * 1000, 1) if steady_lags else 0.0,
        "lag_p95_ms": round(p95(steady_lags) * 1000, 1),
        "duplicates_sent": fleet.duplicates_sent,
        "resends": fleet.resends,
        "retries": fleet.retries,
        "double_applied": sum(abs(v) for v in diff.values()) if all_done else -1,
        "diff": diff,
    }


# --- reports on a million sale lines -------------------------------------------------------------


def load_sale_lines(engine: Engine, n_lines: int) -> None:
    """Synthetic sales: 4 lines per receipt, 1,000 stores, 4 channels, 365 days, 60% identified."""
    receipts = n_lines // 4
    pg = engine.dialect.name == "postgresql"
    day = (
        "to_char(date '2025-01-01' + (n % 365), 'YYYY-MM-DD')"
        if pg
        else "date('2025-01-01', '+' || (n % 365) || ' days')"
    )
    series = (
        "generate_series(1, :n) AS g(n)"
        if pg
        else "(WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :n) SELECT n FROM g) AS g"
    )
    channel = (
        "CASE n % 4 WHEN 0 THEN 'store' WHEN 1 THEN 'kiosk' WHEN 2 THEN 'online' ELSE 'click_collect' END"
    )
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO sales (receipt_id, store, channel, customer_id, at, day, total_cents, item_count, "
                f"points_earned, points_redeemed) SELECT 'r' || n, 's' || (n % 1000), {channel}, "
                f"CASE WHEN n % 5 < 3 THEN 'c' || (n % 20000) ELSE NULL END, {day} || 'T10:00:00Z', {day}, "
                f"4000 + (n % 50) * 10, 6, 40, 0 FROM {series}"
            ),
            {"n": receipts},
        )
        line_day = day.replace("(n % 365)", "(((n - 1) / 4 + 1) % 365)")
        line_channel = channel.replace("n % 4", "((n - 1) / 4 + 1) % 4")
        conn.execute(
            text(
                f"INSERT INTO sale_lines (receipt_id, line_no, sku, qty, unit_cents, discount_cents, store, channel, day) "
                f"SELECT 'r' || ((n - 1) / 4 + 1), (n - 1) % 4, 'sku-' || ((n % 5000) * 7919 % 5000), 1 + n % 2, "
                f"500 + (n % 50) * 10, 0, 's' || (((n - 1) / 4 + 1) % 1000), {line_channel}, {line_day} FROM {series}"
            ),
            {"n": n_lines},
        )
        conn.execute(
            text(
                f"INSERT INTO returns (return_id, receipt_id, store, channel, at, day, refund_cents, item_count, "
                f"points_reversed) SELECT 't' || n, 'r' || (n * 20), 's' || (n % 1000), {channel}, "
                f"{day} || 'T12:00:00Z', {day}, 1000, 1, 10 FROM {series}"
            ),
            {"n": receipts // 20},
        )
        conn.execute(
            text(
                f"INSERT INTO stock_counts (op_id, sku, store, zone, session, at, day, counted, book) "
                f"SELECT 'k' || n, 'sku-' || (n % 5000), 's' || (n % 1000), 'floor', 'rfid', {day} || 'T08:00:00Z', "
                f"{day}, 10 + n % 3, 10 + n % 4 FROM {series}"
            ),
            {"n": n_lines // 10},
        )
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def time_reports(engine: Engine, repeats: int) -> dict[str, float]:
    ranges = [("2025-03-01", "2025-03-31"), ("2025-04-01", "2025-06-30"), ("2025-01-01", "2025-12-31")]
    timings: list[float] = []
    per_report: dict[str, list[float]] = {}
    with engine.connect() as conn:
        for _ in range(repeats):
            for name in reports.REPORTS:
                for start, end in ranges:
                    t0 = time.perf_counter()
                    rows = reports.run(conn, name, start, end)
                    ms = (time.perf_counter() - t0) * 1000
                    assert rows, f"{name} returned nothing"
                    timings.append(ms)
                    per_report.setdefault(name, []).append(ms)
    out = {f"{k}_p95_ms": round(p95(v), 1) for k, v in per_report.items()}
    out["all_p95_ms"] = round(p95(timings), 1)
    out["all_median_ms"] = round(statistics.median(timings), 1)
    return out


def _exit_on_signal(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)  # run the finally blocks: workers, broker and PostgreSQL stop


def main() -> None:
    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small run, under 50 s")
    ap.add_argument("--stores", type=int)
    ap.add_argument("--batches", type=int, help="batches per store")
    ap.add_argument("--ops-per-batch", type=int)
    ap.add_argument("--workers", default="1,2,4")
    ap.add_argument("--sale-lines", type=int)
    ap.add_argument("--timeout", type=float, help="max seconds per ingest run")
    args = ap.parse_args()
    stores = args.stores or (20 if args.quick else 1000)
    batches = args.batches or 2
    ops_per_batch = args.ops_per_batch or 25
    sale_lines = args.sale_lines or (30_000 if args.quick else 1_000_000)
    timeout = args.timeout or (20.0 if args.quick else 900.0)
    steady_s = 2.0 if args.quick else 15.0
    retry_s = 10.0 if args.quick else 120.0
    workers = [int(w) for w in args.workers.split(",")]
    wall0 = int(time.time() * 1000)
    print(
        f"cloud_scale: {stores} stores × {batches} batches × {ops_per_batch} ops, workers {workers}, "
        f"reports on {sale_lines:,} sale lines",
        flush=True,
    )
    base = Path(tempfile.mkdtemp(prefix="vitrine-scale-"))
    pg = LocalPostgres(datadir=base / "pgdata", port=free_port())  # its parent must be postgres-owned
    broker = MosquittoProcess(workdir=base / "mosquitto")
    logdir = base / "logs"
    logdir.mkdir()
    runs = []
    try:
        pg.start()
        broker.start()
        for w in workers:
            streams = [
                make_store(f"st{i:04d}", batches + 1, ops_per_batch, random.Random(i), wall0)
                for i in range(stores)
            ]
            result = run_ingest(pg, broker, w, streams, batches, steady_s, timeout, retry_s, logdir)
            runs.append(result)
            print(
                f"  {w} worker(s): burst {result['acked_ops']:,} ops in {result['seconds']} s = "
                f"{result['ops_s']:,.0f} ops/s (lag p95 under saturation {result['burst_lag_p95_ms']} ms); "
                f"steady {result['steady_rate_ops_s']} ops/s: lag p50 {result['lag_p50_ms']} ms "
                f"p95 {result['lag_p95_ms']} ms; "
                f"dups sent {result['duplicates_sent']}, resends {result['resends']}, retries {result['retries']}, "
                f"double_applied {result['double_applied']} {result['diff']}",
                flush=True,
            )
        engine = make_engine(pg.create_database("scale_reports"))
        migrate(engine)
        t0 = time.perf_counter()
        load_sale_lines(engine, sale_lines)
        print(
            f"  loaded {sale_lines:,} sale lines into PostgreSQL in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        rep = time_reports(engine, repeats=1 if args.quick else 3)
        engine.dispose()
        print("  reports (PostgreSQL): " + ", ".join(f"{k} {v}" for k, v in rep.items()), flush=True)
        rep_sqlite: dict[str, float] = {}
        if not args.quick:
            lite = make_engine(f"sqlite:///{base / 'reports.db'}")
            migrate(lite)
            load_sale_lines(lite, sale_lines)
            rep_sqlite = time_reports(lite, repeats=2)
            lite.dispose()
            print(
                "  reports (SQLite):     " + ", ".join(f"{k} {v}" for k, v in rep_sqlite.items()), flush=True
            )
    finally:
        broker.stop()
        pg.stop()
        if not os.environ.get("VITRINE_BENCH_KEEP"):
            shutil.rmtree(base, ignore_errors=True)
    by_w = {r["workers"]: r for r in runs}
    if len(by_w) > 1:
        lo, hi = min(by_w), max(by_w)
        ratio = by_w[hi]["ops_s"] / by_w[lo]["ops_s"] if by_w[lo]["ops_s"] else 0.0
        print(
            f"  scaling: {hi} workers = {ratio:.2f}x the ops/s of {lo} ({os.cpu_count()} cores)", flush=True
        )
    print(
        "  limits: the broker, PostgreSQL, the simulated fleet and every worker share this machine's cores. "
        "A worker applies one batch per transaction on one thread and spends much of it waiting for "
        "database round trips, so more workers overlap those waits until the cores saturate; past that, "
        "they only add contention. Lag under a burst is queueing (every store sends at once); the steady "
        "lag is measured at half the burst throughput.",
        flush=True,
    )
    summary = {
        "stores": stores,
        "ops_per_run": runs[0]["ops"] if runs else 0,
        **{f"ops_s_{w}": by_w[w]["ops_s"] for w in by_w},
        "lag_p95_ms": max((r["lag_p95_ms"] for r in runs), default=0.0),
        **{f"lag_p95_ms_{w}": by_w[w]["lag_p95_ms"] for w in by_w},
        **{f"burst_lag_p95_ms_{w}": by_w[w]["burst_lag_p95_ms"] for w in by_w},
        "double_applied": sum(max(0, r["double_applied"]) for r in runs)
        if all(r["finished"] for r in runs)
        else -1,
        "all_finished": all(r["finished"] for r in runs),
        "sale_lines": sale_lines,
        "report_p95_ms": rep["all_p95_ms"],
        "report_p95_ms_sqlite": rep_sqlite.get("all_p95_ms"),
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
