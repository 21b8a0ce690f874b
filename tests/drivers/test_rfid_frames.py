"""Every frame of the shared ``serial_frames.csv`` parsed by its protocol core."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from drivers.rfid import chafon, mercury, r200, r2000
from drivers.rfid.events import Command, CommandResponse, InventoryRoundEnd, TagRead
from drivers.rfid.framing import FramedParser

EXPECTED = {
    "A004017400E7": Command(0x74, b"\x00", 0x01),
    "A004017410D7": CommandResponse(0x74, 0x10, b"", True),
    "A004018901D1": Command(0x89, b"\x01", 0x01),
    "A01301898C3000300833B2DDD901400000000137BB": TagRead("300833B2DDD9014000000001", 1, 0x37 - 129, 0x3000),
    "A0130189743000E2004074850A0103163070E13629": TagRead("E2004074850A0103163070E1", 1, 0x36 - 129, 0x3000),
    "A0130189043000E200301666130121155074EF45BF": TagRead("E200301666130121155074EF", 1, 0x45 - 129, 0x3000),
    "A00A018B00001900000001B0": InventoryRoundEnd(1, 0x19, 1),
    "AA000300010004DD": Command(0x03, b"\x00"),
    "AA02220011C9340030751FEB705C5904E3D50D703A76EFDD": TagRead("30751FEB705C5904E3D50D70", 1, -55, 0x3400),
    "AA0027000322271083DD": Command(0x27, b"\x22\x27\x10"),
    "04FF211995": Command(0x21, b"", 0xFF),
    "04FF011BB4": Command(0x01, b"", 0xFF),
    "1100210000160C034E001E0A01000000E651": CommandResponse(
        0x21, 0x00, bytes.fromhex("00160C034E001E0A01000000"), True
    ),
    "13000103010C0000000000000000000003133F39": TagRead("000000000000000000000313", 1, 0, 0x3000),
    "1500010301010C3039606303C74380001A055940F93E": TagRead("3039606303C74380001A0559", 1, 0x40, 0x3000),
    "1500010301010CE28068940000500A9D2298C648257E": TagRead("E28068940000500A9D2298C6", 1, 0x48, 0x3000),
}
BAD_FIXTURE = "1500010301010C0000000000000000000003136BB1A6"


def _parser(protocol: str, direction: str, frame: bytes) -> FramedParser:
    role = "host" if direction == "reader->host" else "reader"
    if protocol == "impinj_r2000_cmd":
        return r2000.R2000Parser(role)
    if protocol == "r200_magicrf":
        return r200.R200Parser()
    if protocol == "chafon_uhfreader18_288":
        return chafon.ChafonParser("18" if frame[0] == 0x13 else "288", role)
    if protocol == "thingmagic_mercury":
        return mercury.MercuryParser(role)
    raise AssertionError(f"no parser for {protocol}")


def _rows(data_dir: Path) -> list[dict[str, str]]:
    with (data_dir / "rfid" / "serial_frames.csv").open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_fixture_frame_decodes_to_its_documented_event(data_dir: Path) -> None:
    rows = _rows(data_dir)
    assert len(rows) == 17
    for row in rows:
        frame_hex = row["frame_hex"].upper()
        frame = bytes.fromhex(frame_hex)
        parser = _parser(row["protocol"], row["direction"], frame)
        events = parser.feed(frame)
        if frame_hex == BAD_FIXTURE:
            assert "MISMATCH" in row["checksum"]
            assert events == [] and parser.rejected >= 1, "the bad-CRC fixture must be rejected"
            continue
        assert events == [EXPECTED[frame_hex]], row["meaning"]
        assert parser.rejected == 0 and parser.buffered == 0


def test_all_fixture_frames_of_one_protocol_as_one_byte_stream(data_dir: Path) -> None:
    frames = [
        bytes.fromhex(row["frame_hex"])
        for row in _rows(data_dir)
        if row["protocol"] == "impinj_r2000_cmd" and row["direction"] == "reader->host"
    ]
    stream = b"\x00\xa0\x13garbage".join(frames)
    parser = r2000.R2000Parser()
    events = [e for i in range(0, len(stream), 3) for e in parser.feed(stream[i : i + 3])]
    decoded = [e for e in events if isinstance(e, TagRead | InventoryRoundEnd | CommandResponse)]
    assert decoded == [EXPECTED[f.hex().upper()] for f in frames]


def test_bad_fixture_between_good_frames_costs_only_itself(data_dir: Path) -> None:
    good = bytes.fromhex("1500010301010CE28068940000500A9D2298C648257E")
    parser = chafon.ChafonParser("288")
    # No start byte: a bogus length inside the bad frame may hold back what follows until enough
    # bytes arrive to disprove it, but nothing after the bad frame is lost.
    events = parser.feed(good + bytes.fromhex(BAD_FIXTURE) + good * 12)
    assert events == [EXPECTED[good.hex().upper()]] * 13


@pytest.mark.parametrize(
    ("encoded", "documented"),
    [
        (mercury.get_version(), "FF00031D0C"),
        (mercury.boot_firmware(), "FF00041D0B"),
        (mercury.read_tag_single(1000), "FF022103E8D509"),
        (mercury.set_region(mercury.Region.EU), "FF0197024BBF"),  # the datasheet's BE is a typo
        (r2000.real_time_inventory(1), "A004018901D1"),
        (r2000.set_work_antenna(1), "A004017400E7"),
        (r200.get_hardware_version(), "AA000300010004DD"),
        (r200.start_inventory(10000), "AA0027000322271083DD"),
        (chafon.get_reader_info(), "04FF211995"),
        (chafon.inventory(), "04FF011BB4"),
    ],
)
def test_encoders_match_documented_frames(encoded: bytes, documented: str) -> None:
    assert encoded.hex().upper() == documented


def test_mercury_datasheet_typo_frame_is_rejected() -> None:
    parser = mercury.MercuryParser("reader")
    events = parser.feed(bytes.fromhex("FF0197024BBE") + bytes.fromhex("FF0197024BBF"))
    assert [type(e).__name__ for e in events] == ["FrameRejected", "Command"]
    assert events[1] == Command(mercury.Opcode.SET_REGION, b"\x02")
