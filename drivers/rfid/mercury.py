"""ThingMagic / JADAK Mercury serial protocol (M5e, M6e, M6e Nano, M7e): pure core.

Command  ``FF | Len | Opcode | Data[Len] | CRC_hi | CRC_lo``
Response ``FF | Len | Opcode | Status(2) | Data[Len] | CRC_hi | CRC_lo`` (Len excludes Status).
CRC: :func:`drivers.rfid.checksums.mercury_crc` over Len..last Data byte.

Every way the protocol hands over a tag becomes the same :class:`TagRead` (layouts as the public
Mercury API's ``serial_reader_l3.c`` reads them):

* Read Tag Single (0x21), plain (``Timeout(2)`` — the M5e form): ``PC(2) | EPC | TagCRC(2)``;
  with the option byte (``Timeout(2) | Option(1) | MetadataFlags(2)``):
  ``Option(1) | MetadataFlags(2) | metadata | PC(2) | EPC | TagCRC(2)``.
* Read Tag Multiple (0x22) answered synchronously: only how many tags were found —
  ``Count(1)``, ``Option(1) | SearchFlags(2) | Count(1)`` or ``… | Count(4)`` → :class:`TagBufferCount`;
  the tags are then fetched with Get Tag Buffer (0x29):
  ``MetadataFlags(2) | ReadOption(1) | Count(1) | records``.
* Continuous reading (0x22 streamed after a multi-protocol tag op 0x2F):
  ``Option(1) | MetadataFlags(2) | Count(1) | records``.

A record holds the metadata fields selected by the flags, in flag-bit order (read count 1, RSSI 1
signed dBm, antenna 1 = tx<<4|rx, frequency 3 kHz, timestamp 4 ms, phase 2, protocol 1,
data 2+n, GPIO 1), then ``EpcBits(2) | PC(2) | EPC | TagCRC(2)`` where EpcBits counts PC + EPC + CRC.
A Read Tag Single response carries the same metadata but no EpcBits: the EPC runs to the tag CRC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import IntEnum
from functools import lru_cache
from typing import Literal

from drivers.errors import EncodeError
from drivers.rfid.checksums import mercury_crc
from drivers.rfid.events import (
    Command,
    CommandResponse,
    FrameRejected,
    RfidEvent,
    TagBufferCount,
    TagRead,
)
from drivers.rfid.framing import FramedParser

SOH = 0xFF


class Opcode(IntEnum):
    GET_VERSION = 0x03
    BOOT_FIRMWARE = 0x04
    READ_TAG_SINGLE = 0x21
    READ_TAG_MULTIPLE = 0x22
    GET_TAG_BUFFER = 0x29
    CLEAR_TAG_BUFFER = 0x2A
    MULTI_PROTOCOL_TAG_OP = 0x2F
    SET_ANTENNA_PORT = 0x91
    SET_READ_TX_POWER = 0x92
    SET_TAG_PROTOCOL = 0x93
    SET_REGION = 0x97


class Region(IntEnum):
    NA = 0x01
    EU = 0x02
    KR = 0x03
    IN = 0x04
    JP = 0x05
    PRC = 0x06
    EU2 = 0x07
    EU3 = 0x08
    KR2 = 0x09
    AU = 0x0B
    NZ = 0x0C
    NA2 = 0x0D
    OPEN = 0xFF


class Metadata(IntEnum):
    READ_COUNT = 0x0001
    RSSI = 0x0002
    ANTENNA = 0x0004
    FREQUENCY = 0x0008
    TIMESTAMP = 0x0010
    PHASE = 0x0020
    PROTOCOL = 0x0040
    DATA = 0x0080
    GPIO = 0x0100


DEFAULT_METADATA = (
    Metadata.READ_COUNT | Metadata.RSSI | Metadata.ANTENNA | Metadata.FREQUENCY | Metadata.TIMESTAMP
)
STATUS_OK = 0x0000
STATUS_KEEPALIVE = 0x0400
SINGULATION_OPTION_METADATA = 0x10
_STREAMED = int(Opcode.READ_TAG_MULTIPLE)
_FIXED_SIZES = (
    (Metadata.READ_COUNT, 1),
    (Metadata.RSSI, 1),
    (Metadata.ANTENNA, 1),
    (Metadata.FREQUENCY, 3),
    (Metadata.TIMESTAMP, 4),
    (Metadata.PHASE, 2),
    (Metadata.PROTOCOL, 1),
)


@lru_cache(maxsize=64)
def _layout(flags: int) -> tuple[int, int, int, int, int, int, bool, bool]:
    """Offsets (-1 if absent) of read count, RSSI, antenna, frequency, timestamp; fixed size; has
    data; has GPIO."""
    offsets: dict[int, int] = {}
    size = 0
    for flag, width in _FIXED_SIZES:
        if flags & flag:
            offsets[flag] = size
            size += width
    return (
        offsets.get(Metadata.READ_COUNT, -1),
        offsets.get(Metadata.RSSI, -1),
        offsets.get(Metadata.ANTENNA, -1),
        offsets.get(Metadata.FREQUENCY, -1),
        offsets.get(Metadata.TIMESTAMP, -1),
        size,
        bool(flags & Metadata.DATA),
        bool(flags & Metadata.GPIO),
    )


class MercuryParser(FramedParser):
    """Parses the byte stream one side of the link receives.

    ``role="host"``: responses from the reader (tag records → :class:`TagRead`, others →
    :class:`CommandResponse`). ``role="reader"``: commands from the host → :class:`Command`.
    """

    head = SOH

    def __init__(self, role: Literal["host", "reader"] = "host") -> None:
        super().__init__()
        self._host = role == "host"
        self._overhead = 7 if self._host else 5

    def _frame_end(self, buf: bytearray, start: int, size: int) -> int:
        if size - start < 2:
            return -1
        end = start + self._overhead + buf[start + 1]
        return end if end <= size else -1

    def _accept(self, frame: bytes, out: list[RfidEvent]) -> bool:
        if mercury_crc(frame[1:-2]) != (frame[-2] << 8 | frame[-1]):
            return False
        opcode = frame[2]
        if not self._host:
            out.append(Command(opcode, frame[3:-2]))
            return True
        status = frame[3] << 8 | frame[4]
        data = frame[5:-2]
        try:
            if status == STATUS_OK and data:
                if opcode == _STREAMED and len(data) > 7:  # the hot path: continuous reading
                    _tag_records(data, data[1] << 8 | data[2], data[3], 4, out)
                    return True
                if _decode_tags(opcode, data, out):
                    return True
        except IndexError:
            out.append(FrameRejected("truncated tag record", frame))
            return True
        out.append(CommandResponse(opcode, status, data, status == STATUS_OK))
        return True


def _decode_tags(opcode: int, data: bytes, out: list[RfidEvent]) -> bool:
    """Appends the tag events of a successful response; False when it carries none."""
    if opcode == Opcode.READ_TAG_SINGLE:
        out.append(_single_tag(data))
    elif opcode == Opcode.GET_TAG_BUFFER:
        _tag_records(data, data[0] << 8 | data[1], data[3], 4, out)
    elif opcode != Opcode.READ_TAG_MULTIPLE:
        return False
    elif len(data) in (1, 4, 7):  # a synchronous search answers with its tag count only
        count = data[0] if len(data) == 1 else int.from_bytes(data[3:], "big")
        out.append(TagBufferCount(count))
    else:
        _tag_records(data, data[1] << 8 | data[2], data[3], 4, out)
    return True


def _metadata(data: bytes, pos: int, flags: int) -> tuple[int, int, int, int, int, int]:
    """(read count, RSSI, antenna port, frequency kHz, timestamp µs, position after the metadata)."""
    count_at, rssi_at, ant_at, freq_at, time_at, fixed, has_data, has_gpio = _layout(flags)
    rssi = data[pos + rssi_at] if rssi_at >= 0 else 0
    if rssi > 127:
        rssi -= 256
    antenna = data[pos + ant_at] if ant_at >= 0 else 0x11
    freq = int.from_bytes(data[pos + freq_at : pos + freq_at + 3], "big") if freq_at >= 0 else 0
    seen_us = int.from_bytes(data[pos + time_at : pos + time_at + 4], "big") * 1000 if time_at >= 0 else 0
    reads = data[pos + count_at] if count_at >= 0 else 1
    pos += fixed
    if has_data:
        pos += 2 + ((data[pos] << 8 | data[pos + 1]) + 7) // 8
    if has_gpio:
        pos += 1
    if pos > len(data):
        raise IndexError("metadata past the end of the frame")
    return reads, rssi, (antenna >> 4) or antenna, freq, seen_us, pos


def _single_tag(data: bytes) -> TagRead:
    """A Read Tag Single response, plain (``PC | EPC | CRC``) or with option + metadata."""
    if len(data) == 4 + 2 * (data[0] >> 3):  # the PC word's length field matches: the plain form
        return TagRead(data[2:-2].hex().upper(), 1, 0, data[0] << 8 | data[1])
    if not data[0] & SINGULATION_OPTION_METADATA or len(data) < 3:
        raise IndexError("Read Tag Single response is neither PC+EPC+CRC nor option+metadata")
    reads, rssi, antenna, freq, seen_us, pos = _metadata(data, 3, data[1] << 8 | data[2])
    body = data[pos:-2]  # PC + EPC, or the EPC alone when its first word is not a matching PC
    if len(body) >= 2 and len(body) == 2 + 2 * (body[0] >> 3):
        pc, epc = body[0] << 8 | body[1], body[2:]
    else:
        pc, epc = (len(body) // 2) << 11, body
    if len(epc) < 2:
        raise IndexError("Read Tag Single response without an EPC")
    return TagRead(epc.hex().upper(), antenna, rssi, pc, freq, reads, seen_us)


def _tag_records(data: bytes, flags: int, count: int, pos: int, out: list[RfidEvent]) -> None:
    # the hot path of continuous reading: :func:`_metadata` inlined (one call less per record)
    count_at, rssi_at, ant_at, freq_at, time_at, fixed, has_data, has_gpio = _layout(flags)
    for _ in range(count):
        rssi = data[pos + rssi_at] if rssi_at >= 0 else 0
        if rssi > 127:
            rssi -= 256
        antenna = data[pos + ant_at] if ant_at >= 0 else 0x11
        freq = int.from_bytes(data[pos + freq_at : pos + freq_at + 3], "big") if freq_at >= 0 else 0
        seen_us = int.from_bytes(data[pos + time_at : pos + time_at + 4], "big") * 1000 if time_at >= 0 else 0
        reads = data[pos + count_at] if count_at >= 0 else 1
        pos += fixed
        if has_data:
            pos += 2 + ((data[pos] << 8 | data[pos + 1]) + 7) // 8
        if has_gpio:
            pos += 1
        nbytes = (data[pos] << 8 | data[pos + 1]) >> 3
        end = pos + 2 + nbytes
        if end > len(data) or nbytes < 4:
            raise IndexError("tag record past the end of the frame")
        out.append(
            TagRead(
                data[pos + 4 : end - 2].hex().upper(),
                (antenna >> 4) or antenna,
                rssi,
                data[pos + 2] << 8 | data[pos + 3],
                freq,
                reads,
                seen_us,
            )
        )
        pos = end


# --- encoders -------------------------------------------------------------------------------------


def encode_command(opcode: int, data: bytes = b"") -> bytes:
    """A complete host→reader frame."""
    if len(data) > 255:
        raise EncodeError(f"Mercury command data is at most 255 bytes, got {len(data)}")
    body = bytes((len(data), opcode)) + data
    return bytes((SOH,)) + body + mercury_crc(body).to_bytes(2, "big")


def encode_response(opcode: int, status: int = STATUS_OK, data: bytes = b"") -> bytes:
    """A complete reader→host frame (used by the simulator and tests)."""
    if len(data) > 255:
        raise EncodeError(f"Mercury response data is at most 255 bytes, got {len(data)}")
    body = bytes((len(data), opcode)) + status.to_bytes(2, "big") + data
    return bytes((SOH,)) + body + mercury_crc(body).to_bytes(2, "big")


def get_version() -> bytes:
    return encode_command(Opcode.GET_VERSION)


def boot_firmware() -> bytes:
    return encode_command(Opcode.BOOT_FIRMWARE)


def read_tag_single(timeout_ms: int, metadata: int | None = None) -> bytes:
    """Singulate one tag within ``timeout_ms``; with ``metadata`` flags the reply carries them."""
    _check_range("timeout_ms", timeout_ms, 0, 0xFFFF)
    data = timeout_ms.to_bytes(2, "big")
    if metadata is not None:
        _check_range("metadata flags", metadata, 0, 0x01FF)
        data += bytes((SINGULATION_OPTION_METADATA,)) + metadata.to_bytes(2, "big")
    return encode_command(Opcode.READ_TAG_SINGLE, data)


def read_tag_multiple(timeout_ms: int) -> bytes:
    """Search for ``timeout_ms`` into the tag buffer; the reply is a :class:`TagBufferCount`."""
    _check_range("timeout_ms", timeout_ms, 0, 0xFFFF)
    return encode_command(Opcode.READ_TAG_MULTIPLE, b"\x00\x00\x00" + timeout_ms.to_bytes(2, "big"))


def get_tag_buffer(metadata: int = DEFAULT_METADATA) -> bytes:
    """Fetch the buffered tags of the last Read Tag Multiple, each with ``metadata``."""
    _check_range("metadata flags", metadata, 0, 0x01FF)
    return encode_command(Opcode.GET_TAG_BUFFER, metadata.to_bytes(2, "big") + b"\x00")


def clear_tag_buffer() -> bytes:
    return encode_command(Opcode.CLEAR_TAG_BUFFER)


def set_region(region: Region) -> bytes:
    return encode_command(Opcode.SET_REGION, bytes((Region(region),)))


def set_read_power(dbm: float) -> bytes:
    """Read TX power in dBm (0.01 dB resolution; modules accept 0..31.5 dBm)."""
    centi = round(dbm * 100)
    _check_range("power (cdBm)", centi, 0, 3150)
    return encode_command(Opcode.SET_READ_TX_POWER, centi.to_bytes(2, "big"))


def set_antennas(ports: Sequence[int]) -> bytes:
    """Monostatic search list: each port transmits and receives (option 0x02, tx/rx pairs)."""
    if not ports:
        raise EncodeError("at least one antenna port is required")
    for port in ports:
        _check_range("antenna port", port, 1, 15)
    pairs = b"".join(bytes((p, p)) for p in ports)
    return encode_command(Opcode.SET_ANTENNA_PORT, b"\x02" + pairs)


def start_inventory(metadata: int = DEFAULT_METADATA) -> bytes:
    """Continuous Gen2 reading (multi-protocol tag op 0x2F, option 0x01, embedded Read Tag Multiple)."""
    _check_range("metadata flags", metadata, 0, 0x01FF)
    embedded = bytes((Opcode.READ_TAG_MULTIPLE, 0x10)) + metadata.to_bytes(2, "big") + b"\x03\xe8"
    data = b"\x00\x00\x01" + bytes((Opcode.READ_TAG_MULTIPLE,)) + b"\x00\x00\x05"
    data += bytes((len(embedded) + 1,)) + embedded + b"\x01\xff"
    return encode_command(Opcode.MULTI_PROTOCOL_TAG_OP, data)


def stop_inventory() -> bytes:
    return encode_command(Opcode.MULTI_PROTOCOL_TAG_OP, b"\x00\x00\x02")


def is_start_inventory(command: Command) -> bool:
    return command.opcode == Opcode.MULTI_PROTOCOL_TAG_OP and command.data[2:3] == b"\x01"


def is_stop_inventory(command: Command) -> bool:
    return command.opcode == Opcode.MULTI_PROTOCOL_TAG_OP and command.data[2:3] == b"\x02"


def metadata_of_start(command: Command) -> int:
    """The metadata flags a start-inventory command asks for (reader side)."""
    if len(command.data) >= 12:
        return int.from_bytes(command.data[10:12], "big")
    return DEFAULT_METADATA


def encode_tag_records(
    reads: Iterable[TagRead],
    metadata: int = DEFAULT_METADATA,
    opcode: int = Opcode.READ_TAG_MULTIPLE,
) -> bytes:
    """One reader→host frame carrying ``reads`` (at most as many as fit in 255 data bytes): a
    streamed Read Tag Multiple, or (``opcode=GET_TAG_BUFFER``) a Get Tag Buffer answer."""
    records = bytearray()
    count = 0
    for read in reads:
        if metadata & Metadata.READ_COUNT:
            records.append(read.read_count & 0xFF)
        if metadata & Metadata.RSSI:
            records.append(read.rssi & 0xFF)
        if metadata & Metadata.ANTENNA:
            records.append((read.antenna << 4 | read.antenna) & 0xFF)
        if metadata & Metadata.FREQUENCY:
            records += read.frequency_khz.to_bytes(3, "big")
        if metadata & Metadata.TIMESTAMP:
            records += (read.seen_us // 1000 & 0xFFFFFFFF).to_bytes(4, "big")
        if metadata & Metadata.PHASE:
            records += b"\x00\x00"
        if metadata & Metadata.PROTOCOL:
            records.append(0x05)
        if metadata & Metadata.DATA:
            records += b"\x00\x00"
        if metadata & Metadata.GPIO:
            records.append(0)
        epc = bytes.fromhex(read.epc)
        records += ((len(epc) + 4) * 8).to_bytes(2, "big") + read.pc.to_bytes(2, "big") + epc + b"\x00\x00"
        count += 1
    flags = metadata.to_bytes(2, "big")
    head = flags + b"\x00" if opcode == Opcode.GET_TAG_BUFFER else b"\x10" + flags
    return encode_response(opcode, STATUS_OK, head + bytes((count,)) + bytes(records))


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise EncodeError(f"{name} must be in {low}..{high}, got {value}")
