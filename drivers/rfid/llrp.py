"""LLRP (EPCglobal Low Level Reader Protocol, the Impinj/Zebra network readers' protocol): pure core.

Message ``Ver/Type(2) | Length(4, whole message) | MessageID(4) | parameters``; parameters are TLV
(``Type(2, 10 bits) | Length(2, whole parameter) | value``) or TV (``1TTTTTTT | fixed-size value``).
This core frames messages from a TCP byte stream and decodes what a host needs to read tags:
``RO_ACCESS_REPORT`` → :class:`TagRead` per TagReportData (antenna, peak RSSI, first-seen UTC
timestamp), responses → :class:`CommandResponse` with their LLRPStatus, every other message
(keepalives, reader event notifications…) → :class:`ReaderMessage` with its id and raw body.
Encoders build what a client sends: capabilities request, reader config (keepalive), ROSpec
add/enable/start/stop/disable/delete, keepalive ack, close. Layouts from the LLRP 1.0.1 / 1.1
specification (EPCglobal/GS1). :mod:`drivers.rfid.llrp_client` drives a reader with them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import EncodeError, FrameError
from drivers.rfid.events import CommandResponse, FrameRejected, ReaderMessage, RfidEvent, TagRead

HEADER = 10
MAX_MESSAGE = 1 << 20
VERSIONS = (1, 2)


class Msg(IntEnum):
    GET_READER_CAPABILITIES = 1
    GET_READER_CONFIG = 2
    SET_READER_CONFIG = 3
    CLOSE_CONNECTION_RESPONSE = 4
    GET_READER_CAPABILITIES_RESPONSE = 11
    GET_READER_CONFIG_RESPONSE = 12
    SET_READER_CONFIG_RESPONSE = 13
    CLOSE_CONNECTION = 14
    ADD_ROSPEC = 20
    DELETE_ROSPEC = 21
    START_ROSPEC = 22
    STOP_ROSPEC = 23
    ENABLE_ROSPEC = 24
    DISABLE_ROSPEC = 25
    ADD_ROSPEC_RESPONSE = 30
    DELETE_ROSPEC_RESPONSE = 31
    START_ROSPEC_RESPONSE = 32
    STOP_ROSPEC_RESPONSE = 33
    ENABLE_ROSPEC_RESPONSE = 34
    DISABLE_ROSPEC_RESPONSE = 35
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
    GENERAL_DEVICE_CAPABILITIES = 137
    LLRP_CAPABILITIES = 142
    REGULATORY_CAPABILITIES = 143
    UHF_BAND_CAPABILITIES = 144
    TRANSMIT_POWER_LEVEL = 145
    RO_SPEC = 177
    RO_BOUNDARY_SPEC = 178
    RO_SPEC_START_TRIGGER = 179
    RO_SPEC_STOP_TRIGGER = 182
    AI_SPEC = 183
    AI_SPEC_STOP_TRIGGER = 184
    INVENTORY_PARAMETER_SPEC = 186
    KEEPALIVE_SPEC = 220
    ANTENNA_CONFIGURATION = 222
    RF_TRANSMITTER = 224
    RO_REPORT_SPEC = 237
    TAG_REPORT_CONTENT_SELECTOR = 238
    TAG_REPORT_DATA = 240
    EPC_DATA = 241
    READER_EVENT_NOTIFICATION_DATA = 246
    CONNECTION_ATTEMPT_EVENT = 256
    LLRP_STATUS = 287


# TV parameter sizes (value bytes) by type, per the LLRP specification's TV parameter list
TV_SIZES = {
    1: 2, 2: 8, 3: 8, 4: 8, 5: 8, 6: 1, 7: 2, 8: 2, 9: 4, 10: 2, 11: 2, 12: 2, 13: 12, 14: 2, 15: 2, 16: 4,
    17: 2, 18: 4,
}  # fmt: skip
RESPONSE_TYPES = frozenset({4, 11, 12, 13, 30, 31, 32, 33, 34, 35, 36, 50, 51, 52, 53, 54, 64, 100})
# TagReportContentSelector bits (first 10 of its 16-bit field, most significant first)
SELECT_ROSPEC_ID, SELECT_SPEC_INDEX, SELECT_INV_PARAM_SPEC_ID = 1 << 15, 1 << 14, 1 << 13
SELECT_ANTENNA_ID, SELECT_CHANNEL_INDEX, SELECT_PEAK_RSSI = 1 << 12, 1 << 11, 1 << 10
SELECT_FIRST_SEEN, SELECT_LAST_SEEN, SELECT_TAG_SEEN_COUNT = 1 << 9, 1 << 8, 1 << 7


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


_EPC96 = 0x80 | 13
_ANTENNA = 0x80 | 1
_RSSI = 0x80 | 6
_FIRST_SEEN = 0x80 | 2
_SEEN_COUNT = 0x80 | 8


def tag_reads(report_body: bytes) -> list[TagRead]:
    """TagRead per TagReportData of an RO_ACCESS_REPORT body (missing fields: antenna 0, RSSI 0)."""
    reads: list[TagRead] = []
    size = len(report_body)
    pos = 0
    while pos < size:
        if report_body[pos] & 0x80 or pos + 4 > size:
            return _tag_reads_slow(report_body)
        kind = (report_body[pos] << 8 | report_body[pos + 1]) & 0x3FF
        end = pos + (report_body[pos + 2] << 8 | report_body[pos + 3])
        if end > size or end < pos + 4:
            raise FrameError(f"TLV parameter {kind} runs past the message")
        if kind == Param.TAG_REPORT_DATA:
            read = _fast_tag(report_body, pos + 4, end)
            if read is None:
                return _tag_reads_slow(report_body)
            reads.append(read)
        pos = end
    return reads


def _fast_tag(body: bytes, pos: int, end: int) -> TagRead | None:
    """The common TagReportData (EPC-96 then TV fields only) without building parameters; None
    for anything else (the general path decodes it)."""
    if end - pos < 13 or body[pos] != _EPC96:
        return None
    epc = body[pos + 1 : pos + 13].hex().upper()
    pos += 13
    antenna = rssi = seen_us = 0
    count = 1
    while pos < end:
        head = body[pos]
        if head == _ANTENNA and pos + 3 <= end:
            antenna = body[pos + 1] << 8 | body[pos + 2]
            pos += 3
        elif head == _RSSI and pos + 2 <= end:
            rssi = body[pos + 1] - 256 if body[pos + 1] > 127 else body[pos + 1]
            pos += 2
        elif head == _FIRST_SEEN and pos + 9 <= end:
            seen_us = int.from_bytes(body[pos + 1 : pos + 9], "big")
            pos += 9
        elif head == _SEEN_COUNT and pos + 3 <= end:
            count = body[pos + 1] << 8 | body[pos + 2]
            pos += 3
        else:
            return None
    return TagRead(epc, antenna, rssi, 0x3000, 0, count, seen_us)


def _tag_reads_slow(report_body: bytes) -> list[TagRead]:
    reads: list[TagRead] = []
    for param in parse_parameters(report_body):
        if param.type != Param.TAG_REPORT_DATA or param.tv:
            continue
        epc = ""
        antenna = rssi = channel = pc = seen_us = 0
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
            elif field.type == Param.FIRST_SEEN_UTC and field.tv:
                seen_us = int.from_bytes(value, "big")
        if not epc:
            raise FrameError("TagReportData without an EPC")
        reads.append(TagRead(epc, antenna, rssi, pc or (len(epc) // 4) << 11, channel, count, seen_us))
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
            else:  # the body may start with fixed fields (ids, flags): its reader parses it
                out.append(ReaderMessage(kind, int.from_bytes(message[6:10], "big"), body))
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


def delete_rospec(rospec_id: int, message_id: int = 0) -> bytes:
    """``rospec_id`` 0 deletes every ROSpec of the reader."""
    return _rospec(Msg.DELETE_ROSPEC, rospec_id, message_id)


def disable_rospec(rospec_id: int, message_id: int = 0) -> bytes:
    return _rospec(Msg.DISABLE_ROSPEC, rospec_id, message_id)


def set_keepalive(period_ms: int, message_id: int = 0) -> bytes:
    """SET_READER_CONFIG with a periodic KeepaliveSpec (``period_ms`` 0 turns keepalives off)."""
    if not 0 <= period_ms < 1 << 32:
        raise EncodeError("keepalive period must fit 32 bits")
    trigger = b"\x01" + period_ms.to_bytes(4, "big") if period_ms else b"\x00" + bytes(4)
    return encode_message(
        Msg.SET_READER_CONFIG, b"\x00" + encode_tlv(Param.KEEPALIVE_SPEC, trigger), message_id
    )


@dataclass(frozen=True, slots=True)
class RoSpec:
    """What a client asks a reader to do: inventory on ``antennas`` (power as an index of the
    reader's transmit power table, 0 = the reader's default) from ENABLE until DISABLE, reporting
    every ``report_every`` tags with the fields in ``content`` (``SELECT_*`` bits)."""

    rospec_id: int
    antennas: tuple[int, ...]
    power_index: int = 0
    report_every: int = 1
    content: int = SELECT_ANTENNA_ID | SELECT_PEAK_RSSI | SELECT_FIRST_SEEN | SELECT_TAG_SEEN_COUNT


def add_rospec(spec: RoSpec, message_id: int = 0) -> bytes:
    """ADD_ROSPEC: immediate start trigger (the ROSpec runs once enabled), no stop trigger,
    one AISpec over the antennas, Gen2 inventory, a report every ``report_every`` tags."""
    if not spec.antennas or any(not 1 <= a <= 0xFFFF for a in spec.antennas):
        raise EncodeError("an ROSpec needs antenna ids in 1..65535")
    if not 1 <= spec.rospec_id < 1 << 32 or not 0 <= spec.report_every <= 0xFFFF:
        raise EncodeError("ROSpec id must be 1..2^32-1 and report_every 0..65535")
    boundary = encode_tlv(
        Param.RO_BOUNDARY_SPEC,
        encode_tlv(Param.RO_SPEC_START_TRIGGER, b"\x01")
        + encode_tlv(Param.RO_SPEC_STOP_TRIGGER, b"\x00" + bytes(4)),
    )
    antenna_configs = b""
    if spec.power_index:
        for antenna in spec.antennas:
            transmitter = encode_tlv(
                Param.RF_TRANSMITTER, b"\x00\x01\x00\x01" + spec.power_index.to_bytes(2, "big")
            )
            antenna_configs += encode_tlv(
                Param.ANTENNA_CONFIGURATION, antenna.to_bytes(2, "big") + transmitter
            )
    inventory = encode_tlv(Param.INVENTORY_PARAMETER_SPEC, b"\x00\x01\x01" + antenna_configs)  # id 1, Gen2
    ai_spec = encode_tlv(
        Param.AI_SPEC,
        len(spec.antennas).to_bytes(2, "big")
        + b"".join(a.to_bytes(2, "big") for a in spec.antennas)
        + encode_tlv(Param.AI_SPEC_STOP_TRIGGER, b"\x00" + bytes(4))
        + inventory,
    )
    report = encode_tlv(
        Param.RO_REPORT_SPEC,
        b"\x02"  # upon N tags or end of ROSpec
        + spec.report_every.to_bytes(2, "big")
        + encode_tlv(Param.TAG_REPORT_CONTENT_SELECTOR, spec.content.to_bytes(2, "big")),
    )
    rospec = encode_tlv(
        Param.RO_SPEC, spec.rospec_id.to_bytes(4, "big") + b"\x00\x00" + boundary + ai_spec + report
    )
    return encode_message(Msg.ADD_ROSPEC, rospec, message_id)


def parse_rospec(body: bytes) -> RoSpec:
    """The :class:`RoSpec` an ADD_ROSPEC body describes (reader side: the simulator)."""
    (rospec,) = [p for p in parse_parameters(body) if p.type == Param.RO_SPEC]
    value = rospec.value
    spec_id = int.from_bytes(value[:4], "big")
    antennas: tuple[int, ...] = ()
    power = report_every = content = 0
    for param in parse_parameters(value[6:]):
        if param.type == Param.AI_SPEC:
            count = int.from_bytes(param.value[:2], "big")
            antennas = tuple(int.from_bytes(param.value[2 + 2 * i : 4 + 2 * i], "big") for i in range(count))
            for sub in parse_parameters(param.value[2 + 2 * count :]):
                if sub.type == Param.INVENTORY_PARAMETER_SPEC:
                    for config in parse_parameters(sub.value[3:]):
                        for radio in parse_parameters(config.value[2:]):
                            if radio.type == Param.RF_TRANSMITTER:
                                power = int.from_bytes(radio.value[4:6], "big")
        elif param.type == Param.RO_REPORT_SPEC:
            report_every = int.from_bytes(param.value[1:3], "big")
            for sub in parse_parameters(param.value[3:]):
                if sub.type == Param.TAG_REPORT_CONTENT_SELECTOR:
                    content = int.from_bytes(sub.value[:2], "big")
    return RoSpec(spec_id, antennas, power, report_every, content)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What GET_READER_CAPABILITIES says the host needs: antennas, identity, transmit power table
    (index → centi-dBm)."""

    max_antennas: int
    manufacturer: int
    model: int
    firmware: str
    has_utc_clock: bool
    power_table: dict[int, int]

    def power_index(self, dbm: float) -> int:
        """The table index of the highest power not above ``dbm`` (the lowest if all are above)."""
        if not self.power_table:
            raise FrameError("the reader reported no transmit power table")
        wanted = round(dbm * 100)
        fitting = [(c, i) for i, c in self.power_table.items() if c <= wanted]
        if fitting:
            return max(fitting)[1]
        return min((c, i) for i, c in self.power_table.items())[1]


def parse_capabilities(body: bytes) -> Capabilities:
    """A GET_READER_CAPABILITIES_RESPONSE body → :class:`Capabilities` (FrameError if malformed)."""
    general: Parameter | None = None
    power: dict[int, int] = {}
    for param in parse_parameters(body):
        if param.type == Param.GENERAL_DEVICE_CAPABILITIES:
            general = param
        elif param.type == Param.REGULATORY_CAPABILITIES:
            for band in parse_parameters(param.value[4:]):
                if band.type != Param.UHF_BAND_CAPABILITIES:
                    continue
                for entry in parse_parameters(band.value):
                    if entry.type == Param.TRANSMIT_POWER_LEVEL and len(entry.value) >= 4:
                        level = int.from_bytes(entry.value[2:4], "big", signed=True)
                        power[int.from_bytes(entry.value[:2], "big")] = level
    if general is None or len(general.value) < 14:
        raise FrameError("capabilities without GeneralDeviceCapabilities")
    value = general.value
    version_len = int.from_bytes(value[12:14], "big")
    return Capabilities(
        max_antennas=int.from_bytes(value[:2], "big"),
        manufacturer=int.from_bytes(value[4:8], "big"),
        model=int.from_bytes(value[8:12], "big"),
        firmware=value[14 : 14 + version_len].decode("utf-8", "replace"),
        has_utc_clock=bool(value[2] & 0x40),
        power_table=power,
    )
