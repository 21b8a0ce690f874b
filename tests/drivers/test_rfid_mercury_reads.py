"""Every Mercury tag-read form becomes the same TagRead, on frames laid out byte by byte from the
published layouts (Mercury API serial_reader_l3.c), not from this package's encoders."""

from __future__ import annotations

import pytest

from drivers.rfid import mercury
from drivers.rfid.checksums import mercury_crc
from drivers.rfid.events import CommandResponse, FrameRejected, TagBufferCount, TagRead

EPC = bytes.fromhex("3074257BF7194E4000001A85")
PC = b"\x30\x00"  # 6 EPC words
TAG_CRC = b"\xbe\xef"
# read count 3, RSSI -59 dBm, antenna tx 2 / rx 2, 915.250 MHz, 1000 ms into the search
META_FLAGS = b"\x00\x1f"
META = b"\x03" + bytes((256 - 59,)) + b"\x22" + (915_250).to_bytes(3, "big") + (1000).to_bytes(4, "big")
WITH_METADATA = TagRead(EPC.hex().upper(), 2, -59, 0x3000, 915_250, 3, 1_000_000)


def response(opcode: int, data: bytes, status: bytes = b"\x00\x00") -> bytes:
    """``FF | Len | Opcode | Status(2) | Data | CRC`` with Len counting Data only."""
    body = bytes((len(data), opcode)) + status + data
    return b"\xff" + body + mercury_crc(body).to_bytes(2, "big")


def feed(frame: bytes) -> list[object]:
    parser = mercury.MercuryParser()
    return [e for i in range(0, len(frame), 3) for e in parser.feed(frame[i : i + 3])]


def test_read_tag_single_plain_m5e_form_is_a_tag_read() -> None:
    frame = response(0x21, PC + EPC + TAG_CRC)
    assert mercury.read_tag_single(1000) == bytes.fromhex("FF022103E8D509")
    assert feed(frame) == [TagRead(EPC.hex().upper(), 1, 0, 0x3000)]


def test_read_tag_single_with_option_and_metadata_is_a_tag_read() -> None:
    frame = response(0x21, b"\x10" + META_FLAGS + META + PC + EPC + TAG_CRC)
    assert feed(frame) == [WITH_METADATA]
    command = mercury.MercuryParser("reader").feed(mercury.read_tag_single(500, 0x1F))
    assert [(c.opcode, c.data) for c in command] == [(0x21, b"\x01\xf4\x10\x00\x1f")]  # type: ignore[union-attr]


def test_read_tag_single_metadata_without_pc_word() -> None:
    frame = response(0x21, b"\x10\x00\x02" + bytes((256 - 70,)) + EPC + TAG_CRC)
    assert feed(frame) == [TagRead(EPC.hex().upper(), 1, -70, 0x3000)]


def test_read_tag_multiple_then_get_tag_buffer() -> None:
    assert feed(response(0x22, b"\x02")) == [TagBufferCount(2)]
    assert feed(response(0x22, b"\x10\x00\x00\x02")) == [TagBufferCount(2)]
    assert feed(response(0x22, b"\x10\x00\x00\x00\x00\x01\x02")) == [TagBufferCount(258)]
    other = bytes.fromhex("E28068940000500A9D2298C6")
    record = META + b"\x00\x80" + PC + EPC + TAG_CRC  # EpcBits = (PC + EPC + CRC) * 8 = 128
    other_record = META[:2] + b"\x11" + META[3:] + b"\x00\x80" + PC + other + TAG_CRC
    frame = response(0x29, META_FLAGS + b"\x00" + b"\x02" + record + other_record)
    assert feed(frame) == [WITH_METADATA, WITH_METADATA._replace(epc=other.hex().upper(), antenna=1)]
    assert mercury.get_tag_buffer(0x1F) == mercury.encode_command(0x29, b"\x00\x1f\x00")


def test_continuous_reading_gives_the_same_event() -> None:
    record = META + b"\x00\x80" + PC + EPC + TAG_CRC
    frame = response(0x22, b"\x10" + META_FLAGS + b"\x01" + record)
    assert feed(frame) == [WITH_METADATA]
    assert feed(mercury.encode_tag_records([WITH_METADATA], 0x1F)) == [WITH_METADATA]
    buffered = mercury.encode_tag_records([WITH_METADATA], 0x1F, mercury.Opcode.GET_TAG_BUFFER)
    assert feed(buffered) == [WITH_METADATA]


def test_no_tag_found_and_truncated_responses() -> None:
    assert feed(response(0x21, b"", b"\x04\x00")) == [CommandResponse(0x21, 0x0400, b"", False)]
    (event,) = feed(response(0x29, META_FLAGS + b"\x00\x01" + META + b"\x00\x80" + PC))
    assert isinstance(event, FrameRejected)
    (event,) = feed(response(0x21, b"\x00\x00\x1f"))
    assert isinstance(event, FrameRejected)


@pytest.mark.parametrize("timeout_ms", [-1, 0x10000])
def test_encoders_refuse_out_of_range(timeout_ms: int) -> None:
    with pytest.raises(mercury.EncodeError):
        mercury.read_tag_multiple(timeout_ms)
