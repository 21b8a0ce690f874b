"""The LLRP client: its pure session against a real reader's capabilities, then the whole reader loop
over loopback TCP against the library's LLRP simulator (llrp-sim:// and a plain llrp:// URL)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from drivers.errors import ConfigError
from drivers.rfid import llrp
from drivers.rfid.events import CommandResponse, ReaderMessage, TagRead
from drivers.rfid.llrp_client import LlrpOptions, LlrpSession
from drivers.rfid.llrp_sim import SIMULATORS, LlrpSimServer, spec_from_url
from drivers.rfid.profiles import load_readers, parse_reader
from drivers.rfid.reader import RfidReader
from drivers.rfid.sessions import ReaderSettings
from tests.support.paths import REPO
from tests.support.polling import wait_for


def _capabilities_response(data_dir: Path) -> CommandResponse:
    body = (data_dir / "rfid" / "llrp" / "GetReaderCapabilitiesResponse-000.bytes").read_bytes()
    (event,) = llrp.LlrpParser().feed(llrp.encode_message(llrp.Msg.GET_READER_CAPABILITIES_RESPONSE, body, 1))
    assert isinstance(event, CommandResponse)
    return event


def test_capabilities_of_a_real_reader(data_dir: Path) -> None:
    truth = json.loads((data_dir / "rfid" / "llrp" / "GetReaderCapabilitiesResponse-000.json").read_text())
    caps = llrp.parse_capabilities(_capabilities_response(data_dir).data)
    general = truth["GeneralDeviceCapabilities"]
    levels = truth["RegulatoryCapabilities"]["UHFBandCapabilities"]["TransmitPowerLevels"]
    assert caps.max_antennas == general["MaxSupportedAntennas"] == 4
    assert (caps.manufacturer, caps.model, caps.firmware) == (
        general["DeviceManufacturer"],
        general["Model"],
        general["FirmwareVersion"],
    )
    assert caps.power_table == {e["Index"]: e["TransmitPowerValue"] for e in levels}
    assert caps.power_table[caps.power_index(27.0)] == 2700
    assert caps.power_table[caps.power_index(5.0)] == min(caps.power_table.values())


def test_session_configures_a_reader_from_its_capabilities(data_dir: Path) -> None:
    session = LlrpSession((1, 3), power_dbm=27.0, options=LlrpOptions(keepalive_ms=2000, report_every=8))
    (ask,) = session.startup()
    assert (ask[0] << 8 | ask[1]) & 0x3FF == llrp.Msg.GET_READER_CAPABILITIES
    frames = session.on_events([_capabilities_response(data_dir)], 0.0)
    kinds = [(f[0] << 8 | f[1]) & 0x3FF for f in frames]
    assert kinds == [
        llrp.Msg.SET_READER_CONFIG,
        llrp.Msg.DELETE_ROSPEC,
        llrp.Msg.ADD_ROSPEC,
        llrp.Msg.ENABLE_ROSPEC,
    ]
    assert frames[0][10:] == b"\x00" + llrp.encode_tlv(
        llrp.Param.KEEPALIVE_SPEC, b"\x01" + (2000).to_bytes(4, "big")
    )
    spec = llrp.parse_rospec(frames[2][10:])
    assert spec.antennas == (1, 3) and spec.report_every == 8
    assert session.capabilities is not None and session.capabilities.power_table[spec.power_index] == 2700
    assert not session.ready
    session.on_events([CommandResponse(llrp.Msg.ENABLE_ROSPEC_RESPONSE, 0, b"", True)], 0.0)
    assert session.ready
    (ack,) = session.on_events([ReaderMessage(llrp.Msg.KEEPALIVE, 77, b"")], 1.0)
    assert ack == llrp.keepalive_ack(77)
    assert [(f[0] << 8 | f[1]) & 0x3FF for f in session.shutdown()] == [
        llrp.Msg.DISABLE_ROSPEC,
        llrp.Msg.CLOSE_CONNECTION,
    ]


def test_session_refuses_antennas_the_reader_does_not_have(data_dir: Path) -> None:
    session = LlrpSession((1, 9))
    session.startup()
    assert session.on_events([_capabilities_response(data_dir)], 0.0) == []
    assert session.error is not None and "[9]" in session.error and "[antennas]" in session.error


class _Sink:
    def __init__(self) -> None:
        self.reads: list[TagRead] = []
        self._lock = threading.Lock()

    def __call__(self, _reader: str, reads: list[TagRead], _now: float) -> None:
        with self._lock:
            self.reads.extend(reads)

    def count(self) -> int:
        with self._lock:
            return len(self.reads)


@pytest.fixture
def sim_url() -> Iterator[str]:
    url = "llrp-sim://test-dock?antennas=4&exit_antenna=4&tags=30&rate=3000&seed=5"
    yield url
    SIMULATORS.close(spec_from_url(url).name)


def test_reader_streams_over_loopback_answers_keepalives_and_reconnects(sim_url: str) -> None:
    sink = _Sink()
    settings = ReaderSettings(
        "dock", "llrp", sim_url, (1, 2, 4), power_dbm=20.0, llrp=LlrpOptions(keepalive_ms=100)
    )
    reader = RfidReader(settings, sink)
    reader.start()
    try:
        wait_for(lambda: sink.count() > 300, 10, "tag reads over LLRP")
        server = SIMULATORS.server("test-dock")
        assert server is not None
        sim = server.reader
        started = time.time() * 1e6
        reads = list(sink.reads)
        assert {r.antenna for r in reads} <= {1, 2, 4} and len({r.antenna for r in reads}) >= 2
        assert all(-99 <= r.rssi <= -10 and len(r.epc) == 24 for r in reads)
        assert all(abs(r.seen_us - started) < 30e6 for r in reads)
        assert sim.power_index and 1000 + 25 * (sim.power_index - 1) == 2000
        wait_for(lambda: sim.keepalives_acked >= 2, 5, "keepalives acknowledged")
        assert sim.keepalives_acked >= sim.keepalives_sent - 1
        before = sink.count()
        server.drop_connection()
        wait_for(lambda: server.connections >= 2, 10, "the client to reconnect")
        wait_for(lambda: sink.count() > before + 300, 10, "reads after reconnecting")
        health = reader.health()
        assert health.connected and health.reconnects >= 1 and health.rejected_frames == 0
    finally:
        reader.stop()
    wait_for(lambda: sim._running is None, 5, "the ROSpec disabled on shutdown")


def test_plain_llrp_url_and_a_wrong_antenna() -> None:
    server = LlrpSimServer(spec_from_url("llrp-sim://plain?antennas=2&exit_antenna=0&tags=10&rate=1000"))
    try:
        assert server.url.startswith("llrp://127.0.0.1:")
        sink = _Sink()
        good = RfidReader(ReaderSettings("a", "llrp", server.url, (1, 2)), sink)
        good.start()
        try:
            wait_for(lambda: sink.count() > 50, 10, "reads from llrp://")
        finally:
            good.stop()
        wait_for(lambda: server.reader._running is None, 5, "the first client to leave")
        bad = RfidReader(ReaderSettings("b", "llrp", server.url, (1, 3)), _Sink())
        bad.start()
        try:
            wait_for(lambda: bad.health().last_error is not None, 10, "the antenna error")
            assert "[3]" in str(bad.health().last_error)
        finally:
            bad.stop()
    finally:
        server.close()


def test_profiles_pair_llrp_with_network_urls() -> None:
    base = {"id": "r", "antennas": {"1": "shelf-a"}}
    with pytest.raises(ConfigError, match="llrp"):
        parse_reader({**base, "protocol": "llrp", "url": "/dev/ttyUSB0"})
    with pytest.raises(ConfigError, match="llrp"):
        parse_reader({**base, "protocol": "mercury", "url": "llrp://10.0.0.5"})
    with pytest.raises(ConfigError, match="llrp"):
        parse_reader({**base, "protocol": "llrp", "url": "llrp://10.0.0.5", "llrp": {"keepalive": 5}})
    profile = parse_reader(
        {**base, "protocol": "llrp", "url": "llrp://10.0.0.5", "llrp": {"report_every": 4}}
    )
    assert profile.settings.llrp == LlrpOptions(report_every=4)
    shipped = [p for p in load_readers(REPO / "firmware-config" / "readers") if p.settings.protocol == "llrp"]
    assert shipped and all(p.settings.url.startswith("llrp-sim://") for p in shipped)
