"""EPC tag decode: ``drivers.epc`` (baseline) against ``epcpy`` (MIT), SGTIN-96 → GTIN-14.

Decodes the same EPCs (the shared SGTIN-96 vectors plus simulator tags) with both, checks they
agree, and reports the median time per decode over several repetitions. The last line is JSON.

    python bench/epc.py [--quick] [--tags N] [--repeat K]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from epcpy import hex_to_tag_encodable

from drivers import epc
from drivers.rfid.simulator import sim_gtins

VECTORS = Path(__file__).resolve().parents[2] / "shared" / "data" / "rfid" / "sgtin96_vectors.csv"


def tags(count: int) -> list[str]:
    out = []
    if VECTORS.exists():
        with VECTORS.open(newline="") as handle:
            out = [row["epc_hex"] for row in csv.DictReader(handle)]
    gtins = sim_gtins(50)
    out += [epc.encode_sgtin96(gtins[i % 50], i, 7) for i in range(count - len(out))]
    return out


def ours(hex_epc: str) -> str | None:
    return epc.gtin_of(hex_epc)


def theirs(hex_epc: str) -> str | None:
    return str(hex_to_tag_encodable(hex_epc).gtin())  # type: ignore[attr-defined]


def per_decode_us(decode: Callable[[str], str | None], epcs: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        for hex_epc in epcs:
            decode(hex_epc)
        runs.append((time.perf_counter() - start) / len(epcs) * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer tags and repetitions")
    parser.add_argument("--tags", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    count, repeat = (1000, 3) if args.quick else (args.tags, args.repeat)
    epcs = tags(count)
    disagree = sum(ours(h) != theirs(h) for h in epcs)
    baseline = per_decode_us(ours, epcs, repeat)
    candidate = per_decode_us(theirs, epcs, repeat)
    print(f"{len(epcs)} SGTIN-96 tags, median of {repeat} runs; GTINs that differ: {disagree}")
    print(f"drivers.epc  {baseline:7.2f} µs/decode  ({1e6 / baseline:,.0f} tags/s)")
    print(f"epcpy        {candidate:7.2f} µs/decode  ({1e6 / candidate:,.0f} tags/s)")
    print(
        json.dumps(
            {
                "tags": len(epcs),
                "repeat": repeat,
                "drivers_epc_us": round(baseline, 2),
                "epcpy_us": round(candidate, 2),
                "epcpy_over_drivers_epc": round(candidate / baseline, 2),
                "gtin_disagreements": disagree,
            }
        )
    )


if __name__ == "__main__":
    main()
