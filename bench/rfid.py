"""RFID hot path: tag reads/s through protocol parser + tag processor on one core.

A recorded-style byte stream (simulated store: 4 antennas, cross-reads, RSSI noise, movement and exits)
is generated first, then replayed in 4 KiB chunks (what one serial read returns) through
(a) the parser alone — the baseline — and (b) the parser plus the tag processor, in the same run.
Medians over several repetitions. The last line is JSON.

    python bench/rfid.py [--quick] [--reads N] [--repeat K]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.rfid import mercury, r2000
from drivers.rfid.events import TagRead
from drivers.rfid.simulator import SimSpec, SimulatedReader
from drivers.tags import TagProcessor, TagTimers

ZONES = {"bench": {1: "shelf-a", 2: "shelf-b", 3: "backroom", 4: "exit"}}
CHUNK = 4096
READER_RATE = 1100.0  # reads/s of one fixed reader: the stream's own clock


def make_stream(protocol: str, reads: int, tags: int) -> tuple[list[bytes], int]:
    spec = SimSpec("bench", protocol=protocol, tags=tags, rate=5000, move_every_s=2, exit_every_s=3, seed=7)
    sim = SimulatedReader(spec, 0.0)
    out = bytearray()
    parser = mercury.MercuryParser() if protocol == "mercury" else r2000.R2000Parser()
    if protocol == "mercury":
        sim.receive(mercury.start_inventory(), 0.0)
    now = 0.0
    produced = 0
    antenna = 0
    while produced < reads:
        now += 0.05
        if protocol == "r2000":
            antenna = antenna % 4 + 1
            sim.receive(r2000.set_work_antenna(antenna) + r2000.real_time_inventory(), now - 0.05)
        data = sim.emit(now)
        produced += sum(1 for e in parser.feed(data) if type(e) is TagRead)
        out += data
    chunks = [bytes(out[i : i + CHUNK]) for i in range(0, len(out), CHUNK)]
    return chunks, produced


def parse_only(protocol: str, chunks: list[bytes]) -> tuple[float, int]:
    parser = mercury.MercuryParser() if protocol == "mercury" else r2000.R2000Parser()
    reads = 0
    start = time.perf_counter()
    for chunk in chunks:
        for event in parser.feed(chunk):
            if type(event) is TagRead:
                reads += 1
    return time.perf_counter() - start, reads


def parse_and_process(protocol: str, chunks: list[bytes]) -> tuple[float, int, int]:
    parser = mercury.MercuryParser() if protocol == "mercury" else r2000.R2000Parser()
    proc = TagProcessor(ZONES, TagTimers())
    reads = 0
    changes = 0
    now = 0.0
    next_tick = 0.5
    start = time.perf_counter()
    for chunk in chunks:
        batch = [e for e in parser.feed(chunk) if type(e) is TagRead]
        reads += len(batch)
        now += len(batch) / READER_RATE
        changes += len(proc.process("bench", batch, now))
        if now >= next_tick:
            changes += len(proc.tick(now))
            next_tick = now + 0.5
    return time.perf_counter() - start, reads, changes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller stream, fewer repetitions (< 50 s)")
    ap.add_argument("--reads", type=int, default=None, help="tag reads in the stream")
    ap.add_argument("--repeat", type=int, default=None, help="repetitions (median reported)")
    ap.add_argument("--tags", type=int, default=500, help="tags in the simulated store")
    args = ap.parse_args()
    n_reads = args.reads or (100_000 if args.quick else 400_000)
    repeat = args.repeat or (5 if args.quick else 9)

    results: dict[str, dict[str, float]] = {}
    for protocol in ("mercury", "r2000"):
        t0 = time.perf_counter()
        chunks, produced = make_stream(protocol, n_reads, args.tags)
        size = sum(map(len, chunks))
        print(
            f"[{protocol}] stream: {produced} reads, {size / 1e6:.1f} MB, {len(chunks)} chunks "
            f"(built in {time.perf_counter() - t0:.1f} s)",
            flush=True,
        )
        base, full = [], []
        changes = 0
        for i in range(repeat):
            gc.collect()
            elapsed, reads = parse_only(protocol, chunks)
            base.append(reads / elapsed)
            gc.collect()
            elapsed, reads2, changes = parse_and_process(protocol, chunks)
            full.append(reads2 / elapsed)
            assert reads == reads2 == produced
            print(
                f"[{protocol}] run {i + 1}/{repeat}: parse-only {base[-1]:,.0f} reads/s, "
                f"parse+process {full[-1]:,.0f} reads/s ({changes} state changes)",
                flush=True,
            )
        results[protocol] = {
            "parse_only_reads_s": statistics.median(base),
            "reads_s": statistics.median(full),
            "state_changes": changes,
            # paired per run (same machine state): robust to the noise between runs
            "full_over_parse": statistics.median(f / b for f, b in zip(full, base, strict=True)),
        }
        r = results[protocol]
        print(
            f"[{protocol}] median: parse-only {r['parse_only_reads_s']:,.0f} reads/s | parse+tag processor "
            f"{r['reads_s']:,.0f} reads/s | paired ratio parse+process / parse-only "
            f"{r['full_over_parse']:.2f} | "
            f"= {r['reads_s'] / READER_RATE:.0f} readers at {READER_RATE:.0f} reads/s each"
        )
    main_r = results["mercury"]
    print(
        json.dumps(
            {
                "reads_s": round(main_r["reads_s"]),
                "parse_only_reads_s": round(main_r["parse_only_reads_s"]),
                "protocol": "mercury",
                "full_over_parse_ratio": round(main_r["full_over_parse"], 3),
                "r2000_reads_s": round(results["r2000"]["reads_s"]),
                "r2000_parse_only_reads_s": round(results["r2000"]["parse_only_reads_s"]),
                "reads_per_run": n_reads,
                "repeat": repeat,
                "tags": args.tags,
                "target_reads_s": 50_000,
                "readers_per_core": round(main_r["reads_s"] / READER_RATE),
            }
        )
    )


if __name__ == "__main__":
    main()
