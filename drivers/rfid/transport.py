"""pyserial transport: bytes in and out of a port (device path or pyserial URL).

The ``serial.Serial`` object stays inside this class; callers see bytes and
:class:`drivers.errors.TransportError` only. :class:`Backoff` spaces reconnect attempts.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field

import serial

from drivers.errors import TransportError
from drivers.rfid import sim_urls


@dataclass(slots=True)
class Backoff:
    """Exponential backoff with jitter: ``initial * factor**n`` capped at ``maximum``."""

    initial: float = 0.1
    factor: float = 2.0
    maximum: float = 5.0
    jitter: float = 0.1
    _attempt: int = field(default=0, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def next_delay(self) -> float:
        base = min(self.maximum, self.initial * self.factor**self._attempt)
        self._attempt += 1
        return base * (1 + self._rng.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        self._attempt = 0

    @property
    def attempts(self) -> int:
        return self._attempt


class SerialTransport:
    """One serial link. ``url`` is a device path (``/dev/ttyUSB0``) or any pyserial URL."""

    def __init__(self, url: str, baudrate: int = 115200, read_timeout_s: float = 0.05) -> None:
        self.url = url
        self.baudrate = baudrate
        self.read_timeout_s = read_timeout_s
        self._port: serial.SerialBase | None = None

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def open(self) -> None:
        if self._port is not None:
            return
        sim_urls.register()
        try:
            self._port = serial.serial_for_url(
                self.url, baudrate=self.baudrate, timeout=self.read_timeout_s, write_timeout=1.0
            )
        except (serial.SerialException, ValueError, OSError) as err:
            raise TransportError(f"cannot open {self.url}: {err}") from err

    def close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(serial.SerialException, OSError):  # a vanished device: nothing to free
                port.close()

    def read(self, max_bytes: int = 4096) -> bytes:
        """Up to ``max_bytes``; ``b""`` when nothing arrived within the read timeout."""
        port = self._require()
        try:
            waiting = port.in_waiting
            return bytes(port.read(min(max_bytes, waiting) if waiting else 1))
        except (serial.SerialException, OSError) as err:
            self.close()
            raise TransportError(f"read from {self.url} failed: {err}") from err

    def write(self, data: bytes) -> None:
        port = self._require()
        try:
            port.write(data)
        except (serial.SerialException, OSError) as err:
            self.close()
            raise TransportError(f"write to {self.url} failed: {err}") from err

    def _require(self) -> serial.SerialBase:
        if self._port is None:
            raise TransportError(f"{self.url} is not open")
        return self._port
