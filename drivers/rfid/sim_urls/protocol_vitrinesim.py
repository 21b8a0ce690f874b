"""``vitrinesim://<name>?<SimSpec options>``: a pyserial port backed by a simulated reader.

Reads block until the simulated reader has bytes or the timeout passes, like a real port. When the
device is unplugged from :data:`drivers.rfid.simulator.BUS`, I/O raises ``SerialException`` and
re-opening fails until it is plugged back, exactly what a vanished USB serial device does.
"""

from __future__ import annotations

import time
from typing import Any

from serial import PortNotOpenError, SerialBase, SerialException

from drivers.errors import DriverError
from drivers.rfid.simulator import BUS, SimSpec, SimulatedReader

_POLL_S = 0.005


class Serial(SerialBase):
    is_open: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._reader: SimulatedReader | None = None
        self._spec: SimSpec | None = None
        self._pending = bytearray()
        self._epoch_real = 0.0
        self._epoch_sim = 0.0
        super().__init__(*args, **kwargs)

    def _sim_now(self) -> float:
        assert self._spec is not None
        return self._epoch_sim + (time.monotonic() - self._epoch_real) * self._spec.speed

    def open(self) -> None:
        if self._port is None:
            raise SerialException("port must be configured before it can be used")
        if self.is_open:
            raise SerialException("port already open")
        try:
            self._spec = SimSpec.from_url(self.portstr)
            self._epoch_real = time.monotonic()
            existing = BUS.reader(self._spec.name)
            self._epoch_sim = existing.last_time if existing is not None else 0.0
            self._reader = BUS.attach(self._spec, self._epoch_sim)
        except DriverError as err:
            raise SerialException(f"could not open port {self.portstr}: {err}") from err
        self.is_open = True

    def close(self) -> None:
        self.is_open = False
        self._reader = None
        self._pending.clear()

    def _reconfigure_port(self) -> None:
        """Baud rate and framing mean nothing to the simulator."""

    def _check(self) -> SimulatedReader:
        if not self.is_open or self._reader is None or self._spec is None:
            raise PortNotOpenError()
        if not BUS.plugged(self._spec.name):
            raise SerialException(f"device {self._spec.name} disconnected")
        return self._reader

    @property
    def in_waiting(self) -> int:
        reader = self._check()
        self._pending += reader.emit(self._sim_now())
        return len(self._pending)

    def read(self, size: int = 1) -> bytes:
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while True:
            reader = self._check()
            self._pending += reader.emit(self._sim_now())
            if self._pending:
                out = bytes(self._pending[:size])
                del self._pending[:size]
                return out
            if deadline is not None and time.monotonic() >= deadline:
                return b""
            time.sleep(_POLL_S)

    def write(self, data: bytes) -> int:
        reader = self._check()
        payload = bytes(data)
        reader.receive(payload, self._sim_now())
        return len(payload)

    def reset_input_buffer(self) -> None:
        self._check()
        self._pending.clear()

    def reset_output_buffer(self) -> None:
        self._check()
