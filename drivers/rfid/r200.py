"""R200 / MagicRF M100-style protocol (R200, YRM100, JRD-100 modules): pure core.

Frame ``AA | Type | Cmd | PL_hi | PL_lo | Params[PL] | Checksum | DD``; Type 0 = command,
1 = response, 2 = notification; Checksum = low byte of the sum Type..last parameter.
A tag notification (Cmd 0x22) carries ``RSSI(1, signed dBm) | PC(2) | EPC | TagCRC(2)``; the tag CRC
is the Gen2 CRC-16 over PC+EPC and is verified.
"""

from __future__ import annotations

from enum import IntEnum

from drivers.errors import EncodeError
from drivers.rfid.checksums import crc16_genibus
from drivers.rfid.events import Command, CommandResponse, FrameRejected, RfidEvent, TagRead
from drivers.rfid.framing import FramedParser

HEADER = 0xAA
END = 0xDD
ERROR_CMD = 0xFF
MAX_PARAMS = 255
"""Longest parameter block accepted; bigger lengths are treated as noise so resync stays quick."""


class FrameType(IntEnum):
    COMMAND = 0x00
    RESPONSE = 0x01
    NOTIFICATION = 0x02


class Cmd(IntEnum):
    GET_MODULE_INFO = 0x03
    SINGLE_POLL = 0x22
    MULTI_POLL = 0x27
    STOP_MULTI_POLL = 0x28
    SET_REGION = 0x07
    SET_TX_POWER = 0xB6


class R200Parser(FramedParser):
    head = HEADER

    def _frame_end(self, buf: bytearray, start: int, size: int) -> int:
        if size - start < 5:
            return -1
        params = buf[start + 3] << 8 | buf[start + 4]
        if params > MAX_PARAMS:
            return 0
        end = start + 7 + params
        return end if end <= size else -1

    def _accept(self, frame: bytes, out: list[RfidEvent]) -> bool:
        if frame[-1] != END or sum(frame[1:-2]) & 0xFF != frame[-2]:
            return False
        kind, cmd, params = frame[1], frame[2], frame[5:-2]
        if kind == FrameType.COMMAND:
            out.append(Command(cmd, params))
        elif cmd == Cmd.SINGLE_POLL and kind == FrameType.NOTIFICATION and len(params) >= 7:
            pc_epc = params[1:-2]
            if crc16_genibus(pc_epc) != int.from_bytes(params[-2:], "big"):
                out.append(FrameRejected("tag CRC mismatch", frame))
                return True
            rssi = params[0] - 256 if params[0] > 127 else params[0]
            out.append(TagRead(pc_epc[2:].hex().upper(), 1, rssi, pc_epc[0] << 8 | pc_epc[1]))
        elif cmd == ERROR_CMD:
            out.append(CommandResponse(cmd, params[0] if params else 0xFF, params, False))
        else:
            out.append(CommandResponse(cmd, 0, params, True))
        return True


def encode(cmd: int, params: bytes = b"", kind: FrameType = FrameType.COMMAND) -> bytes:
    if len(params) > MAX_PARAMS:
        raise EncodeError(f"R200 parameters are at most {MAX_PARAMS} bytes here")
    body = bytes((kind, cmd)) + len(params).to_bytes(2, "big") + params
    return bytes((HEADER,)) + body + bytes((sum(body) & 0xFF, END))


def get_hardware_version() -> bytes:
    return encode(Cmd.GET_MODULE_INFO, b"\x00")


def start_inventory(polls: int = 10000) -> bytes:
    if not 1 <= polls <= 0xFFFF:
        raise EncodeError(f"polls must be in 1..65535, got {polls}")
    return encode(Cmd.MULTI_POLL, b"\x22" + polls.to_bytes(2, "big"))


def stop_inventory() -> bytes:
    return encode(Cmd.STOP_MULTI_POLL)


def set_tx_power(dbm: float) -> bytes:
    centi = round(dbm * 100)
    if not 0 <= centi <= 3000:
        raise EncodeError(f"power must be 0..30 dBm, got {dbm}")
    return encode(Cmd.SET_TX_POWER, centi.to_bytes(2, "big"))


def encode_tag_notification(read: TagRead) -> bytes:
    pc_epc = read.pc.to_bytes(2, "big") + bytes.fromhex(read.epc)
    params = bytes((read.rssi & 0xFF,)) + pc_epc + crc16_genibus(pc_epc).to_bytes(2, "big")
    return encode(Cmd.SINGLE_POLL, params, FrameType.NOTIFICATION)
