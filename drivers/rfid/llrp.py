"""LLRP (EPCglobal Low Level Reader Protocol, the Impinj/Zebra network readers' protocol): pure core.

Message ``Ver/Type(2) | Length(4, whole message) | MessageID(4) | parameters``; parameters are TLV
(``Type(2, 10 bits) | Length(2, whole parameter) | value``) or TV (``1TTTTTTT | fixed-size value``).
This core frames messages from a TCP byte stream and decodes what a host needs to read tags:
``RO_ACCESS_REPORT`` → :class:`TagRead` per TagReportData, responses → :class:`CommandResponse`
with their LLRPStatus, keepalives and reader event notifications → :class:`CommandResponse`
(``ok=True``). Other messages are framed and reported with their raw body.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import EncodeError, FrameError
from drivers.rfid.events import CommandResponse, FrameRejected, RfidEvent, TagRead

HEADER = 10
MAX_MESSAGE = 1 << 20
VERSIONS = (1, 2)


class Msg(IntEnum):
    GET_READER_CAPABILITIES = 1
    GET_READER_CONFIG = 2
    CLOSE_CONNECTION_RESPONSE = 4
    GET_READER_CAPABILITIES_RESPONSE = 11
    GET_READER_CONFIG_RESPONSE = 12
    CLOSE_CONNECTION = 14
    START_ROSPEC = 22
    STOP_ROSPEC = 23
    ENABLE_ROSPEC = 24
    START_ROSPEC_RESPONSE = 32
    STOP_ROSPEC_RESPONSE = 33
    ENABLE_ROSPEC_RESPONSE = 34
    GET_ROSPECS_RESPONSE = 36
    GET_ACCESSSPECS_RESPONSE = 54
    RO_ACCESS_REPORT = 61
    KEEPALIVE = 62
    READER_EVENT_NOTIFICATION = 63
    KEEPALIVE_ACK = 72
    ERROR_MESSAGE = 100


class Param(IntEnum):
    ANTENNA_ID = 1
    FIRST_SEEN_UTC = 2
    PEAK_RSSI = 6
    CHANNEL_INDEX = 7
    TAG_SEEN_COUNT = 8
    C1G2_CRC = 11
    C1G2_PC = 12
    EPC_96 = 13
    TAG_REPORT_DATA = 240
    EPC_DATA = 241
    LLRP_STATUS = 287


# TV parameter sizes (value bytes) by type, per the LLRP specification's TV parameter list
TV_SIZES = {
    1: 2, 2: 8, 3: 8, 4: 8, 5: 8, 6: 1, 7: 2, 8: 2, 9: 4, 10: 2, 11: 2, 12: 2, 13: 12, 14: 2, 15: 2, 16: 4,
    17: 2, 18: 4,
}  # fmt: skip
RESPONSE_TYPES = frozenset({4, 11, 12, 13, 30, 31, 32, 33, 34, 35, 36, 50, 51, 52, 53, 54, 64, 100})


@dataclass(frozen=True, slots=True)
class Parameter:
    type: int
    value: bytes
    tv: bool

    def children(self) -> list[Parameter]:
        """Sub-parameters of a TLV whose value is only parameters (raises FrameError otherwise)."""
        return parse_parameters(self.value)


def parse_parameters(body: bytes) -> list[Parameter]:
    """Split ``body`` into consecutive parameters; malformed lengths raise :class:`FrameError`."""
    out: list[Parameter] = []
    pos = 0
    size = len(body)
    while pos < size:
        first = body[pos]
        if first & 0x80:
            kind = first & 0x7F
            width = TV_SIZES.get(kind)
            if width is None or pos + 1 + width > size:
                raise FrameError(f"unknown or truncated TV parameter {kind} at offset {pos}")
            out.append(Parameter(kind, body[pos + 1 : pos + 1 + width], True))
            pos += 1 + width
            continue
        if pos + 4 > size:
            raise FrameError(f"truncated TLV header at offset {pos}")
        kind = (first << 8 | body[pos + 1]) & 0x3FF
        length = body[pos + 2] << 8 | body[pos + 3]
        if length < 4 or pos + length > size:
            raise FrameError(f"TLV parameter {kind} length {length} runs past the message")
        out.append(Parameter(kind, body[pos + 4 : pos + length], False))
        pos += length
    return out


def tag_reads(report_body: bytes) -> list[TagRead]:
    """TagRead per TagReportData of an RO_ACCESS_REPORT body (missing fields: antenna 0, RSSI 0)."""
    reads: list[TagRead] = []
    for param in parse_parameters(report_body):
        if param.type != Param.TAG_REPORT_DATA or param.tv:
            continue
        epc = ""
        antenna = rssi = channel = pc = 0
        count = 1
        for field in param.children():
            value = field.value
            if field.type == Param.EPC_96 and field.tv:
                epc = value.hex().upper()
            elif field.type == Param.EPC_DATA and not field.tv:
                bits = value[0] << 8 | value[1]
                epc = value[2 : 2 + (bits + 7) // 8].hex().upper()
            elif field.type == Param.ANTENNA_ID:
                antenna = value[0] << 8 | value[1]
            elif field.type == Param.PEAK_RSSI:
                rssi = value[0] - 256 if value[0] > 127 else value[0]
            elif field.type == Param.CHANNEL_INDEX:
                channel = value[0] << 8 | value[1]
            elif field.type == Param.TAG_SEEN_COUNT:
                count = value[0] << 8 | value[1]
            elif field.type == Param.C1G2_PC:
                pc = value[0] << 8 | value[1]
        if not epc:
            raise FrameError("TagReportData without an EPC")
        reads.append(TagRead(epc, antenna, rssi, pc or (len(epc) // 4) << 11, channel, count))
    return reads


def llrp_status(body: bytes) -> tuple[int, str]:
    """(status code, error description) of a response's LLRPStatus parameter."""
    for param in parse_parameters(body):
        if param.type == Param.LLRP_STATUS and not param.tv and len(param.value) >= 4:
            code = param.value[0] << 8 | param.value[1]
            text_len = param.value[2] << 8 | param.value[3]
            return code, param.value[4 : 4 + text_len].decode("utf-8", "replace")
    raise FrameError("response without LLRPStatus")


class LlrpParser:
    """``feed(bytes) -> list[RfidEvent]`` over the TCP stream from a reader (the host side)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.rejected = 0

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[RfidEvent]:
        buf = self._buf
        buf += data
        out: list[RfidEvent] = []
        pos = 0
        while len(buf) - pos >= HEADER:
            version = (buf[pos] >> 2) & 0x07
            length = int.from_bytes(buf[pos + 2 : pos + 6], "big")
            if version not in VERSIONS or not HEADER <= length <= MAX_MESSAGE:
                # a TCP stream does not lose bytes: a bad header means a broken peer; skip and rescan
                self.rejected += 1
                out.append(FrameRejected("invalid LLRP header", bytes(buf[pos : pos + HEADER])))
                pos += 1
                continue
            if len(buf) - pos < length:
                break
            message = bytes(buf[pos : pos + length])
            pos += length
            self._decode(message, out)
        del buf[:pos]
        return out

    def _decode(self, message: bytes, out: list[RfidEvent]) -> None:
        kind = (message[0] << 8 | message[1]) & 0x3FF
        body = message[HEADER:]
        try:
            if kind == Msg.RO_ACCESS_REPORT:
                out.extend(tag_reads(body))
            elif kind in RESPONSE_TYPES:
                code, _text = llrp_status(body)
                out.append(CommandResponse(kind, code, body, code == 0))
            else:
                parse_parameters(body)
                out.append(CommandResponse(kind, 0, body, True))
        except (FrameError, IndexError) as err:
            self.rejected += 1
            out.append(FrameRejected(f"malformed LLRP message {kind}: {err}", message))


# --- encoders -------------------------------------------------------------------------------------


def encode_message(kind: int, body: bytes = b"", message_id: int = 0, version: int = 1) -> bytes:
    if not 0 <= kind <= 0x3FF or version not in VERSIONS or not 0 <= message_id < 1 << 32:
        raise EncodeError("LLRP message type must be 0..1023, version 1 or 2, id 32-bit")
    length = HEADER + len(body)
    if length > MAX_MESSAGE:
        raise EncodeError(f"LLRP message too long ({length} bytes)")
    return (
        ((version << 10) | kind).to_bytes(2, "big")
        + length.to_bytes(4, "big")
        + message_id.to_bytes(4, "big")
        + body
    )


def encode_tlv(kind: int, value: bytes) -> bytes:
    return (kind & 0x3FF).to_bytes(2, "big") + (4 + len(value)).to_bytes(2, "big") + value


def encode_tv(kind: int, value: bytes) -> bytes:
    if TV_SIZES.get(kind) != len(value):
        raise EncodeError(f"TV parameter {kind} needs {TV_SIZES.get(kind)} bytes")
    return bytes((0x80 | kind,)) + value


def _rospec(kind: Msg, rospec_id: int, message_id: int) -> bytes:
    return encode_message(kind, rospec_id.to_bytes(4, "big"), message_id)


def enable_rospec(rospec_id: int, message_id: int = 0) -> bytes:
    return _rospec(Msg.ENABLE_ROSPEC, rospec_id, message_id)


def start_rospec(rospec_id: int, message_id: int = 0) -> bytes:
    return _rospec(Msg.START_ROSPEC, rospec_id, message_id)


def stop_rospec(rospec_id: int, message_id: int = 0) -> bytes:
    return _rospec(Msg.STOP_ROSPEC, rospec_id, message_id)


def keepalive_ack(message_id: int = 0) -> bytes:
    return encode_message(Msg.KEEPALIVE_ACK, b"", message_id)


def close_connection(message_id: int = 0) -> bytes:
    return encode_message(Msg.CLOSE_CONNECTION, b"", message_id)


def get_reader_capabilities(message_id: int = 0, requested: int = 0) -> bytes:
    return encode_message(Msg.GET_READER_CAPABILITIES, bytes((requested,)), message_id)
