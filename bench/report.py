"""Run every benchmark and write docs/benchmarks.md with tables and PNG plots.

Each benchmark script prints human-readable tables and, as its last line, one JSON object of
figures. This runner records the command, the machine, the full output and the figures, and plots
each headline figure beside its baseline.

    python bench/report.py            # full runs (several minutes)
    python bench/report.py --quick    # every benchmark with --quick
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
PLOTS = DOCS / "bench"


@dataclass(frozen=True)
class Bench:
    name: str
    script: str
    title: str
    # (label, key) pairs plotted side by side: the figure and its baseline
    bars: tuple[tuple[str, str], ...]
    unit: str


BENCHES = (
    Bench(
        "edge_sales",
        "bench/edge_sales.py",
        "Sale latency (edge)",
        (
            ("sale p99 (HTTP)", "http_sale_p99_ms"),
            ("bare FastAPI p99", "http_bare_p99_ms"),
            ("sale p99 (in-process)", "sale_p99_ms"),
        ),
        "ms",
    ),
    Bench(
        "sync",
        "bench/sync.py",
        "Sync catch-up vs raw MQTT",
        (("Vitrine catch-up", "catchup_ops_s"), ("raw paho QoS 1", "raw_ops_s")),
        "ops/s",
    ),
    Bench(
        "rfid",
        "bench/rfid.py",
        "RFID reads/s (one core)",
        (("parser + tag processor", "reads_s"), ("parse only", "parse_only_reads_s")),
        "reads/s",
    ),
    Bench(
        "epc",
        "bench/epc.py",
        "EPC decode (SGTIN-96 → GTIN-14)",
        (("drivers.epc", "drivers_epc_us"), ("epcpy peer", "epcpy_us")),
        "µs per decode",
    ),
    Bench(
        "scan",
        "bench/scan.py",
        "Barcode decode rate",
        (("default chain", "decode_rate"), ("zxing-cpp alone", "peer_decode_rate")),
        "share of images",
    ),
    Bench(
        "reco",
        "bench/reco.py",
        "Recommendation quality (NDCG@10)",
        (("Vitrine default", "ndcg10"), ("implicit ALS peer", "peer_ndcg10")),
        "NDCG@10",
    ),
    Bench(
        "cloud_scale",
        "bench/cloud_scale.py",
        "Cloud ingest scaling",
        (("1 worker", "ops_s_1"), ("2 workers", "ops_s_2"), ("4 workers", "ops_s_4")),
        "ops/s",
    ),
    Bench(
        "head_office_import",
        "bench/head_office_import.py",
        "Head-office import: products file on PostgreSQL",
        (
            ("vitrine-cloud import", "postgresql_products_s"),
            ("admin per-row import", "postgresql_baseline_products_s"),
        ),
        "s",
    ),
)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def run(bench: Bench, quick: bool, timeout: float) -> tuple[str, dict[str, object] | None, float, int]:
    cmd = [sys.executable, bench.script] + (["--quick"] if quick else [])
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
        out, code = proc.stdout + proc.stderr[-4000:], proc.returncode
    except subprocess.TimeoutExpired as err:
        out, code = f"{err.stdout or ''}\n(timed out after {timeout:.0f} s)", -1
    elapsed = time.monotonic() - start
    figures = None
    for raw in reversed((out or "").strip().splitlines()):
        line = raw.strip()
        if line.startswith("{"):
            try:
                figures = json.loads(line)
            except json.JSONDecodeError:
                continue
            break
    return out, figures, elapsed, code


def plot(bench: Bench, figures: dict[str, object]) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, values = [], []
    for label, key in bench.bars:
        value = figures.get(key)
        if isinstance(value, int | float):
            labels.append(label)
            values.append(float(value))
    if not values:
        return None
    PLOTS.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 3))
    bars = ax.bar(labels, values, color=["#2b6cb0", "#a0aec0", "#718096", "#4a5568"][: len(values)])
    ax.bar_label(bars, fmt="%.3g")
    ax.set_title(bench.title)
    ax.set_ylabel(bench.unit)
    fig.tight_layout()
    path = PLOTS / f"{bench.name}.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return f"bench/{path.name}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    parser.add_argument("--only", nargs="*", help="benchmark names to run (default: all)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per benchmark")
    args = parser.parse_args()

    selected = [b for b in BENCHES if not args.only or b.name in args.only]
    host = machine()
    sections = []
    summary: dict[str, object] = {}
    for i, bench in enumerate(selected, 1):
        cmd = f"python {bench.script}" + (" --quick" if args.quick else "")
        print(f"[{i}/{len(selected)}] {cmd} ...", flush=True)
        if not (REPO / bench.script).exists():
            sections.append(f"## {bench.title}\n\n`{bench.script}` is not in this tree yet.\n")
            continue
        out, figures, elapsed, code = run(bench, args.quick, args.timeout)
        print(f"    exit {code} in {elapsed:.1f} s", flush=True)
        lines = [f"## {bench.title}", "", f"Command: `{cmd}` — exit {code}, {elapsed:.1f} s", ""]
        if figures:
            summary[bench.name] = figures
            lines += ["| figure | value |", "| --- | --- |"]
            lines += [f"| `{k}` | {v} |" for k, v in figures.items()]
            png = plot(bench, figures)
            if png:
                lines += ["", f"![{bench.title}]({png})"]
        else:
            lines.append("No figures: the benchmark printed no JSON line (see output).")
        tail = "\n".join((out or "").strip().splitlines()[-60:])
        lines += ["", "<details><summary>output</summary>", "", "```", tail, "```", "", "</details>", ""]
        sections.append("\n".join(lines))

    header = [
        "# Benchmarks",
        "",
        "Written by `python bench/report.py" + (" --quick" if args.quick else "") + "`.",
        f"Machine: {host}.",
        f"Run at {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Figures are medians/percentiles measured",
        "within one run; baselines are measured in the same run on the same machine.",
        "",
    ]
    DOCS.mkdir(exist_ok=True)
    (DOCS / "benchmarks.md").write_text("\n".join(header + sections))
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
