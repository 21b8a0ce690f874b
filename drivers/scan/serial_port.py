"""Serial scanners over pyserial: the transport feeding :class:`~drivers.scan.framing.LineFramer`.

Any pyserial URL works (``/dev/ttyACM0``, ``rfc2217://host:port``, ``loop://``) plus the in-repo
simulator ``simscanner://?code=<text>&code=<text>…`` (see :mod:`drivers.scan.serial_sim`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from drivers.errors import TransportError
from drivers.scan.framing import FramedEvent, LineFramer

SIM_HANDLER_PACKAGE = "drivers.scan.serial_sim"


def register_simulator() -> None:
    """Make pyserial resolve ``simscanner://`` URLs (idempotent)."""
    import serial

    if SIM_HANDLER_PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(SIM_HANDLER_PACKAGE)


class SerialLineSource:
    """Reads a line-terminated serial scanner; reopens the port with exponential backoff after a fault.

    ``poll()`` returns the framed events available now (it blocks at most ``timeout_s``); it never
    raises for a lost port, it reports through :attr:`connected` and :attr:`last_error` and retries
    on later polls once the backoff has elapsed.
    """

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 9600,
        terminators: bytes = b"\r\n",
        timeout_s: float = 0.05,
        backoff_s: tuple[float, float] = (0.1, 5.0),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.baudrate = baudrate
        self.timeout_s = timeout_s
        self.framer = LineFramer(terminators)
        self.last_error: str | None = None
        self._port: Any = None
        self._backoff_min, self._backoff_max = backoff_s
        self._backoff = self._backoff_min
        self._retry_at = 0.0
        self._clock = clock

    @property
    def connected(self) -> bool:
        return self._port is not None

    def open(self) -> None:
        """Open the port now; raises :class:`TransportError` when it cannot."""
        import serial

        register_simulator()
        try:
            self._port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=self.timeout_s)
        except (serial.SerialException, ValueError, OSError) as err:
            raise TransportError(f"cannot open scanner port {self.url}: {err}") from err
        self._backoff = self._backoff_min
        self.last_error = None

    def poll(self) -> list[FramedEvent]:
        if self._port is None and not self._reconnect():
            return []
        import serial

        try:
            waiting = self._port.in_waiting
            data = self._port.read(max(1, waiting))
        except (serial.SerialException, OSError) as err:
            self._fail(f"scanner port {self.url} failed: {err}")
            return []
        return self.framer.feed(data) if data else []

    def write(self, data: bytes) -> None:
        """Send bytes to the scanner (configuration commands, or lines on a ``loop://`` port)."""
        if self._port is None:
            raise TransportError(f"scanner port {self.url} is not open")
        import serial

        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as err:
            self._fail(f"scanner port {self.url} failed: {err}")
            raise TransportError(self.last_error or "write failed") from err

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None

    def _reconnect(self) -> bool:
        now = self._clock()
        if now < self._retry_at:
            return False
        try:
            self.open()
        except TransportError as err:
            self.last_error = str(err)
            self._retry_at = now + self._backoff
            self._backoff = min(self._backoff * 2, self._backoff_max)
            return False
        return True

    def _fail(self, message: str) -> None:
        self.last_error = message
        port, self._port = self._port, None
        import serial

        with contextlib.suppress(serial.SerialException, OSError):  # already broken: best effort
            port.close()
        self._retry_at = self._clock() + self._backoff
