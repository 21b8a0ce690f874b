"""RFID hot path: tag reads/s through protocol parser + tag processor on one core.

Serial readers (Mercury, R2000): a recorded-style byte stream (simulated store: 4 antennas,
cross-reads, RSSI noise, movement and exits) is generated first, then replayed in 4 KiB chunks (what
one serial read returns) through (a) the parser alone — the baseline — and (b) the parser plus the
tag processor, in the same run. Medians over several repetitions.

LLRP (network readers): the library's LLRP reader simulator runs in a child process on a loopback
port; the real client (``RfidReader`` over TCP: capabilities, ROSpec, keepalives) streams its
RO_ACCESS_REPORTs into the tag processor for a fixed time → ``llrp_reads_s``: reads per CPU-second
of the client process, i.e. what one core sustains (robust to other work on a shared machine), and
``llrp_wall_reads_s``: reads per wall second, bounded by what the simulator process offers. Baseline
in the same run and unit: the same kind of report stream parsed (``llrp_parse_only_reads_s``) and
parsed + processed (``llrp_memory_reads_s``) from memory, no socket, per CPU-second.

    python bench/rfid.py [--quick] [--reads N] [--repeat K] [--llrp-seconds S]

The last line is JSON.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.rfid import llrp, mercury, r2000
from drivers.rfid.events import TagRead
from drivers.rfid.llrp_client import LlrpOptions
from drivers.rfid.llrp_sim import LlrpSimulatedReader, spec_from_url
from drivers.rfid.reader import RfidReader
from drivers.rfid.sessions import ReaderSettings
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


LLRP_SIM = "llrp-sim://bench?antennas=4&tags={tags}&rate={rate}&move_every_s=2&exit_every_s=3&seed=7"
REPORT_EVERY = 32
"""Tags per RO_ACCESS_REPORT asked for by the bench's ROSpec (a busy fixed reader batches)."""


def llrp_stream(reads: int, tags: int, report_every: int = REPORT_EVERY) -> tuple[list[bytes], int]:
    """RO_ACCESS_REPORT bytes from the LLRP simulator core (no socket), 64 KiB chunks."""
    sim = LlrpSimulatedReader(spec_from_url(LLRP_SIM.format(tags=tags, rate=200_000)), 0.0)
    sim.receive(llrp.add_rospec(llrp.RoSpec(1, (1, 2, 3, 4), report_every=report_every), 1), 0.0)
    sim.receive(llrp.enable_rospec(1, 2), 0.0)
    sim.emit(0.0)
    out = bytearray()
    now = 0.0
    produced = 0
    while produced < reads:
        now += 0.01
        data = sim.emit(now)
        produced += sum(1 for e in llrp.LlrpParser().feed(data) if type(e) is TagRead)
        out += data
    return [bytes(out[i : i + 65536]) for i in range(0, len(out), 65536)], produced


def llrp_from_memory(chunks: list[bytes]) -> tuple[float, float, int]:
    """(parse-only, parse + tag processor) reads per CPU-second, reads."""
    parser = llrp.LlrpParser()
    start = time.thread_time()
    reads = sum(1 for chunk in chunks for e in parser.feed(chunk) if type(e) is TagRead)
    parse_s = time.thread_time() - start
    parser = llrp.LlrpParser()
    proc = TagProcessor(ZONES, TagTimers())
    start = time.thread_time()
    now = 0.0
    for chunk in chunks:
        batch = [e for e in parser.feed(chunk) if type(e) is TagRead]
        now += len(batch) / READER_RATE
        proc.process("bench", batch, now)
    full_s = time.thread_time() - start
    return reads / parse_s, reads / full_s, reads


def llrp_live(seconds: float, tags: int, rate: int, report_every: int = REPORT_EVERY) -> dict[str, float]:
    """The real client against the simulator in a child process over loopback TCP."""
    sim = subprocess.Popen(
        [sys.executable, "-m", "drivers.rfid.llrp_sim", LLRP_SIM.format(tags=tags, rate=rate)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        url = sim.stdout.readline().strip()
        proc = TagProcessor(ZONES, TagTimers())
        lock = threading.Lock()
        state = {"reads": 0, "changes": 0}

        def on_reads(reader_id: str, reads: list[TagRead], now: float) -> None:
            changes = len(proc.process(reader_id, reads, now))
            with lock:
                state["reads"] += len(reads)
                state["changes"] += changes

        settings = ReaderSettings(
            "bench", "llrp", url, (1, 2, 3, 4), power_dbm=27.0, llrp=LlrpOptions(report_every=report_every)
        )
        reader = RfidReader(settings, on_reads)
        reader.start()
        deadline = time.monotonic() + 10
        while state["reads"] < 10_000 and time.monotonic() < deadline:  # connected and streaming
            time.sleep(0.01)
        with lock:
            reads0 = state["reads"]
        wall0, cpu0 = time.perf_counter(), time.process_time()
        time.sleep(seconds)
        with lock:
            reads = state["reads"] - reads0
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        health = reader.health()
        reader.stop()
        return {
            "wall_reads_s": reads / wall,
            "reads_s": reads / cpu if cpu else 0.0,
            "reads": reads,
            "cpu_share": cpu / wall,
            "rejected": health.rejected_frames,
            "changes": state["changes"],
        }
    finally:
        sim.terminate()
        sim.wait(5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller stream, fewer repetitions (< 50 s)")
    ap.add_argument("--reads", type=int, default=None, help="tag reads in the stream")
    ap.add_argument("--repeat", type=int, default=None, help="repetitions (median reported)")
    ap.add_argument("--tags", type=int, default=500, help="tags in the simulated store")
    ap.add_argument("--llrp-seconds", type=float, default=None, help="length of one live LLRP run")
    ap.add_argument("--llrp-rate", type=int, default=400_000, help="reads/s the LLRP simulator offers")
    ap.add_argument("--llrp-report-every", type=int, default=REPORT_EVERY, help="tags per RO_ACCESS_REPORT")
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
    llrp_seconds = args.llrp_seconds or (3.0 if args.quick else 5.0)
    llrp_repeat = 3 if args.quick else 5
    every = args.llrp_report_every
    chunks, produced = llrp_stream(n_reads // 2, args.tags, every)
    print(f"[llrp] report stream: {produced} reads, {sum(map(len, chunks)) / 1e6:.1f} MB", flush=True)
    mem_parse, mem_full, live = [], [], []
    for i in range(llrp_repeat):
        gc.collect()
        parse_rate, full_rate, _ = llrp_from_memory(chunks)
        mem_parse.append(parse_rate)
        mem_full.append(full_rate)
        gc.collect()
        live.append(llrp_live(llrp_seconds, args.tags, args.llrp_rate, every))
        print(
            f"[llrp] run {i + 1}/{llrp_repeat} (reads per CPU-second): from memory parse-only "
            f"{parse_rate:,.0f}, parse+process {full_rate:,.0f} | TCP client+process {live[-1]['reads_s']:,.0f} "
            f"({live[-1]['wall_reads_s']:,.0f} per wall second, client CPU {live[-1]['cpu_share']:.2f} of a "
            f"core, {live[-1]['rejected']:.0f} rejected frames)",
            flush=True,
        )
    llrp_fig = {
        "llrp_reads_s": statistics.median(r["reads_s"] for r in live),
        "llrp_wall_reads_s": statistics.median(r["wall_reads_s"] for r in live),
        "llrp_memory_reads_s": statistics.median(mem_full),
        "llrp_parse_only_reads_s": statistics.median(mem_parse),
    }
    print(
        f"[llrp] median: TCP client + tag processor {llrp_fig['llrp_reads_s']:,.0f} reads per CPU-second "
        f"({llrp_fig['llrp_wall_reads_s']:,.0f} per wall second) | baseline from memory: parse+process "
        f"{llrp_fig['llrp_memory_reads_s']:,.0f}, parse-only {llrp_fig['llrp_parse_only_reads_s']:,.0f} | "
        f"TCP / memory {llrp_fig['llrp_reads_s'] / llrp_fig['llrp_memory_reads_s']:.2f}"
    )
    main_r = results["mercury"]
    print(
        json.dumps(
            {
                **{k: round(v) for k, v in llrp_fig.items()},
                "llrp_report_every": every,
                "llrp_seconds_per_run": llrp_seconds,
                "llrp_repeat": llrp_repeat,
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
