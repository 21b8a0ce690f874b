"""Chafon UHFReader18 / UHFReader288 protocol (CF-RU5102, CF-MU80x modules): pure core.

Command ``Len | Adr | Cmd | Data | CRC_lo | CRC_hi``; response ``Len | Adr | reCmd | Status | Data |
CRC_lo | CRC_hi``; Len counts the bytes after it; CRC-16/MCRF4XX over Len..Data, LSB first.
There is no start byte, so every offset is a candidate and bad candidates are only counted
(:attr:`FramedParser.rejected`). Inventory (0x01) answers list tags: UHFReader18 ``Num | (Len EPC)*``,
UHFReader288 ``Ant | Num | (Len EPC RSSI)*``. Chafon RSSI is the reader's raw positive scale (not dBm)
and is passed through as is; UHFReader18 reports none (0). The PC word is not sent: it is derived
from the EPC length.
"""

from __future__ import annotations

from typing import Literal

from drivers.errors import EncodeError
from drivers.rfid.checksums import crc16_mcrf4xx
from drivers.rfid.events import Command, CommandResponse, FrameRejected, RfidEvent, TagRead
from drivers.rfid.framing import FramedParser

BROADCAST = 0xFF
INVENTORY = 0x01
GET_READER_INFO = 0x21
INVENTORY_STATUSES = frozenset({0x01, 0x02, 0x03, 0x04})


class ChafonParser(FramedParser):
    """``variant`` selects the inventory layout; ``role`` which direction is parsed."""

    head = None

    def __init__(self, variant: Literal["18", "288"] = "288", role: Literal["host", "reader"] = "host"):
        super().__init__()
        self._variant = variant
        self._host = role == "host"

    def _frame_end(self, buf: bytearray, start: int, size: int) -> int:
        length = buf[start]
        if length < (5 if self._host else 4):
            return 0
        end = start + 1 + length
        return end if end <= size else -1

    def _accept(self, frame: bytes, out: list[RfidEvent]) -> bool:
        if crc16_mcrf4xx(frame[:-2]) != (frame[-1] << 8 | frame[-2]):
            return False
        cmd = frame[2]
        if not self._host:
            out.append(Command(cmd, frame[3:-2], frame[1]))
            return True
        status, data = frame[3], frame[4:-2]
        if cmd == INVENTORY and status in INVENTORY_STATUSES and data:
            try:
                self._decode_inventory(data, out)
            except IndexError:
                out.append(FrameRejected("truncated inventory answer", frame))
            return True
        out.append(CommandResponse(cmd, status, data, status == 0))
        return True

    def _decode_inventory(self, data: bytes, out: list[RfidEvent]) -> None:
        with_rssi = self._variant == "288"
        antenna = 1
        pos = 0
        if with_rssi:
            antenna = max(1, data[0].bit_length())  # antenna bitmask: 0x01 = ant 1, 0x02 = ant 2, ...
            pos = 1
        count = data[pos]
        pos += 1
        for _ in range(count):
            length = data[pos]
            end = pos + 1 + length
            if end + (1 if with_rssi else 0) > len(data):
                raise IndexError("EPC past the end of the frame")
            epc = data[pos + 1 : end].hex().upper()
            rssi = data[end] if with_rssi else 0
            pos = end + (1 if with_rssi else 0)
            out.append(TagRead(epc, antenna, rssi, (length // 2) << 11))


def encode_command(cmd: int, data: bytes = b"", address: int = BROADCAST) -> bytes:
    if len(data) > 250:
        raise EncodeError(f"Chafon data is at most 250 bytes, got {len(data)}")
    body = bytes((4 + len(data), address, cmd)) + data
    return body + crc16_mcrf4xx(body).to_bytes(2, "little")


def inventory(address: int = BROADCAST) -> bytes:
    return encode_command(INVENTORY, b"", address)


def get_reader_info(address: int = BROADCAST) -> bytes:
    return encode_command(GET_READER_INFO, b"", address)
