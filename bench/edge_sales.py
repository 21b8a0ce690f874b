"""Edge sale benchmark: the sale service in-process, then POST /api/v1/sales over HTTP.

In-process: baskets of 1-4 lines (half with a loyalty customer) sold through ``SellingService``
on a replica file with ``synchronous=FULL``; throughput and p50/p99 latency per sale.

HTTP: uvicorn serving ``create_app`` on 127.0.0.1 in a separate process; an open-loop load
generator offers a fixed request rate with concurrent connections, alternating between the sale
endpoint and a bare FastAPI endpoint (same app, same threadpool, no storage) so both are measured
in the same run at the same offered load. Latency is measured from each request's *scheduled*
send time, so a stalled server cannot hide its queueing (no coordinated omission).

    python bench/edge_sales.py            # full
    python bench/edge_sales.py --quick    # < 50 s

The last line is one JSON object: sale_p99_ms, sales_per_s, http_sale_p99_ms, http_bare_p99_ms,
http_ratio (sale p99 / bare p99, same offered load), and more.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from edge.node import EdgeNode  # noqa: E402
from edge.services.selling import Basket, BasketLine  # noqa: E402
from edge.services.stock import CountItem  # noqa: E402

STORE = "bench-1"
PRODUCTS = 500
GRACE_S = 5.0
TOKENS = {
    "kiosk": "bench-kiosk-token-0001",
    "staff": "bench-staff-token-0001",
    "manager": "bench-manager-token-01",
}


def populate(node: EdgeNode, customers: int = 50) -> list[str]:
    with node.replica.write() as tx:
        for i in range(PRODUCTS):
            sku = f"B{i:05d}"
            tx.execute("INSERT INTO catalog (sku, name, category) VALUES (?, ?, 'bench')", (sku, f"Item {i}"))
            tx.execute("INSERT INTO prices VALUES (?, 0, '1970-01-01T00:00:00Z', ?)", (sku, 100 + i))
    node.stock.count([CountItem(f"B{i:05d}", 10_000) for i in range(PRODUCTS)], session="bench")
    return [node.customers.enrol({"name": f"Bench {i}"}).customer_id for i in range(customers)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def basket(rng: random.Random, customers: list[str]) -> tuple[list[tuple[str, int]], str | None]:
    skus = rng.sample(range(PRODUCTS), rng.randint(1, 4))
    lines = [(f"B{i:05d}", rng.randint(1, 3)) for i in skus]
    return lines, rng.choice(customers) if rng.random() < 0.5 else None


def bench_service(workdir: Path, sales: int) -> dict[str, float]:
    node = EdgeNode.open(workdir / "service.db", STORE)
    sync_mode = node.replica.reader().execute("PRAGMA synchronous").fetchone()[0]
    try:
        customers = populate(node)
        rng = random.Random(1)
        for _ in range(200):  # warm-up
            lines, customer = basket(rng, customers)
            node.selling.sell(Basket([BasketLine(s, q) for s, q in lines], customer_id=customer))
        latencies = []
        started = time.perf_counter()
        for _ in range(sales):
            lines, customer = basket(rng, customers)
            t0 = time.perf_counter()
            node.selling.sell(Basket([BasketLine(s, q) for s, q in lines], customer_id=customer))
            latencies.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
    finally:
        node.close()
    return {
        "sale_p50_ms": round(statistics.median(latencies), 3),
        "sale_p99_ms": round(pct(latencies, 0.99), 3),
        "sales_per_s": round(sales / elapsed, 1),
        "sales_measured": sales,
        "synchronous_full": float(sync_mode == 2),
    }


def serve(db: Path, port: int) -> None:
    """Child process: the real app plus a bare endpoint, on uvicorn."""
    import uvicorn
    from fastapi import APIRouter

    from edge.api.app import create_app
    from edge.settings import load_settings

    bare = APIRouter()

    @bare.post("/bare", status_code=201)
    def bare_endpoint(body: dict[str, object]) -> dict[str, object]:
        return {"ok": True, "lines": len(body.get("lines", []))}  # type: ignore[arg-type]

    settings = load_settings(
        store_id=STORE, db_path=db, kiosk_token=TOKENS["kiosk"], staff_token=TOKENS["staff"],
        manager_token=TOKENS["manager"],
    )  # fmt: skip
    uvicorn.run(create_app(settings, extra_routers=[bare]), host="127.0.0.1", port=port, log_level="error")


async def offered_load(url: str, path: str, rate: float, seconds: float, concurrency: int, rng: random.Random,
                       customers: list[str]) -> tuple[list[float], int]:  # fmt: skip
    import httpx

    headers = {"Authorization": f"Bearer {TOKENS['staff']}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    errors = 0
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as client:

        async def one(scheduled: float, body: dict[str, object]) -> None:
            nonlocal errors
            response = await client.post(path, json=body)
            if response.status_code != 201:
                errors += 1
            latencies.append((time.perf_counter() - scheduled) * 1000)

        tasks: list[asyncio.Task[None]] = []
        scheduled_at: dict[asyncio.Task[None], float] = {}
        start = time.perf_counter() + 0.05
        for n in range(int(rate * seconds)):
            scheduled = start + n / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lines, customer = basket(rng, customers)
            body: dict[str, object] = {"lines": [{"sku": s, "qty": q} for s, q in lines]}
            if customer:
                body["customer_id"] = customer
            task = asyncio.create_task(one(scheduled, body))
            tasks.append(task)
            scheduled_at[task] = scheduled
        # Bounded: whatever is still outstanding GRACE_S after the last send counts as an error,
        # with its latency so far (a lower bound), so a drowning server cannot stall the run.
        _done, pending = await asyncio.wait(tasks, timeout=GRACE_S) if tasks else (set(), set())
        cutoff = time.perf_counter()
        for task in pending:
            task.cancel()
        errors += len(pending)
        latencies += [(cutoff - scheduled_at[task]) * 1000 for task in pending]
    return latencies, errors


def wait_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("server did not start")


def bench_http(workdir: Path, rate: float, seconds: float, rounds: int, concurrency: int) -> dict[str, float]:
    import socket

    db = workdir / "http.db"
    node = EdgeNode.open(db, STORE)
    customers = populate(node)
    node.close()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(db), "--port", str(port)], cwd=REPO, env=os.environ.copy()
    )
    try:
        wait_up(url, proc)
        rng = random.Random(2)
        asyncio.run(offered_load(url, "/api/v1/sales", rate, 1.0, concurrency, rng, customers))  # warm-up
        sale: list[float] = []
        bare: list[float] = []
        errors = 0
        for _ in range(rounds):  # alternate, so both see the same machine conditions
            lat, err = asyncio.run(offered_load(url, "/bare", rate, seconds, concurrency, rng, customers))
            bare += lat
            errors += err
            lat, err = asyncio.run(
                offered_load(url, "/api/v1/sales", rate, seconds, concurrency, rng, customers)
            )
            sale += lat
            errors += err
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    sale_p99, bare_p99 = pct(sale, 0.99), pct(bare, 0.99)
    return {
        "http_offered_rps": rate,
        "http_concurrency": concurrency,
        "http_requests": len(sale) + len(bare),
        "http_errors": errors,
        "http_sale_p50_ms": round(statistics.median(sale), 3),
        "http_sale_p99_ms": round(sale_p99, 3),
        "http_bare_p50_ms": round(statistics.median(bare), 3),
        "http_bare_p99_ms": round(bare_p99, 3),
        "http_ratio": round(sale_p99 / bare_p99, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="short run (< 50 s)")
    parser.add_argument("--rate", type=float, default=200.0, help="offered HTTP requests per second")
    parser.add_argument("--concurrency", type=int, default=16, help="HTTP connections")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    sales, seconds, rounds = (2000, 3.0, 2) if args.quick else (20000, 10.0, 3)
    with tempfile.TemporaryDirectory(
        prefix="vitrine-bench-", dir=REPO / "var" if (REPO / "var").is_dir() else None
    ) as tmp:
        workdir = Path(tmp)
        print(f"sale service in-process: {sales} sales, synchronous=FULL, {PRODUCTS} products")
        service = bench_service(workdir, sales)
        print(f"  p50 {service['sale_p50_ms']:.3f} ms   p99 {service['sale_p99_ms']:.3f} ms   "
              f"{service['sales_per_s']:.0f} sales/s")  # fmt: skip
        print(f"HTTP on 127.0.0.1: {args.rate:.0f} req/s offered, {args.concurrency} connections, "
              f"{rounds} x {seconds:.0f} s per endpoint, alternating")  # fmt: skip
        http = bench_http(workdir, args.rate, seconds, rounds, args.concurrency)
    print(f"  {'endpoint':<18}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"  {'POST /api/v1/sales':<18}{http['http_sale_p50_ms']:>10.2f}{http['http_sale_p99_ms']:>10.2f}")
    print(f"  {'POST /bare':<18}{http['http_bare_p50_ms']:>10.2f}{http['http_bare_p99_ms']:>10.2f}")
    print(f"  ratio sale/bare p99: {http['http_ratio']:.2f}  (errors: {http['http_errors']})")
    figures = {**service, **http, "quick": args.quick}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
