"""Head-office import benchmark: a synthetic neutral-format directory into a fresh hub.

Generates ``products`` products (GTINs, size/colour attributes), one price list, ``customers``
customers (email, phone, card, half with consent evidence) and ``receipts`` receipts of 3 lines
over three stores, then times ``cloud.importing.run_import`` on a fresh SQLite file and a fresh
PostgreSQL database: seconds per file, and the re-run (idempotent, nothing changes).

Baseline measured in the same run: the catalog path that existed before (``cloud.admin.catalog.
import_items``, one upsert per row, as the admin API's CSV import) on the first 10,000 of the same
products; compared as rows per second (``*_products_rows_s`` vs ``*_baseline_rows_s``).

    python bench/head_office_import.py           # 50,000 products, 100,000 customers, 3 runs (median)
    python bench/head_office_import.py --quick   # 10,000 products, 20,000 customers, 1 run

Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cloud.admin import catalog  # noqa: E402
from cloud.hub import Hub  # noqa: E402
from cloud.importing import run_import  # noqa: E402
from cloud.localpg import LocalPostgres  # noqa: E402
from cloud.settings import CloudSettings  # noqa: E402
from cloud.storage import migrate  # noqa: E402
from sync.broker import free_port  # noqa: E402
from sync.gtin import synthetic_gtin  # noqa: E402

STORES = ("store-1", "store-2", "store-3")


def _write(path: Path, header: list[str], rows: Any) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def generate(out: Path, products: int, customers: int, receipts: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "stores.csv", ["store_id", "name"], [(s, s.title()) for s in STORES])
    sizes, colours = ("S", "M", "L", "XL"), ("red", "blue", "black", "white")
    _write(
        out / "products.csv",
        ["sku", "gtin", "name", "category", "attr_size", "attr_colour"],
        (
            (
                f"P{i:06d}",
                synthetic_gtin(f"P{i:06d}"),
                f"Product {i}",
                f"cat-{i % 40}",
                sizes[i % 4],
                colours[i % 4],
            )
            for i in range(products)
        ),
    )
    _write(
        out / "prices.csv",
        ["price_list", "effective_from", "sku", "price"],
        (("base", "2024-01-01", f"P{i:06d}", f"{1 + i % 90}.{i % 100:02d}") for i in range(products)),
    )
    _write(
        out / "customers.csv",
        [
            "customer_id",
            "name",
            "email",
            "phone",
            "card",
            "marketing_consent",
            "consent_at",
            "consent_channel",
            "consent_wording",
        ],
        (
            (
                f"K{i:07d}",
                f"Customer {i}",
                f"k{i}@example.com",
                f"+3361{i:07d}",
                f"CARD{i:07d}",
                "yes" if i % 2 else "no",
                "2024-01-01T09:00:00Z" if i % 2 else "",
                "store" if i % 2 else "",
                "v1" if i % 2 else "",
            )
            for i in range(customers)
        ),
    )
    _write(
        out / "sales.csv",
        ["receipt_id", "store", "channel", "customer_id", "datetime", "sku", "quantity", "unit_price"],
        (
            (
                f"R{r:07d}",
                STORES[r % 3],
                "store",
                f"K{(r * 7) % customers:07d}",
                f"2024-{1 + r % 12:02d}-{1 + r % 28:02d}T10:00:00Z",
                f"P{(r * 13 + k) % products:06d}",
                str(1 + k),
                "9.99",
            )
            for r in range(receipts)
            for k in range(3)
        ),
    )


def timed_import(url: str, directory: Path) -> dict[str, Any]:
    settings = CloudSettings(database_url=url)  # type: ignore[call-arg]
    hub = Hub.from_settings(settings)
    try:
        migrate(hub.engine)
        t0 = time.perf_counter()
        first = run_import(hub, directory)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        second = run_import(hub, directory)
        rerun_s = time.perf_counter() - t0
    finally:
        hub.close()
    assert not second.changed(), "the re-run changed something"
    assert first.rejected_total == 0, first.lines()
    return {
        "total_s": round(first_s, 2),
        "rerun_s": round(rerun_s, 2),
        "files_s": {name: round(t.seconds, 2) for name, t in first.files.items()},
    }


def baseline(url: str, directory: Path, limit: int) -> float:
    """Seconds for the admin catalog path (one upsert per row) on ``limit`` products."""
    settings = CloudSettings(database_url=url)  # type: ignore[call-arg]
    hub = Hub.from_settings(settings)
    try:
        migrate(hub.engine)
        items = catalog.parse_csv((directory / "products.csv").read_text(encoding="utf-8"))[:limit]
        t0 = time.perf_counter()
        with hub.tx() as conn:
            catalog.import_items(conn, hub.clock, items)
        return time.perf_counter() - t0
    finally:
        hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--products", type=int)
    parser.add_argument("--customers", type=int)
    parser.add_argument("--receipts", type=int)
    parser.add_argument("--runs", type=int)
    args = parser.parse_args()
    products = args.products or (10_000 if args.quick else 50_000)
    customers = args.customers or (20_000 if args.quick else 100_000)
    receipts = args.receipts or (10_000 if args.quick else 50_000)
    runs = args.runs or (1 if args.quick else 3)
    base = Path(tempfile.mkdtemp(prefix="vitrine-import-bench-"))
    pg_base = Path(tempfile.mkdtemp(prefix="vitrine-import-bench-pg-"))  # chowned to postgres when root
    pg = LocalPostgres(datadir=pg_base / "data", port=free_port())
    results: dict[str, list[dict[str, Any]]] = {"sqlite": [], "postgresql": []}
    baselines: dict[str, float] = {}
    try:
        directory = base / "data"
        t0 = time.perf_counter()
        generate(directory, products, customers, receipts)
        print(
            f"generated {products:,} products, {customers:,} customers, {receipts * 3:,} sale lines "
            f"in {time.perf_counter() - t0:.1f} s",
            flush=True,
        )
        pg.start()
        for run in range(runs):
            for backend, done in results.items():
                url = (
                    f"sqlite:///{base / f'hub-{run}.db'}"
                    if backend == "sqlite"
                    else pg.create_database(f"bench_{run}")
                )
                result = timed_import(url, directory)
                done.append(result)
                print(f"  {backend} run {run + 1}: {json.dumps(result)}", flush=True)
        limit = min(products, 10_000)
        for backend in results:
            url = (
                f"sqlite:///{base / 'baseline.db'}"
                if backend == "sqlite"
                else pg.create_database("bench_base")
            )
            baselines[backend] = limit / baseline(url, directory, limit)  # rows/s
            print(
                f"  {backend} baseline (admin catalog import, per row): {limit:,} products in "
                f"{limit / baselines[backend]:.2f} s",
                flush=True,
            )
    finally:
        pg.stop()
        shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(pg_base, ignore_errors=True)
    summary: dict[str, Any] = {
        "products": products,
        "customers": customers,
        "sale_lines": receipts * 3,
        "runs": runs,
    }
    for backend, rows in results.items():
        products_s = statistics.median(r["files_s"]["products.csv"] for r in rows)
        summary[f"{backend}_total_s"] = statistics.median(r["total_s"] for r in rows)
        summary[f"{backend}_rerun_s"] = statistics.median(r["rerun_s"] for r in rows)
        summary[f"{backend}_products_s"] = products_s
        summary[f"{backend}_customers_s"] = statistics.median(r["files_s"]["customers.csv"] for r in rows)
        summary[f"{backend}_products_rows_s"] = round(products / products_s) if products_s else None
        summary[f"{backend}_baseline_rows_s"] = round(baselines[backend])
        summary[f"{backend}_products_speedup"] = (
            round(products / products_s / baselines[backend], 1) if products_s else None
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
