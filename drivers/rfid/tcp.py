"""TCP transport for network readers (LLRP): bytes in and out of one connection.

The socket stays inside this class; callers see bytes and :class:`drivers.errors.TransportError`
only, exactly like :class:`drivers.rfid.transport.SerialTransport`, so the same reader loop (and its
reconnect-with-backoff) drives both.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable

from drivers.errors import TransportError

Endpoint = Callable[[], tuple[str, int]]


class TcpTransport:
    """``endpoint`` is resolved at each :meth:`open` (a simulator may start or move meanwhile)."""

    def __init__(
        self,
        url: str,
        endpoint: Endpoint,
        read_timeout_s: float = 0.05,
        connect_timeout_s: float = 3.0,
    ) -> None:
        self.url = url
        self._endpoint = endpoint
        self.read_timeout_s = read_timeout_s
        self.connect_timeout_s = connect_timeout_s
        self._sock: socket.socket | None = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def open(self) -> None:
        if self._sock is not None:
            return
        try:
            sock = socket.create_connection(self._endpoint(), timeout=self.connect_timeout_s)
        except OSError as err:
            raise TransportError(f"cannot connect to {self.url}: {err}") from err
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.read_timeout_s)
        self._sock = sock

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()

    def read(self, max_bytes: int = 65536) -> bytes:
        """Up to ``max_bytes``; ``b""`` when nothing arrived within the read timeout."""
        sock = self._require()
        try:
            data = sock.recv(max_bytes)
        except TimeoutError:
            return b""
        except OSError as err:
            self.close()
            raise TransportError(f"read from {self.url} failed: {err}") from err
        if not data:
            self.close()
            raise TransportError(f"{self.url} closed the connection")
        return data

    def write(self, data: bytes) -> None:
        sock = self._require()
        try:
            sock.settimeout(self.connect_timeout_s)
            sock.sendall(data)
            sock.settimeout(self.read_timeout_s)
        except OSError as err:
            self.close()
            raise TransportError(f"write to {self.url} failed: {err}") from err

    def _require(self) -> socket.socket:
        if self._sock is None:
            raise TransportError(f"{self.url} is not open")
        return self._sock


def llrp_endpoint(url: str) -> Endpoint:
    """``llrp://host[:port]`` (port 5084 by default) or ``llrp-sim://name?...`` (the simulator)."""
    from urllib.parse import urlsplit

    from drivers.errors import ConfigError
    from drivers.rfid.llrp_client import DEFAULT_PORT
    from drivers.rfid.llrp_sim import SCHEME as SIM_SCHEME
    from drivers.rfid.llrp_sim import SIMULATORS

    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == SIM_SCHEME:
        return lambda: SIMULATORS.endpoint(url)
    if scheme != "llrp" or not parts.hostname:
        raise ConfigError(f"an LLRP reader URL is llrp://host[:port] or {SIM_SCHEME}://name?..., got {url!r}")
    try:
        port = parts.port or DEFAULT_PORT
    except ValueError as err:
        raise ConfigError(f"bad port in {url!r}") from err
    host = parts.hostname
    return lambda: (host, port)
