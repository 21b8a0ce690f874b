"""Store bootstrap benchmark: a fresh store goes from provisioned to selling, then complete.

The hub (SQLite, one worker process, a local Mosquitto) holds a synthetic head office
(``cloud.bootstrap.synthetic``): 50,000 products with GTINs and a price list, 100,000 customers
(the hub sends every customer: ``VITRINE_CLOUD_BOOTSTRAP_CUSTOMERS=all``), the store's opening
stock for every product and 5,000 past sales. The store is provisioned with
``vitrine-cloud provision-store --bundle`` and its edge started with ``vitrine-edge serve
--bundle``; everything it receives goes through a TCP proxy that counts the bytes on the wire
(MQTT framing included, both directions).

Each of ``--runs`` fresh stores (3 by default) is bootstrapped in turn from the same hub; times
and bytes are medians, ``edge_rss_mb`` the largest peak. Figures: ``selling_s`` (edge process started → catalog and prices in, from the edge's /health),
``complete_s`` (→ every section in), ``bytes_per_product`` (all bytes on the wire for the whole
bootstrap, customers and history included, / products), ``catalog_bytes_per_product`` (bytes
until selling / products), ``edge_rss_mb`` (peak RSS of the edge process, VmHWM).

Baselines measured in the same run:
* ``baseline_insert_s``: the same catalog, prices and customers rows written straight into a
  fresh replica with ``executemany`` (no network, no paging): the floor of any bootstrap.
* ``baseline_checkpoint_bytes_per_product``: the old provisioning path's catalog and price
  checkpoints (one op each, the downlink's zstd wire format) per product.

    python bench/bootstrap.py            # 50,000 products, 100,000 customers
    python bench/bootstrap.py --quick    # 10,000 products, 20,000 customers (< 60 s)

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sqlalchemy import text  # noqa: E402

from cloud.admin import checkpoints  # noqa: E402
from cloud.bootstrap.synthetic import HeadOffice, StorePlan, fill  # noqa: E402
from cloud.storage import make_engine  # noqa: E402
from edge.replica.database import Replica  # noqa: E402
from sync.broker import MosquittoProcess  # noqa: E402
from sync.hlc import HybridClock  # noqa: E402
from sync.ops import Op  # noqa: E402
from sync.wire import BatchCodec  # noqa: E402
from tests.support.bootstrap_rig import Rig  # noqa: E402

STORE = "bench-1"


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def baseline_insert(root: Path, url: str, n: int = 0) -> float:
    """Seconds to write the hub's catalog, prices and customers into a fresh replica directly."""
    engine = make_engine(url)
    with engine.connect() as conn:
        items = checkpoints.catalog_body(conn)["items"]
        prices = checkpoints.price_bodies(conn, STORE)[-1]["prices"]
        people = conn.execute(text("SELECT customer_id, name, email, card FROM customers")).all()
    engine.dispose()
    replica = Replica.open(root / f"baseline-{n}.db", STORE)
    started = time.perf_counter()
    with replica.write() as tx:
        tx.conn.executemany(
            "INSERT INTO catalog (sku, gtin, name, category, attributes, version) VALUES (?, ?, ?, ?, ?, 1)",
            [(i["sku"], i["gtin"], i["name"], i["category"], json.dumps(i["attributes"])) for i in items],
        )
        tx.conn.executemany(
            "INSERT INTO prices VALUES (?, 1, '2020-01-01T00:00:00Z', ?)",
            [(p["sku"], p["cents"]) for p in prices],
        )
        tx.conn.executemany(
            "INSERT INTO customers (customer_id, name, email, card, created_at) VALUES (?, ?, ?, ?, '')",
            [tuple(p) for p in people],
        )
    took = time.perf_counter() - started
    replica.close()
    return took


def baseline_checkpoint_bytes(url: str) -> int:
    engine = make_engine(url)
    clock = HybridClock("cloud")
    with engine.connect() as conn:
        bodies = [("catalog.checkpoint", checkpoints.catalog_body(conn))]
        bodies += [("price.checkpoint", checkpoints.price_bodies(conn, STORE)[-1])]
    engine.dispose()
    ops = [
        Op(origin="cloud", seq=n, hlc=str(clock.now()), type=t, body=b, v=1)
        for n, (t, b) in enumerate(bodies, start=1)
    ]
    return len(BatchCodec().encode("cloud", ops))


def bootstrap_once(rig: Rig, store: str, products: int) -> dict[str, float]:
    """Provision ``store``, start its edge from the bundle, time it to selling and to complete."""
    bundle = rig.provision(store)
    t0 = time.perf_counter()
    edge = rig.start_edge(store, bundle)
    selling = rig.wait(edge, "selling", 300, lambda st: st["selling"])
    selling_s = time.perf_counter() - t0
    selling_bytes = edge.proxy.bytes_relayed
    status = rig.wait(edge, "complete", 600, lambda st: st["complete"])
    complete_s = time.perf_counter() - t0
    wire = edge.proxy.bytes_relayed
    assert edge.service.pid is not None
    rss = peak_rss_mb(edge.service.pid)
    sold = edge.client.post(
        "/api/v1/sales", json={"lines": [{"sku": "S000042", "qty": 1}]}, headers=edge.headers()
    )
    if sold.status_code != 201:
        raise SystemExit(f"the bootstrapped store cannot sell: {sold.status_code} {sold.text}")
    edge.service.stop()
    rows = sum(int(s["done"]) for s in status["sections"].values())
    return {
        "selling_s": selling_s,
        "selling_s_agent": float(selling["selling_after_s"]),
        "complete_s": complete_s,
        "bytes_total": wire,
        "bytes_per_product": wire / products,
        "catalog_bytes_per_product": selling_bytes / products,
        "bytes_per_row": wire / rows,
        "rows": rows,
        "pages": float(status["pages"]),
        "edge_rss_mb": rss,
    }


def run(products: int, customers: int, sales: int, runs: int) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="vitrine-bench-bootstrap-"))
    broker = MosquittoProcess(workdir=root / "mosquitto")
    broker.start()
    rig = Rig(root, f"sqlite:///{root / 'hub.db'}", broker.port, customer_scope="all")
    stores = [f"{STORE}{chr(ord('a') + n)}" if n else STORE for n in range(runs)]
    try:
        rig.migrate()
        started = time.perf_counter()
        engine = make_engine(rig.database_url)
        plans = [StorePlan(store, range(0, min(customers, 5000)), sales=sales) for store in stores]
        fill(engine, HeadOffice(products, customers, plans))
        engine.dispose()
        fill_s = time.perf_counter() - started
        rig.start_worker()
        time.sleep(1.0)  # the worker subscribes before the store asks
        results = [bootstrap_once(rig, store, products) for store in stores]
        base_insert = statistics.median(baseline_insert(root, rig.database_url, n) for n in range(runs))
        base_bytes = baseline_checkpoint_bytes(rig.database_url)

        def med(key: str, digits: int = 2) -> float:
            return round(statistics.median(r[key] for r in results), digits)

        figures: dict[str, object] = {
            "products": products,
            "customers": customers,
            "past_sales": sales,
            "runs": runs,
            "rows": int(med("rows")),
            "pages": int(med("pages")),
            "fill_hub_s": round(fill_s, 1),
            "selling_s": med("selling_s"),
            "selling_s_agent": med("selling_s_agent"),
            "complete_s": med("complete_s"),
            "complete_s_max": round(max(r["complete_s"] for r in results), 2),
            "bytes_total": int(med("bytes_total")),
            "bytes_per_product": med("bytes_per_product", 1),
            "catalog_bytes_per_product": med("catalog_bytes_per_product", 1),
            "bytes_per_row": med("bytes_per_row", 1),
            "edge_rss_mb": round(max(r["edge_rss_mb"] for r in results), 1),
            "baseline_insert_s": round(base_insert, 2),
            "complete_vs_insert": round(med("complete_s") / base_insert, 1) if base_insert else None,
            "baseline_checkpoint_bytes_per_product": round(base_bytes / products, 1),
        }
        return figures
    finally:
        rig.stop()
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10,000 products, 20,000 customers")
    ap.add_argument(
        "--runs", type=int, default=0, help="fresh stores bootstrapped (medians); default 3, quick 1"
    )
    args = ap.parse_args()
    runs = args.runs or (1 if args.quick else 3)
    products, customers, sales = (10_000, 20_000, 1_000) if args.quick else (50_000, 100_000, 5_000)
    figures = run(products, customers, sales, runs)
    for key, value in figures.items():
        print(f"{key:>40}  {value}")
    targets = {"selling_s": 30, "complete_s": 90, "bytes_per_product": 40, "edge_rss_mb": 400}
    if not args.quick:
        figures["targets_met"] = all(float(figures[k]) <= v for k, v in targets.items())  # type: ignore[arg-type]
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
