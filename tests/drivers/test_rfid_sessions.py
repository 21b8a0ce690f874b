"""Protocol sessions, the simulator's reader side, and the shipped reader profiles."""

from __future__ import annotations

import pytest

from drivers.errors import ConfigError
from drivers.rfid import mercury, r2000
from drivers.rfid.events import CommandResponse, InventoryRoundEnd, TagRead
from drivers.rfid.llrp_sim import simulator_spec
from drivers.rfid.profiles import load_readers, load_site
from drivers.rfid.sessions import MercurySession, R2000Session, ReaderSettings, make_session
from drivers.rfid.simulator import SimSpec, SimulatedReader
from tests.support.paths import REPO


def test_mercury_session_configures_then_streams_and_stops() -> None:
    session = MercurySession(ReaderSettings("r", "mercury", "x", (1, 2), region="eu3", power_dbm=26.5))
    frames = session.startup()
    commands = mercury.MercuryParser("reader").feed(b"".join(frames))
    assert [c.opcode for c in commands] == [0x2F, 0x97, 0x92, 0x91, 0x2F]  # type: ignore[union-attr]
    assert frames[2] == mercury.set_read_power(26.5) and frames[3] == mercury.set_antennas([1, 2])
    assert session.shutdown() == [mercury.stop_inventory()]


def test_r2000_session_walks_antennas_round_by_round() -> None:
    session = R2000Session(ReaderSettings("r", "r2000", "x", (1, 3), region="etsi", power_dbm=26))
    first = session.startup()
    assert first[-2:] == [r2000.set_work_antenna(1), r2000.real_time_inventory()]
    assert session.on_events([], 10.0) == []
    nxt = session.on_events([InventoryRoundEnd(1, 100, 5)], 10.1)
    assert nxt == [r2000.set_work_antenna(3), r2000.real_time_inventory()]
    assert session.on_events([], 11.5) == [r2000.set_work_antenna(1), r2000.real_time_inventory()], (
        "lost round"
    )


def test_bad_regions_and_protocols() -> None:
    with pytest.raises(ConfigError, match="region"):
        MercurySession(ReaderSettings("r", "mercury", "x", region="mars"))
    with pytest.raises(ConfigError, match="region"):
        R2000Session(ReaderSettings("r", "r2000", "x", region="mars"))
    with pytest.raises(ConfigError, match="protocol"):
        make_session(ReaderSettings("r", "zigbee", "x"))  # type: ignore[arg-type]


def test_simulated_mercury_obeys_start_stop_and_rejects_bad_antennas() -> None:
    sim = SimulatedReader(SimSpec("s", tags=10, rate=1000), 0.0)
    parser = mercury.MercuryParser()
    sim.receive(mercury.set_antennas([9]), 0.0)
    assert parser.feed(sim.emit(0.0)) == [CommandResponse(0x91, 0x0105, b"", False)]
    assert parser.feed(sim.emit(1.0)) == [], "nothing read before start"
    sim.receive(mercury.set_antennas([2]) + mercury.start_inventory(), 1.0)
    events = parser.feed(sim.emit(1.5))
    reads = [e for e in events if isinstance(e, TagRead)]
    assert len(reads) >= 400 and {r.antenna for r in reads} == {2}
    sim.receive(mercury.stop_inventory(), 1.5)
    parser.feed(sim.emit(1.5))
    assert [e for e in parser.feed(sim.emit(3.0)) if isinstance(e, TagRead)] == []


def test_simulated_r2000_round_answers_after_its_air_time() -> None:
    sim = SimulatedReader(SimSpec("s", protocol="r2000", tags=10, rate=400), 0.0)
    parser = r2000.R2000Parser()
    sim.receive(r2000.set_work_antenna(2) + r2000.real_time_inventory(), 0.0)
    assert parser.feed(sim.emit(0.01)) == [CommandResponse(0x74, 0x10, b"", True)]
    events = parser.feed(sim.emit(0.06))
    assert isinstance(events[-1], InventoryRoundEnd) and events[-1].antenna == 2
    assert all(e.antenna == 2 for e in events if isinstance(e, TagRead))


def test_shipped_reader_profiles_are_valid() -> None:
    profiles = load_readers(REPO / "firmware-config" / "readers")
    assert {p.settings.protocol for p in profiles} == {"mercury", "r2000", "llrp"}
    for profile in profiles:
        assert simulator_spec(profile.settings.url) is not None
    site = load_site(REPO / "firmware-config" / "rfid.toml")
    assert "exit" in site.exit_zones
    assert any("exit" in p.zones.values() for p in profiles)
