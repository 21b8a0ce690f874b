"""Simulator behind a pyserial URL → transport → parser → tag processor; unplug and replug."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from drivers.errors import ConfigError, TransportError
from drivers.rfid import mercury
from drivers.rfid.events import TagRead
from drivers.rfid.reader import RfidReader
from drivers.rfid.sessions import ReaderSettings
from drivers.rfid.simulator import BUS, SimSpec, SimulatedReader
from drivers.rfid.transport import Backoff, SerialTransport
from drivers.tags import TagDeparted, TagMoved, TagPresent, TagProcessor, TagTimers

ZONES = {"r": {1: "shelf-a", 2: "shelf-b", 3: "backroom", 4: "exit"}}


def wait_for(predicate: Callable[[], bool], timeout_s: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_reads_through_the_pyserial_url_reach_the_tag_processor() -> None:
    name = "e2e-url"
    BUS.forget(name)
    transport = SerialTransport(f"vitrinesim://{name}?tags=30&rate=1500&seed=4")
    transport.open()
    proc = TagProcessor(ZONES, TagTimers(departure_after_s=30, move_confirm_s=0.2, zone_stale_s=0.5))
    parser = mercury.MercuryParser()
    try:
        transport.write(mercury.set_antennas([1, 2, 3, 4]) + mercury.start_inventory())
        deadline = time.monotonic() + 1.2
        reads = 0
        while time.monotonic() < deadline:
            events = parser.feed(transport.read())
            tag_reads = [e for e in events if isinstance(e, TagRead)]
            reads += len(tag_reads)
            proc.process("r", tag_reads, time.monotonic())
    finally:
        transport.close()
    sim = BUS.reader(name)
    assert sim is not None
    assert reads > 500, "many reads per tag"
    present = {s.epc: s.zone for s in proc.snapshot()}
    expected = {tag: ZONES["r"][antenna] for tag, antenna in sim.world.location.items()}
    assert set(present) == set(expected)
    assert sum(present[t] == z for t, z in expected.items()) >= 0.9 * len(expected)
    BUS.forget(name)


def test_simulated_store_over_virtual_time_moves_and_exits() -> None:
    spec = SimSpec("virtual", tags=40, rate=800, move_every_s=4, exit_every_s=6, exit_dwell_s=2, seed=9)
    sim = SimulatedReader(spec, 0.0)
    parser = mercury.MercuryParser()
    proc = TagProcessor(ZONES, TagTimers(departure_after_s=3, move_confirm_s=0.5, zone_stale_s=1.5))
    sim.receive(mercury.start_inventory(), 0.0)
    events = []
    rssis: dict[tuple[str, int], set[int]] = {}
    for step in range(1, 1201):  # 120 simulated seconds in 0.1 s steps
        now = step / 10
        reads = [e for e in parser.feed(sim.emit(now)) if isinstance(e, TagRead)]
        for r in reads[:50]:
            rssis.setdefault((r.epc, r.antenna), set()).add(r.rssi)
        events += proc.process("r", reads, now)
        events += proc.tick(now)
    departed = [e for e in events if isinstance(e, TagDeparted)]
    moved = [e for e in events if isinstance(e, TagMoved)]
    assert {e.epc for e in departed} == set(sim.world.departed[: len(departed)]) and len(departed) >= 15
    assert all(e.zone == "exit" for e in departed), "tags only leave through the exit"
    assert any(m.to_zone == "exit" for m in moved) and any(m.to_zone != "exit" for m in moved)
    assert len([e for e in events if isinstance(e, TagPresent)]) >= 40
    assert max(len(v) for v in rssis.values()) > 3, "RSSI is noisy"
    assert len({a for _, a in rssis}) == 4, "all antennas read"


@pytest.mark.parametrize("protocol", ["mercury", "r2000"])
def test_reader_recovers_after_unplug_and_replug(protocol: str) -> None:
    name = f"replug-{protocol}"
    BUS.forget(name)
    got: list[TagRead] = []
    lock = threading.Lock()

    def on_reads(reader_id: str, reads: list[TagRead], now: float) -> None:
        with lock:
            got.extend(reads)

    settings = ReaderSettings(
        "r1", protocol, f"vitrinesim://{name}?protocol={protocol}&rate=800", antennas=(1, 2, 3), power_dbm=27
    )
    reader = RfidReader(settings, on_reads, backoff=Backoff(initial=0.05, maximum=0.2))
    reader.start()
    try:
        assert wait_for(lambda: len(got) > 50), "reads flow"
        assert {r.antenna for r in got} >= {1, 2}
        BUS.unplug(name)
        assert wait_for(lambda: not reader.health().connected)
        health = reader.health()
        assert health.last_error and "disconnected" in health.last_error
        time.sleep(0.4)  # several failed re-opens while unplugged
        assert not reader.health().connected
        with lock:
            before = len(got)
        BUS.plug(name)
        assert wait_for(lambda: reader.health().connected)
        assert wait_for(lambda: len(got) > before + 50), "reads resume without restarting anything"
        health = reader.health()
        assert health.reconnects >= 1 and health.total_reads > 100
        assert BUS.opens[name] >= 2
    finally:
        reader.stop()
        BUS.forget(name)


def test_open_errors_are_driver_errors() -> None:
    with pytest.raises(TransportError, match="cannot open"):
        SerialTransport("vitrinesim://x?bogus=1").open()
    with pytest.raises(TransportError, match="cannot open"):
        SerialTransport("/dev/vitrine-no-such-port").open()
    with pytest.raises(ConfigError):
        SimSpec.from_url("vitrinesim://x?rate=fast")
    with pytest.raises(TransportError, match="not open"):
        SerialTransport("vitrinesim://x").read()


def test_backoff_grows_and_caps() -> None:
    backoff = Backoff(initial=0.1, factor=2, maximum=0.5, jitter=0)
    assert [backoff.next_delay() for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    backoff.reset()
    assert backoff.next_delay() == 0.1
