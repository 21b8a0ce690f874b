"""Resynchronising frame scanner shared by the serial RFID protocol cores.

Invariant: bytes are only dropped once they are known not to start a valid frame. A candidate frame
that fails its checksum costs one byte (its first), so frames hidden behind garbage or behind a bogus
length byte are found again on the next scan: the parser never desynchronises for good.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

from drivers.rfid.events import FrameRejected, RfidEvent


class FramedParser(ABC):
    """``feed(bytes) -> list[RfidEvent]``; subclasses say where a frame ends and how to decode it."""

    head: int | None = None
    """Start-of-frame byte, or ``None`` when any byte may start a frame (length-first protocols)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.rejected = 0
        """Candidate frames dropped for a bad checksum (length-first protocols report only this)."""

    @property
    def buffered(self) -> int:
        """Bytes held back waiting for the rest of a frame."""
        return len(self._buf)

    def feed(self, data: bytes | bytearray | memoryview) -> list[RfidEvent]:
        """Parse what ``data`` completes; keep any incomplete tail for the next call."""
        buf = self._buf
        buf += data
        out: list[RfidEvent] = []
        size = len(buf)
        head = self.head
        pos = 0
        while pos < size:
            if head is not None:
                start = buf.find(head, pos)
                if start < 0:
                    pos = size
                    break
            else:
                start = pos
            end = self._frame_end(buf, start, size)
            if end < 0:  # a possible frame not yet complete
                pos = start
                break
            if end == 0:  # cannot be a frame here (impossible length)
                pos = start + 1
                continue
            frame = bytes(buf[start:end])
            if self._accept(frame, out):
                pos = end
            else:
                self.rejected += 1
                if head is not None:
                    out.append(FrameRejected("checksum mismatch", frame))
                pos = start + 1
        del buf[:pos]
        return out

    @abstractmethod
    def _frame_end(self, buf: bytearray, start: int, size: int) -> int:
        """End offset of the frame starting at ``start``; -1 if more bytes are needed; 0 if impossible."""

    @abstractmethod
    def _accept(self, frame: bytes, out: list[RfidEvent]) -> bool:
        """Verify ``frame``'s checksum; if valid append its events to ``out`` and return True."""
