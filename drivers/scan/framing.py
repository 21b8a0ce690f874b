"""Line framing for serial (and keyboard-wedge style) scanners: pure, bytes in, lines out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScanLine:
    text: str


@dataclass(frozen=True, slots=True)
class LineTooLong:
    """A line exceeded ``max_line`` bytes; its bytes up to the next terminator were dropped."""

    dropped: int


FramedEvent = ScanLine | LineTooLong


class LineFramer:
    """Splits a byte stream at any of ``terminators`` (default CR, LF; add TAB for scanners set to
    send it). CR LF yields one line, not an empty one; empty lines are never emitted. Text is decoded
    as ``encoding`` with replacement, keeping control characters such as GS (0x1D, GS1 FNC1).
    """

    def __init__(
        self, terminators: bytes = b"\r\n", *, max_line: int = 4096, encoding: str = "utf-8"
    ) -> None:
        if not terminators:
            raise ValueError("at least one terminator byte is needed")
        self._terminators = frozenset(terminators)
        self._max_line = max_line
        self._encoding = encoding
        self._buffer = bytearray()
        self._overflow = 0

    def feed(self, data: bytes) -> list[FramedEvent]:
        events: list[FramedEvent] = []
        for byte in data:
            if byte in self._terminators:
                if self._overflow:
                    events.append(LineTooLong(self._overflow))
                    self._overflow = 0
                elif self._buffer:
                    events.append(ScanLine(self._buffer.decode(self._encoding, errors="replace")))
                self._buffer.clear()
            elif self._overflow:
                self._overflow += 1
            elif len(self._buffer) >= self._max_line:
                self._overflow = len(self._buffer) + 1
                self._buffer.clear()
            else:
                self._buffer.append(byte)
        return events

    @property
    def pending(self) -> int:
        """Bytes of an unterminated line held back."""
        return len(self._buffer) + self._overflow
