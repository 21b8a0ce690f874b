"""Cost of the strict body check both APIs run before routing (``sync.strict_input.check_body``).

Baseline, measured in the same run: what the framework does anyway — ``json.loads`` of a JSON body,
``bytes.decode("utf-8")`` of a text body. Bodies: a typical two-line sale, a 5,000-item stock count
(the largest JSON body the edge accepts) and a 100,000-row catalog CSV (the hub's import).

    python bench/strict_input.py

Prints one line per body (median µs per body, check / baseline ratio); last line: one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import timeit
from collections.abc import Callable
from pathlib import Path

# the repository first: bench/sync.py would shadow the sync package
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sync.strict_input import check_body

REPEATS = 7


def _median_us(work: Callable[[], object], number: int) -> float:
    return statistics.median(timeit.repeat(work, number=number, repeat=REPEATS)) / number * 1e6


def main() -> None:
    sale = json.dumps(
        {"lines": [{"sku": "85123A", "qty": 2}, {"sku": "71053", "qty": 1}], "payment_ref": "till-1"}
    ).encode()
    count = json.dumps(
        {"zone": "floor", "items": [{"sku": f"SKU{i}", "qty": i % 50} for i in range(5000)]}
    ).encode()
    csv = (
        "sku,gtin,name,category\n"
        + "".join(f"S{i},0200000000000{i % 10},Name {i} é,cat\n" for i in range(100_000))
    ).encode()
    cases: list[tuple[str, bytes, str, Callable[[bytes], object], int]] = [
        ("sale", sale, "application/json", json.loads, 20_000),
        ("count_5000", count, "application/json", json.loads, 50),
        ("catalog_csv_100k", csv, "text/csv", lambda b: b.decode("utf-8"), 20),
    ]
    results: dict[str, dict[str, float]] = {}
    for name, body, content_type, baseline, number in cases:
        assert check_body(body, content_type) is None
        checked = _median_us(lambda b=body, c=content_type: check_body(b, c), number)  # type: ignore[misc]
        base = _median_us(lambda b=body, f=baseline: f(b), number)  # type: ignore[misc]
        results[name] = {
            "bytes": len(body),
            "check_us": round(checked, 1),
            "baseline_us": round(base, 1),
            "ratio": round(checked / base, 2),
        }
        print(
            f"{name}: {len(body)} bytes, check {checked:.1f} µs, baseline {base:.1f} µs, ×{checked / base:.2f}"
        )
    print(json.dumps({"benchmark": "strict_input", "repeats": REPEATS, "results": results}))


if __name__ == "__main__":
    main()
