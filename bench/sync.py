"""Sync benchmark: raw MQTT baseline vs Vitrine catch-up, in one run against a local Mosquitto.

(a) raw: QoS 1, one message per op (JSON op), publisher → broker → subscriber, through the same
    paho-based transport; ops/s from first publish to last delivery.
(b) catch-up: a backlog of ops in an edge outbox (real SQLite file) drained by a hub worker process
    (``python -m cloud.ingest.worker``) into the cloud's SQLite database (ingest core: cloud_ops +
    high-water mark) and acked back; ops/s, bytes per op on
    the wire (topic + payload + MQTT header). Also with the hub's projections, and into PostgreSQL.
(c) ack latency online: ops committed at a steady 200 ops/s, commit → ack recorded at the edge, p95.
(d) resume: the broker goes down while the store keeps selling, comes back; time from the broker
    accepting connections to the first batch applied in the cloud.

    python bench/sync.py            # 100,000-op backlog
    python bench/sync.py --quick    # < 50 s

Last line: one JSON object (raw_ops_s, catchup_ops_s, catchup_ratio, bytes_per_op, ack_p95_ms,
resume_s, catchup_projected_ops_s, catchup_pg_ops_s, ...).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cloud.ingest.apply import no_projection  # noqa: E402
from cloud.ingest.hub import Hub, start_hub  # noqa: E402
from cloud.localpg import LocalPostgres  # noqa: E402
from cloud.storage import make_engine, migrate  # noqa: E402
from edge.sync_link import SyncLink, SyncLinkConfig  # noqa: E402
from sync.broker import MosquittoProcess, free_port  # noqa: E402
from sync.ops import Op  # noqa: E402
from sync.testing.sqlite_node import SqliteNode  # noqa: E402
from sync.testing.workload import make_ops  # noqa: E402
from sync.topics import hub_presence  # noqa: E402
from sync.transport import MqttConfig, Transport  # noqa: E402


class TimedNode(SqliteNode):
    """Records when each seq was acked (for the latency measurement)."""

    def __init__(self, path: Path, origin: str) -> None:
        super().__init__(path, origin)
        self.acked_at: list[tuple[int, float]] = []

    def mark_acked(self, seq: int) -> None:
        super().mark_acked(seq)
        self.acked_at.append((seq, time.perf_counter()))


def wait(pred, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.002)


def raw_baseline(broker: MosquittoProcess, ops: list[Op]) -> float:
    got = 0
    done = threading.Event()
    last = [0.0]

    def on_msg(_t: str, _p: bytes) -> None:
        nonlocal got
        got += 1
        if got == len(ops):
            last[0] = time.perf_counter()
            done.set()

    sub = Transport(MqttConfig(port=broker.port, client_id="raw-sub", max_inflight=1000))
    sub.subscribe("raw/ops", on_msg)
    pub = Transport(MqttConfig(port=broker.port, client_id="raw-pub", max_inflight=1000))
    sub.start()
    pub.start()
    assert sub.wait_connected(10) and pub.wait_connected(10)
    time.sleep(0.3)
    payloads = [json.dumps(op.to_dict(), separators=(",", ":")).encode() for op in ops]
    start = time.perf_counter()
    for payload in payloads:
        pub.publish("raw/ops", payload)
    done.wait(120)
    elapsed = (last[0] or time.perf_counter()) - start
    pub.stop(announce=False)
    sub.stop(announce=False)
    return got / elapsed


def start_worker(
    broker: MosquittoProcess, url: str, client_id: str, projections: bool
) -> subprocess.Popen[bytes]:
    """A hub worker in its own process (as deployed: the edge and the hub do not share a GIL)."""
    seen = threading.Event()
    watcher = Transport(MqttConfig(port=broker.port, client_id=f"watch-{client_id}"))
    watcher.subscribe(hub_presence(client_id), lambda _t, p: seen.set() if b'"online"' in p else None)
    watcher.start()
    args = [
        sys.executable,
        "-m",
        "cloud.ingest.worker",
        "--db",
        url,
        "--broker",
        f"127.0.0.1:{broker.port}",
        "--client-id",
        client_id,
    ]
    if not projections:
        args.append("--no-projections")
    proc = subprocess.Popen(args, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not seen.wait(60):
        proc.kill()
        raise SystemExit("hub worker did not come online")
    watcher.stop(announce=False)
    return proc


def catchup(
    broker: MosquittoProcess, url: str, work: Path, ops: list[Op], projections: bool = False, name: str = "s1"
) -> tuple[float, float]:
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    node = SqliteNode(work / f"edge-{name}-{time.monotonic_ns()}.db", name)
    # the same workload, as store ``name`` wrote it (the hub refuses ops naming another store)
    node.write(
        [
            Op(
                name,
                op.seq,
                op.hlc.replace(".s1", f".{name}"),
                op.type,
                {**op.body, "store": name} if "store" in op.body else op.body,
                op.v,
            )
            for op in ops
        ]
    )
    worker = start_worker(broker, url, f"hub-{name}", projections)
    link = SyncLink(SyncLinkConfig(store_id=name, broker_port=broker.port), node, node)
    try:
        start = time.perf_counter()
        link.start()
        wait(lambda: node.acked_seq() >= len(ops), 300, "catch-up")
        elapsed = time.perf_counter() - start
        bytes_per_op = link.transport.stats.published_bytes / len(ops)
    finally:
        link.stop()
        worker.terminate()
        worker.wait(30)
    return len(ops) / elapsed, bytes_per_op


def ack_latency(broker: MosquittoProcess, work: Path, seconds: float) -> list[float]:
    engine = make_engine(f"sqlite:///{work / 'cloud-ack.db'}")
    migrate(engine)
    hub = start_hub(
        engine, MqttConfig(port=broker.port, client_id="hub-ack"), projector=no_projection, downlink=False
    )
    node = TimedNode(work / "edge-ack.db", "s-ack")
    link = SyncLink(SyncLinkConfig(store_id="s-ack", broker_port=broker.port), node, node)
    link.start()
    assert hub.transport.wait_connected(10) and link.transport.wait_connected(10)
    ops = make_ops("s-ack", 1, int(seconds * 200), seed=11)
    committed: dict[int, float] = {}
    start = time.perf_counter()
    for i, op in enumerate(ops):
        target = start + i / 200
        while time.perf_counter() < target:
            time.sleep(0.0005)
        node.write([op])
        committed[op.seq] = time.perf_counter()
        link.notify()
    wait(lambda: node.acked_seq() >= len(ops), 30, "online acks")
    latencies: list[float] = []
    prev = 0
    for seq, at in node.acked_at:
        for s in range(prev + 1, seq + 1):
            latencies.append((at - committed[s]) * 1000)
        prev = max(prev, seq)
    link.stop()
    hub.stop()
    return latencies


def resume(broker: MosquittoProcess, work: Path) -> float:
    engine = make_engine(f"sqlite:///{work / 'cloud-resume.db'}")
    migrate(engine)
    hub: Hub = start_hub(
        engine, MqttConfig(port=broker.port, client_id="hub-resume"), projector=no_projection, downlink=False
    )
    node = SqliteNode(work / "edge-resume.db", "s-res")
    link = SyncLink(SyncLinkConfig(store_id="s-res", broker_port=broker.port), node, node)
    link.start()
    node.write(make_ops("s-res", 1, 100, seed=12))
    link.notify()
    wait(lambda: node.acked_seq() == 100, 30, "online before the outage")
    broker.stop()
    node.write(make_ops("s-res", 101, 1000, seed=13))  # the store keeps selling
    time.sleep(1.0)
    broker.start()
    back = time.perf_counter()
    assert hub.ingest is not None
    wait(
        lambda: hub.ingest is not None and hub.ingest.stats.ops_applied > 100,
        30,
        "first batch after the outage",
    )
    elapsed = time.perf_counter() - back
    link.stop()
    hub.stop()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="smaller runs, < 50 s")
    ap.add_argument(
        "--ops", type=int, default=None, help="catch-up backlog size (default 100000, quick 20000)"
    )
    ap.add_argument("--no-postgres", action="store_true", help="skip the PostgreSQL catch-up")
    args = ap.parse_args()
    n = args.ops or (20_000 if args.quick else 100_000)
    n_raw = 5_000 if args.quick else 20_000
    n_proj = 5_000 if args.quick else 20_000
    work = Path(tempfile.mkdtemp(prefix="vitrine-bench-sync-"))
    broker = MosquittoProcess(workdir=work / "mosquitto")
    broker.start()
    figures: dict[str, float | int | str] = {}
    pg: LocalPostgres | None = None
    try:
        print(f"broker: local Mosquitto, settings per firmware-config/mosquitto (port {broker.port})")
        ops = make_ops("s1", 1, n, seed=1)
        raw = raw_baseline(broker, ops[:n_raw])
        print(f"(a) raw paho QoS 1, one msg per op, {n_raw} ops: {raw:,.0f} ops/s")
        rates, sizes = [], []
        for rep in range(1 if args.quick else 3):
            rate, size = catchup(broker, f"sqlite:///{work / f'cloud-{rep}.db'}", work, ops, name=f"s{rep}")
            rates.append(rate)
            sizes.append(size)
            print(
                f"(b) catch-up {n} ops into SQLite (ingest core), run {rep + 1}: {rate:,.0f} ops/s, "
                f"{size:.1f} bytes/op"
            )
        rate_c = statistics.median(rates)
        proj, _ = catchup(
            broker,
            f"sqlite:///{work / 'cloud-proj.db'}",
            work,
            ops[:n_proj],
            projections=True,
            name="sp",
        )
        print(f"(b') catch-up {n_proj} ops into SQLite with the hub's projections: {proj:,.0f} ops/s")
        lat = ack_latency(broker, work, 3.0 if args.quick else 10.0)
        p50 = statistics.median(lat)
        p95 = statistics.quantiles(lat, n=20)[18]
        print(f"(c) online at 200 ops/s, commit -> ack: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({len(lat)} ops)")
        if not args.no_postgres:
            pg_base = Path(
                tempfile.mkdtemp(prefix="vitrine-bench-pg-")
            )  # outside 0700 dirs: runs as postgres
            pg = LocalPostgres(datadir=pg_base / "data", port=free_port())
            pg.start()
            n_pg = min(n, 20_000 if args.quick else 100_000)
            pg_rate, _ = catchup(broker, pg.create_database("bench_sync"), work, ops[:n_pg], name="spg")
            print(f"(b'') catch-up {n_pg} ops into PostgreSQL (ingest core): {pg_rate:,.0f} ops/s")
            figures["catchup_pg_ops_s"] = round(pg_rate)
        res = resume(broker, work)
        print(f"(d) broker back -> first batch applied: {res:.2f} s (reconnect backoff max 1 s, jittered)")
        figures = {
            "raw_ops_s": round(raw),
            "catchup_ops_s": round(rate_c),
            "catchup_ratio": round(rate_c / raw, 2),
            "bytes_per_op": round(statistics.median(sizes), 1),
            "ack_p50_ms": round(p50, 1),
            "ack_p95_ms": round(p95, 1),
            "resume_s": round(res, 2),
            "catchup_projected_ops_s": round(proj),
            **figures,
            "catchup_ops": n,
            "raw_ops": n_raw,
        }
    finally:
        broker.stop()
        if pg is not None:
            pg.stop()
            shutil.rmtree(pg.datadir.parent, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
