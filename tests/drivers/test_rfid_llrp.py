"""LLRP core against the shared LLRP fixtures (message bodies + their decoded JSON)."""

from __future__ import annotations

import base64
import contextlib
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.rfid import llrp
from drivers.rfid.events import CommandResponse, FrameRejected, ReaderMessage, TagRead

RESPONSES = {
    "CloseConnectionResponse": llrp.Msg.CLOSE_CONNECTION_RESPONSE,
    "GetAccessSpecsResponse": llrp.Msg.GET_ACCESSSPECS_RESPONSE,
    "GetROSpecsResponse": llrp.Msg.GET_ROSPECS_RESPONSE,
    "GetReaderCapabilitiesResponse": llrp.Msg.GET_READER_CAPABILITIES_RESPONSE,
    "GetReaderConfigResponse": llrp.Msg.GET_READER_CONFIG_RESPONSE,
}


def _walk(params: list[llrp.Parameter]) -> int:
    """Count parameters, descending into TLVs whose value parses as parameters."""
    total = 0
    for param in params:
        total += 1
        if not param.tv:
            with contextlib.suppress(llrp.FrameError):  # TLVs with scalar fields are leaves here
                total += _walk(param.children())
    return total


def test_every_ro_access_report_fixture(data_dir: Path) -> None:
    folder = data_dir / "rfid" / "llrp" / "roAccessReports"
    bodies = sorted(folder.glob("*.bytes"))
    assert len(bodies) == 9
    stream = b""
    expected: list[TagRead] = []
    for i, path in enumerate(bodies):
        truth = json.loads(path.with_suffix(".json").read_text())["TagReportData"]
        stream += llrp.encode_message(llrp.Msg.RO_ACCESS_REPORT, path.read_bytes(), message_id=i)
        for tag in truth:
            epc = base64.b64decode(tag["EPC96"]["EPC"]).hex().upper()
            seen = tag["FirstSeenUTC"] or 0
            expected.append(TagRead(epc, tag["AntennaID"], tag["PeakRSSI"], 0x3000, seen_us=seen))
    parser = llrp.LlrpParser()
    events = [e for i in range(0, len(stream), 7) for e in parser.feed(stream[i : i + 7])]
    assert events == expected and parser.buffered == 0


def test_response_and_notification_fixtures(data_dir: Path) -> None:
    folder = data_dir / "rfid" / "llrp"
    for name, kind in RESPONSES.items():
        body = (folder / f"{name}-000.bytes").read_bytes()
        status = json.loads((folder / f"{name}-000.json").read_text())["LLRPStatus"]["Status"]
        events = llrp.LlrpParser().feed(llrp.encode_message(kind, body, 5))
        assert events == [CommandResponse(kind, status, body, status == 0)], name
        assert _walk(llrp.parse_parameters(body)) >= 1
    body = (folder / "ReaderEventNotification-000.bytes").read_bytes()
    truth = json.loads((folder / "ReaderEventNotification-000.json").read_text())[
        "ReaderEventNotificationData"
    ]
    (data,) = llrp.parse_parameters(body)
    timestamp, event = data.children()
    assert int.from_bytes(timestamp.value, "big") == truth["UTCTimestamp"]
    assert event.type == 257 and truth["ConnectionCloseEvent"] == {}
    events = llrp.LlrpParser().feed(llrp.encode_message(llrp.Msg.READER_EVENT_NOTIFICATION, body, 3))
    assert events == [ReaderMessage(llrp.Msg.READER_EVENT_NOTIFICATION, 3, body)]


def test_encoders_and_epc_data_variant() -> None:
    assert llrp.keepalive_ack(7).hex() == "0448" + "0000000a" + "00000007"
    assert llrp.start_rospec(1, 2).hex() == "0416" + "0000000e" + "00000002" + "00000001"
    epc = bytes.fromhex("3074257BF7194E4000001A85")
    report = llrp.encode_tlv(
        llrp.Param.TAG_REPORT_DATA,
        llrp.encode_tlv(llrp.Param.EPC_DATA, (96).to_bytes(2, "big") + epc)
        + llrp.encode_tv(llrp.Param.ANTENNA_ID, b"\x00\x03")
        + llrp.encode_tv(llrp.Param.PEAK_RSSI, b"\xc4")
        + llrp.encode_tv(llrp.Param.TAG_SEEN_COUNT, b"\x00\x04"),
    )
    events = llrp.LlrpParser().feed(llrp.encode_message(llrp.Msg.RO_ACCESS_REPORT, report))
    assert events == [TagRead(epc.hex().upper(), 3, -60, 0x3000, 0, 4)]


def test_malformed_messages_are_rejected_and_parsing_continues() -> None:
    bad_body = llrp.encode_message(llrp.Msg.RO_ACCESS_REPORT, b"\x00\xf0\x00\x40")  # TLV past the end
    good = llrp.encode_message(llrp.Msg.KEEPALIVE, b"", 9)
    events = llrp.LlrpParser().feed(b"\xff\xff" + bad_body + good)
    assert [type(e) for e in events] == [FrameRejected, FrameRejected, FrameRejected, ReaderMessage]
    assert events[-1] == ReaderMessage(llrp.Msg.KEEPALIVE, 9, b"")


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.binary(max_size=200), max_size=15))
def test_random_bytes_never_crash_llrp(chunks: list[bytes]) -> None:
    parser = llrp.LlrpParser()
    for chunk in chunks:
        parser.feed(chunk)
