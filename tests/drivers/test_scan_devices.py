"""Scanner transports and the pipeline: serial framing and simulator, camera capture and simulators,
de-duplication, profiles."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.errors import ConfigError, DriverError, TransportError
from drivers.scan import (
    CameraScanner,
    Decoded,
    Deduplicator,
    Gs1DigitalLink,
    Gs1ElementString,
    LineFramer,
    LineTooLong,
    ProductCode,
    ScanLine,
    ScanPipeline,
    SerialLineSource,
    SerialScanner,
    Symbology,
    Unknown,
    build_scanner,
    default_chain,
    load_profiles,
    open_camera,
    parse_profile,
)
from drivers.scan.capture import OpenCvCapture, frames
from tests.support.paths import REPO


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_framer_handles_crlf_cr_lf_and_split_chunks() -> None:
    framer = LineFramer()
    assert framer.feed(b"4006381333931\r") == [ScanLine("4006381333931")]
    assert framer.feed(b"\n") == []  # the LF of CR LF is not an empty line
    assert framer.feed(b"]C1010950600013435") == []
    assert framer.pending == 18
    assert framer.feed(b"2\x1d10AB\n\n") == [ScanLine("]C10109506000134352\x1d10AB")]


def test_framer_tab_terminator_and_overlong_lines() -> None:
    framer = LineFramer(b"\t", max_line=8)
    assert framer.feed(b"A1\tB2\t") == [ScanLine("A1"), ScanLine("B2")]
    assert framer.feed(b"0123456789ABC\tok\t") == [LineTooLong(13), ScanLine("ok")]


@given(st.lists(st.text(alphabet="0123456789ABC\x1d-", min_size=1, max_size=30), max_size=8), st.data())
def test_framer_any_chunking_yields_the_same_lines(lines: list[str], data: st.DataObject) -> None:
    stream = b"".join(line.encode() + b"\r\n" for line in lines)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=10)))
    framer = LineFramer()
    out = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        out.extend(framer.feed(stream[start:end]))
    assert out == [ScanLine(line) for line in lines]


def test_dedup_window_slides_while_code_stays_in_view() -> None:
    dedup = Deduplicator(window_s=2.0)
    assert dedup.accept("A", 0.0)
    assert not dedup.accept("A", 1.5)
    assert not dedup.accept("A", 3.0)  # seen at 1.5: still within 2 s
    assert dedup.accept("B", 3.1)
    assert dedup.accept("A", 5.5)  # gone for 2.5 s: a new scan
    small = Deduplicator(window_s=10.0, max_keys=3)
    for i, key in enumerate("ABCDE"):
        assert small.accept(key, float(i))
    assert len(small._last_seen) <= 3


def test_serial_simulator_scans_become_classified_events() -> None:
    clock = Clock()
    url = (
        "simscanner://?code=4006381333931&code=%5DC10109506000134352%1D10AB&code=4006381333931&terminator=cr"
    )
    source = SerialLineSource(url, clock=clock)
    scanner = SerialScanner(source, ScanPipeline("hh-1", dedup_window_s=1.0), clock=clock)
    events = []
    for _ in range(5):
        events.extend(scanner.poll())
    assert [e.payload for e in events] == [
        ProductCode("04006381333931"),
        Gs1ElementString({"01": "09506000134352", "10": "AB"}, "09506000134352"),
    ]  # the repeated EAN within the window is one scan
    assert source.connected and scanner.last_error is None
    clock.now += 5
    source.write(b"4006381333931\rnot-a-code\r")
    later = scanner.poll() + scanner.poll()
    assert [e.payload.kind for e in later] == ["gtin", "unknown"]
    assert all(e.device_id == "hh-1" and e.at == clock.now for e in later)
    scanner.close()


def test_serial_missing_port_reports_and_backs_off() -> None:
    clock = Clock()
    source = SerialLineSource("/dev/vitrine-no-such-port", clock=clock, backoff_s=(1.0, 4.0))
    with pytest.raises(TransportError, match="cannot open"):
        source.open()
    assert source.poll() == [] and not source.connected
    assert source.last_error and "vitrine-no-such-port" in source.last_error
    first_retry = source._retry_at
    clock.now = first_retry
    source.poll()
    assert source._retry_at - clock.now == pytest.approx(2.0)  # exponential backoff


def test_serial_simulator_rejects_bad_options() -> None:
    with pytest.raises(TransportError, match="terminator"):
        SerialLineSource("simscanner://?code=1&terminator=bell").open()


def test_camera_code_simulator_through_the_default_chain() -> None:
    clock = Clock()
    source = open_camera(
        "sim-codes://?format=QRCode&code=https%3A%2F%2Fid.gs1.org%2F01%2F09506000134352%3F17%3D271231"
        "&size=640x480&blank=2&loop=1"
    )
    scanner = CameraScanner(source, ScanPipeline("kiosk-cam", decoder=default_chain()), clock=clock)
    events = []
    for _ in range(6):  # two loops of code, blank, blank
        events.extend(scanner.poll())
        clock.now += 0.1
    assert len(events) == 1
    payload = events[0].payload
    assert isinstance(payload, Gs1DigitalLink) and payload.elements["17"] == "271231"
    assert events[0].symbology is Symbology.QR
    assert events[0].as_dict()["payload"]["kind"] == "gs1_digital_link"


def test_camera_image_folder_and_video_file(tmp_path: Path) -> None:
    import zxingcpp

    images = tmp_path / "frames"
    images.mkdir()
    code = np.asarray(zxingcpp.create_barcode("96385074", zxingcpp.BarcodeFormat.EAN8).to_image(scale=4))
    frame = np.full((480, 640), 255, np.uint8)
    frame[100 : 100 + code.shape[0], 100 : 100 + code.shape[1]] = code
    cv2.imwrite(str(images / "01.png"), frame)
    cv2.imwrite(str(images / "02.png"), np.full((480, 640), 255, np.uint8))
    chain = default_chain()
    played = list(frames(open_camera(f"sim-images://{images}")))
    assert len(played) == 2
    assert chain.decode(played[0]) == [Decoded(Symbology.EAN8, "96385074")]
    assert chain.decode(played[1]) == []

    video = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 10, (640, 480))
    for _ in range(3):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    capture = open_camera(str(video))
    assert isinstance(capture, OpenCvCapture)
    decoded = [chain.decode(f) for f in frames(capture)]
    capture.close()
    assert len(decoded) == 3 and all(d == [Decoded(Symbology.EAN8, "96385074")] for d in decoded)


def test_lost_camera_stream_is_reopened(tmp_path: Path) -> None:
    video = tmp_path / "stream.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter.fourcc(*"MJPG"), 10, (64, 48))
    writer.write(np.zeros((48, 64, 3), np.uint8))
    writer.release()
    clock = Clock()
    capture = OpenCvCapture(str(video), retry_s=2.0, clock=clock)
    capture._is_file = False  # behave as a live stream: running out of frames = stream lost
    scanner = CameraScanner(capture, ScanPipeline("cam", decoder=default_chain()), clock=clock)
    assert capture.read() is not None
    assert scanner.poll() == [] and scanner.last_error and "no frame" in scanner.last_error
    assert capture.read() is None  # waiting for the retry delay
    clock.now += 2.0
    assert capture.read() is not None  # reopened
    capture.close()


def test_camera_errors_are_driver_errors(tmp_path: Path) -> None:
    with pytest.raises(TransportError):
        open_camera(str(tmp_path / "missing.mp4"))
    with pytest.raises(ConfigError):
        open_camera(f"sim-images://{tmp_path / 'nope'}")
    with pytest.raises(ConfigError, match="cannot render"):
        open_camera("sim-codes://?format=EAN13&code=not-digits")
    with pytest.raises(ConfigError, match="WxH"):
        open_camera("sim-codes://?code=x&size=big")


def test_decoders_return_only_our_types() -> None:
    from drivers.scan.chain import decoder_factories

    frame = np.full((120, 160), 255, np.uint8)
    for name, make in decoder_factories().items():
        assert make().decode(frame) == [], name
        assert make().decode(np.zeros((1, 1), np.uint8)) == [], name


def test_chain_budget_skips_fallbacks_when_time_is_up() -> None:
    ticks = iter(float(i) for i in range(1000))
    chain = default_chain(budget_ms=0.5)
    chain._clock = lambda: next(ticks) / 1000  # every clock read advances 1 ms
    result = chain.decode_traced(np.full((100, 100), 255, np.uint8))
    assert result.symbols == [] and result.step is None
    assert result.skipped == len(chain.fallbacks)
    unbounded = default_chain(budget_ms=None).decode_traced(np.full((100, 100), 255, np.uint8))
    assert unbounded.skipped == 0


def test_chain_rejects_unknown_steps() -> None:
    from drivers.scan import chain_from_spec

    with pytest.raises(ConfigError, match="unknown decoder"):
        chain_from_spec(["zxing", "magic@identity"])
    with pytest.raises(ConfigError, match="unknown transform"):
        chain_from_spec(["zxing@warp"])


def test_shipped_profiles_start_and_scan() -> None:
    profiles = load_profiles(REPO / "firmware-config" / "scanners")
    assert {p.kind for p in profiles} == {"camera", "serial"}
    for profile in profiles:
        scanner = build_scanner(profile)
        events = []
        for _ in range(15):
            events.extend(scanner.poll())
        scanner.close()
        assert events, profile.id
        assert not any(isinstance(e.payload, Unknown) for e in events), profile.id
        assert "route" in profile.extra


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "camera", "url": "0"}, "'id'"),
        ({"id": "x", "kind": "printer", "url": "0"}, "kind"),
        ({"id": "x", "kind": "camera", "url": "0", "dedup_window_s": -1}, "dedup_window_s"),
        ({"id": "x", "kind": "camera", "url": "0", "decoder": {"chain": "zxing"}}, "chain"),
        ({"id": "x", "kind": "serial", "url": "loop://", "serial": {"baudrate": 0}}, "baudrate"),
    ],
)
def test_profile_validation(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_profile(data)
    assert issubclass(ConfigError, DriverError)
