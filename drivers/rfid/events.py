"""Typed events produced by the RFID protocol cores.

Every core's ``feed(bytes)`` returns a list of these. :class:`TagRead` is a ``NamedTuple`` because
it is created once per tag read on the hot path (cheaper than a frozen dataclass, still immutable).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class TagRead(NamedTuple):
    """One singulation of one tag by one antenna.

    ``epc`` is upper-case hex; ``antenna`` is 1-based; ``rssi`` is in dBm (negative for real reads);
    ``pc`` is the Gen2 protocol-control word; ``frequency_khz`` is 0 when the reader does not say;
    ``seen_us`` is the reader's own timestamp of the read in microseconds (LLRP: UTC since the Unix
    epoch; Mercury: since the search started), 0 when the reader does not say.
    """

    epc: str
    antenna: int
    rssi: int
    pc: int
    frequency_khz: int = 0
    read_count: int = 1
    seen_us: int = 0


@dataclass(frozen=True, slots=True)
class TagBufferCount:
    """A synchronous Read Tag Multiple finished: ``count`` tags wait in the reader's tag buffer."""

    count: int


@dataclass(frozen=True, slots=True)
class CommandResponse:
    """A reader's answer to a command that is not a tag record.

    ``status`` is the protocol's own status code (Mercury: 0 = success; R2000: 0x10 = success);
    ``ok`` is that code interpreted by the protocol core.
    """

    opcode: int
    status: int
    data: bytes
    ok: bool


@dataclass(frozen=True, slots=True)
class ReaderMessage:
    """A message the reader sends on its own (LLRP keepalive, reader event notification…)."""

    kind: int
    message_id: int
    body: bytes


@dataclass(frozen=True, slots=True)
class InventoryRoundEnd:
    """End of one inventory round (R2000 summary frame): ``total_reads`` reads in the round."""

    antenna: int
    read_rate: int
    total_reads: int


@dataclass(frozen=True, slots=True)
class Command:
    """A host→reader command as the reader (or the simulator) sees it."""

    opcode: int
    data: bytes
    address: int = 0


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """Bytes that looked like a frame but failed the checksum; the parser resynchronises after them."""

    reason: str
    raw: bytes


RfidEvent = (
    TagRead | TagBufferCount | CommandResponse | ReaderMessage | InventoryRoundEnd | Command | FrameRejected
)
