"""Scanners as the device hub runs them: a transport feeding a :class:`ScanPipeline`."""

from __future__ import annotations

import time
from collections.abc import Callable

from drivers.errors import TransportError
from drivers.scan.capture import FrameSource
from drivers.scan.framing import LineTooLong, ScanLine
from drivers.scan.pipeline import ScanEvent, ScanPipeline
from drivers.scan.serial_port import SerialLineSource


class CameraScanner:
    """Reads one frame per :meth:`poll` and returns the scan events it produced."""

    def __init__(
        self, source: FrameSource, pipeline: ScanPipeline, *, clock: Callable[[], float] = time.time
    ):
        self.source = source
        self.pipeline = pipeline
        self.last_error: str | None = None
        self._clock = clock

    @property
    def exhausted(self) -> bool:
        return self.source.exhausted

    def poll(self) -> list[ScanEvent]:
        try:
            frame = self.source.read()
        except TransportError as err:
            self.last_error = str(err)
            return []
        if frame is None:
            return []
        return self.pipeline.on_frame(frame, self._clock())

    def close(self) -> None:
        self.source.close()


class SerialScanner:
    """A line-terminated serial scanner; each :meth:`poll` returns the scan events read so far."""

    def __init__(
        self, source: SerialLineSource, pipeline: ScanPipeline, *, clock: Callable[[], float] = time.time
    ):
        self.source = source
        self.pipeline = pipeline
        self.overlong_lines = 0
        self._clock = clock

    @property
    def last_error(self) -> str | None:
        return self.source.last_error

    def poll(self) -> list[ScanEvent]:
        events: list[ScanEvent] = []
        for framed in self.source.poll():
            if isinstance(framed, ScanLine):
                events.extend(self.pipeline.on_text(framed.text, self._clock()))
            elif isinstance(framed, LineTooLong):
                self.overlong_lines += 1
        return events

    def close(self) -> None:
        self.source.close()
