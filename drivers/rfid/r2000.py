"""Impinj R2000 "CMD" serial protocol (the common R2000 reader modules): pure core.

Frame ``A0 | Len | Address | Cmd | Data[..] | Check``; Len counts the bytes after it
(``3 + len(Data)``); Check is :func:`drivers.rfid.checksums.lrc8` over Head..last Data byte.

Inventory (0x89 real-time, 0x8A fast-switch, 0x8B session/target) answers with tag records
``FreqAnt | PC(2) | EPC | RSSI`` (antenna = low 2 bits + 1, channel = high 6 bits, RSSI dBm =
byte - 129), then one round summary ``Ant | ReadRate(2) | TotalRead(4)``; a 1-byte answer is a status
(0x10 = success, anything else is an error code). The module has no continuous mode: the host asks
for round after round, so "stop inventory" means "stop asking".
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Literal

from drivers.errors import EncodeError
from drivers.rfid.checksums import lrc8
from drivers.rfid.events import Command, CommandResponse, InventoryRoundEnd, RfidEvent, TagRead
from drivers.rfid.framing import FramedParser

HEAD = 0xA0
DEFAULT_ADDRESS = 0x01
SUCCESS = 0x10
RSSI_OFFSET = 129


class Cmd(IntEnum):
    RESET = 0x70
    GET_FIRMWARE_VERSION = 0x72
    SET_WORK_ANTENNA = 0x74
    SET_OUTPUT_POWER = 0x76
    SET_FREQUENCY_REGION = 0x78
    REAL_TIME_INVENTORY = 0x89
    FAST_SWITCH_ANT_INVENTORY = 0x8A
    CUSTOMIZED_SESSION_TARGET_INVENTORY = 0x8B


class FrequencyRegion(IntEnum):
    FCC = 0x01
    ETSI = 0x02
    CHN = 0x03


INVENTORY_CMDS = frozenset(
    {Cmd.REAL_TIME_INVENTORY, Cmd.FAST_SWITCH_ANT_INVENTORY, Cmd.CUSTOMIZED_SESSION_TARGET_INVENTORY}
)
_SUMMARY_LEN = 0x0A
_STATUS_LEN = 0x04


class R2000Parser(FramedParser):
    """``role="host"`` decodes reader answers; ``role="reader"`` decodes host commands."""

    head = HEAD

    def __init__(self, role: Literal["host", "reader"] = "host") -> None:
        super().__init__()
        self._host = role == "host"

    def _frame_end(self, buf: bytearray, start: int, size: int) -> int:
        if size - start < 2:
            return -1
        length = buf[start + 1]
        if length < 3:
            return 0
        end = start + 2 + length
        return end if end <= size else -1

    def _accept(self, frame: bytes, out: list[RfidEvent]) -> bool:
        if -sum(frame[:-1]) & 0xFF != frame[-1]:
            return False
        length = frame[1]
        cmd = frame[3]
        if not self._host:
            out.append(Command(cmd, frame[4:-1], frame[2]))
        elif cmd in INVENTORY_CMDS and length > _SUMMARY_LEN:
            freq_ant = frame[4]
            out.append(
                TagRead(
                    frame[7:-2].hex().upper(),
                    (freq_ant & 0x03) + 1,
                    frame[-2] - RSSI_OFFSET,
                    frame[5] << 8 | frame[6],
                    0,
                    1,
                )
            )
        elif cmd in INVENTORY_CMDS and length == _SUMMARY_LEN:
            out.append(
                InventoryRoundEnd(frame[4] + 1, frame[5] << 8 | frame[6], int.from_bytes(frame[7:11], "big"))
            )
        elif length == _STATUS_LEN:
            out.append(CommandResponse(cmd, frame[4], b"", frame[4] == SUCCESS))
        else:
            out.append(CommandResponse(cmd, SUCCESS, frame[4:-1], True))
        return True


# --- encoders -------------------------------------------------------------------------------------


def encode(cmd: int, data: bytes = b"", address: int = DEFAULT_ADDRESS) -> bytes:
    """A complete frame (either direction: the layout is the same)."""
    if len(data) > 252:
        raise EncodeError(f"R2000 data is at most 252 bytes, got {len(data)}")
    body = bytes((HEAD, 3 + len(data), address, cmd)) + data
    return body + bytes((lrc8(body),))


def reset(address: int = DEFAULT_ADDRESS) -> bytes:
    return encode(Cmd.RESET, b"", address)


def set_work_antenna(antenna: int, address: int = DEFAULT_ADDRESS) -> bytes:
    """Select antenna ``antenna`` (1-based; the wire value is 0-based)."""
    _check_range("antenna", antenna, 1, 4)
    return encode(Cmd.SET_WORK_ANTENNA, bytes((antenna - 1,)), address)


def set_output_power(dbm: int, address: int = DEFAULT_ADDRESS) -> bytes:
    _check_range("power (dBm)", dbm, 0, 33)
    return encode(Cmd.SET_OUTPUT_POWER, bytes((dbm,)), address)


def set_frequency_region(
    region: FrequencyRegion, start_channel: int, end_channel: int, address: int = DEFAULT_ADDRESS
) -> bytes:
    _check_range("start channel", start_channel, 0, 59)
    _check_range("end channel", end_channel, start_channel, 59)
    return encode(
        Cmd.SET_FREQUENCY_REGION, bytes((FrequencyRegion(region), start_channel, end_channel)), address
    )


def real_time_inventory(repeat: int = 1, address: int = DEFAULT_ADDRESS) -> bytes:
    """Start one inventory round (repeated ``repeat`` times) on the work antenna."""
    _check_range("repeat", repeat, 1, 255)
    return encode(Cmd.REAL_TIME_INVENTORY, bytes((repeat,)), address)


def start_inventory(antennas: Sequence[int] = (1,), address: int = DEFAULT_ADDRESS) -> list[bytes]:
    """Commands for one round over ``antennas``: select each antenna, then inventory it."""
    frames: list[bytes] = []
    for antenna in antennas:
        frames.append(set_work_antenna(antenna, address))
        frames.append(real_time_inventory(1, address))
    return frames


def encode_tag_read(read: TagRead, channel: int = 0, address: int = DEFAULT_ADDRESS) -> bytes:
    """One reader→host 0x89 tag record (simulator and tests)."""
    freq_ant = (channel & 0x3F) << 2 | ((read.antenna - 1) & 0x03)
    rssi = max(0, min(255, read.rssi + RSSI_OFFSET))
    data = bytes((freq_ant,)) + read.pc.to_bytes(2, "big") + bytes.fromhex(read.epc) + bytes((rssi,))
    return encode(Cmd.REAL_TIME_INVENTORY, data, address)


def encode_round_end(antenna: int, read_rate: int, total_reads: int, address: int = DEFAULT_ADDRESS) -> bytes:
    data = bytes((antenna - 1,)) + read_rate.to_bytes(2, "big") + total_reads.to_bytes(4, "big")
    return encode(Cmd.REAL_TIME_INVENTORY, data, address)


def encode_status(cmd: int, status: int = SUCCESS, address: int = DEFAULT_ADDRESS) -> bytes:
    return encode(cmd, bytes((status,)), address)


def _check_range(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise EncodeError(f"{name} must be in {low}..{high}, got {value}")
