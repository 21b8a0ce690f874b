"""A simulated LLRP fixed reader (Impinj R700 class) on a loopback TCP port.

:class:`LlrpSimulatedReader` is the pure reader side: client messages in, reader messages out, tag
reads drawn from the same :class:`drivers.rfid.simulator.SimWorld` as the serial simulators (tags on
shelves, cross-reads, moves, exits, restocks) — to offer a busy portal's read rate from Python,
each antenna's reads come from a pool of encoded reads drawn from the world (RSSI noise included)
and redrawn whenever the world changes. It answers GET_READER_CAPABILITIES (antennas, a
10–30 dBm transmit power table), SET_READER_CONFIG (keepalive), ADD/DELETE/ENABLE/DISABLE/START/
STOP_ROSPEC, KEEPALIVE_ACK and CLOSE_CONNECTION, and while an ROSpec is enabled streams
RO_ACCESS_REPORTs with the fields its TagReportContentSelector asks for.

:class:`LlrpSimServer` serves it on ``127.0.0.1`` (one client at a time, like a real reader), and
:data:`SIMULATORS` starts one per ``llrp-sim://<name>?<SimSpec options>`` URL on first use, so a
reader profile selects the simulator by URL exactly as ``vitrinesim://`` does for serial readers.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

from drivers.errors import ConfigError, TransportError
from drivers.rfid import llrp
from drivers.rfid.events import ReaderMessage
from drivers.rfid.simulator import BUS, SimSpec, SimWorld
from drivers.rfid.simulator import SCHEME as SIM_SERIAL_SCHEME

SCHEME = "llrp-sim"
IMPINJ_PEN = 25882
MODEL_R700 = 2001052
FIELD_ERROR = 101
UNSUPPORTED_MESSAGE = 109
POOL_SIZE = 509
POOL_STRIDE = 97  # co-prime with POOL_SIZE: consecutive reports walk the whole pool in a scrambled order
POWER_TABLE = {i + 1: 1000 + 25 * i for i in range(81)}
"""Index → centi-dBm, 10.00 to 30.00 dBm in 0.25 dB steps (as an R700 in the FCC region)."""


def spec_from_url(url: str) -> SimSpec:
    """``llrp-sim://<name>?antennas=4&tags=80&rate=2000…`` (the options of ``vitrinesim://``)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != SCHEME or not parts.netloc:
        raise ConfigError(f"not an LLRP simulator URL (expected {SCHEME}://<name>?...): {url!r}")
    return SimSpec.from_url(f"vitrinesim://{parts.netloc}?{parts.query}")


def simulator_spec(url: str) -> SimSpec | None:
    """The world of a simulated reader's URL (``vitrinesim://`` or ``llrp-sim://``); None for hardware."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == SCHEME:
        return spec_from_url(url)
    if scheme == SIM_SERIAL_SCHEME:
        return SimSpec.from_url(url)
    return None


def _status(code: int = 0, text: str = "") -> bytes:
    raw = text.encode()
    return llrp.encode_tlv(
        llrp.Param.LLRP_STATUS, code.to_bytes(2, "big") + len(raw).to_bytes(2, "big") + raw
    )


class LlrpSimulatedReader:
    """Reader side of LLRP; not thread-safe (the server serialises calls)."""

    def __init__(self, spec: SimSpec, start: float, gtins: Sequence[str] = ()) -> None:
        self.spec = spec
        self.world = SimWorld(spec, start, gtins)
        self._parser = llrp.LlrpParser()
        self._out = bytearray()
        self._rospecs: dict[int, llrp.RoSpec] = {}
        self._running: llrp.RoSpec | None = None
        self._keepalive_s = 0.0
        self._next_keepalive = 0.0
        self._last = start
        self._credit = 0.0
        self._next_antenna = 0
        self._ids = 0
        self._pools: dict[int, tuple[object, tuple[int, int], list[bytes]]] = {}
        self._cursor = 0
        self.closed = False
        self.keepalives_sent = 0
        self.keepalives_acked = 0
        self.power_index = 0

    def connect(self, now: float) -> bytes:
        """What a reader says to a new client: ConnectionAttemptEvent success."""
        self._parser = llrp.LlrpParser()
        self.closed = False
        self._last = now
        event = llrp.encode_tlv(llrp.Param.CONNECTION_ATTEMPT_EVENT, b"\x00\x00")
        stamp = llrp.encode_tlv(128, int(now * 1e6).to_bytes(8, "big"))  # UTCTimestamp
        data = llrp.encode_tlv(llrp.Param.READER_EVENT_NOTIFICATION_DATA, stamp + event)
        return self._message(llrp.Msg.READER_EVENT_NOTIFICATION, data)

    def _message(self, kind: int, body: bytes, message_id: int | None = None) -> bytes:
        if message_id is None:
            self._ids += 1
            message_id = self._ids
        return llrp.encode_message(kind, body, message_id)

    def receive(self, data: bytes, now: float) -> None:
        for event in self._parser.feed(data):
            if isinstance(event, ReaderMessage):
                self._command(event, now)

    def _reply(self, kind: int, message_id: int, code: int = 0, extra: bytes = b"", text: str = "") -> None:
        self._out += self._message(kind, _status(code, text) + extra, message_id)

    def _command(self, message: ReaderMessage, now: float) -> None:
        kind, mid, body = message.kind, message.message_id, message.body
        if kind == llrp.Msg.GET_READER_CAPABILITIES:
            self._reply(llrp.Msg.GET_READER_CAPABILITIES_RESPONSE, mid, extra=self._capabilities())
        elif kind == llrp.Msg.SET_READER_CONFIG:
            for param in llrp.parse_parameters(body[1:]):
                if param.type == llrp.Param.KEEPALIVE_SPEC:
                    period_ms = int.from_bytes(param.value[1:5], "big") if param.value[0] == 1 else 0
                    self._keepalive_s = period_ms / 1000
                    self._next_keepalive = now + self._keepalive_s
            self._reply(llrp.Msg.SET_READER_CONFIG_RESPONSE, mid)
        elif kind == llrp.Msg.ADD_ROSPEC:
            spec = llrp.parse_rospec(body)
            bad = [a for a in spec.antennas if not 1 <= a <= self.spec.antennas]
            if bad or spec.rospec_id in self._rospecs:
                reason = f"no antenna {bad}" if bad else f"ROSpec {spec.rospec_id} exists"
                self._reply(llrp.Msg.ADD_ROSPEC_RESPONSE, mid, FIELD_ERROR, text=reason)
                return
            self._rospecs[spec.rospec_id] = spec
            self._reply(llrp.Msg.ADD_ROSPEC_RESPONSE, mid)
        elif kind in (llrp.Msg.ENABLE_ROSPEC, llrp.Msg.START_ROSPEC):
            spec_id = int.from_bytes(body[:4], "big")
            found = self._rospecs.get(spec_id)
            response = (
                llrp.Msg.ENABLE_ROSPEC_RESPONSE
                if kind == llrp.Msg.ENABLE_ROSPEC
                else llrp.Msg.START_ROSPEC_RESPONSE
            )
            if found is None:
                self._reply(response, mid, FIELD_ERROR, text=f"no ROSpec {spec_id}")
                return
            self._running, self._last, self.power_index = found, now, found.power_index
            self._reply(response, mid)
        elif kind in (llrp.Msg.DISABLE_ROSPEC, llrp.Msg.STOP_ROSPEC, llrp.Msg.DELETE_ROSPEC):
            spec_id = int.from_bytes(body[:4], "big")
            if self._running is not None and spec_id in (0, self._running.rospec_id):
                self._running = None
            if kind == llrp.Msg.DELETE_ROSPEC:
                self._rospecs = (
                    {} if spec_id == 0 else {k: v for k, v in self._rospecs.items() if k != spec_id}
                )
            self._reply(kind + 10, mid)  # every *_ROSPEC_RESPONSE is its request's type + 10
        elif kind == llrp.Msg.KEEPALIVE_ACK:
            self.keepalives_acked += 1
        elif kind == llrp.Msg.CLOSE_CONNECTION:
            self._running = None
            self._reply(llrp.Msg.CLOSE_CONNECTION_RESPONSE, mid)
            self.closed = True
        else:
            self._reply(llrp.Msg.ERROR_MESSAGE, mid, UNSUPPORTED_MESSAGE, text=f"message type {kind}")

    def _capabilities(self) -> bytes:
        firmware = b"vitrine-sim-1.0"
        general = llrp.encode_tlv(
            llrp.Param.GENERAL_DEVICE_CAPABILITIES,
            self.spec.antennas.to_bytes(2, "big")
            + b"\x40\x00"  # HasUTCClockCapability
            + IMPINJ_PEN.to_bytes(4, "big")
            + MODEL_R700.to_bytes(4, "big")
            + len(firmware).to_bytes(2, "big")
            + firmware,
        )
        levels = b"".join(
            llrp.encode_tlv(llrp.Param.TRANSMIT_POWER_LEVEL, i.to_bytes(2, "big") + c.to_bytes(2, "big"))
            for i, c in POWER_TABLE.items()
        )
        band = llrp.encode_tlv(llrp.Param.UHF_BAND_CAPABILITIES, levels)
        regulatory = llrp.encode_tlv(llrp.Param.REGULATORY_CAPABILITIES, b"\x03\x48\x00\x01" + band)
        return general + regulatory

    def emit(self, now: float) -> bytes:
        """Bytes the reader has sent by ``now``: due keepalives and tag reports."""
        self.world.advance(now)
        if self._keepalive_s and now >= self._next_keepalive:
            self._next_keepalive = now + self._keepalive_s
            self.keepalives_sent += 1
            self._out += self._message(llrp.Msg.KEEPALIVE, b"")
        running = self._running
        if running is not None and now > self._last:
            self._credit = min(self._credit + (now - self._last) * self.spec.rate, self.spec.rate * 0.5)
            whole = int(self._credit)
            self._credit -= whole
            if whole:
                self._report(running, whole, now)
        self._last = now
        out = bytes(self._out)
        self._out.clear()
        return out

    def _report(self, spec: llrp.RoSpec, count: int, now: float) -> None:
        stamp = b"\x82" + int(now * 1e6).to_bytes(8, "big") if spec.content & llrp.SELECT_FIRST_SEEN else b""
        suffix = stamp + (b"\x88\x00\x01" if spec.content & llrp.SELECT_TAG_SEEN_COUNT else b"")
        antennas = spec.antennas
        per = max(1, count // len(antennas))
        every = spec.report_every or 1 << 16
        pending: list[bytes] = []
        left = count
        while left > 0:
            antenna = antennas[self._next_antenna % len(antennas)]
            self._next_antenna += 1
            pool = self._pool(spec, antenna, len(suffix))
            if pool:
                for _ in range(min(per, left)):
                    self._cursor = (self._cursor + POOL_STRIDE) % len(pool)
                    pending.append(pool[self._cursor] + suffix)
                    if len(pending) >= every:
                        self._out += self._message(llrp.Msg.RO_ACCESS_REPORT, b"".join(pending))
                        pending.clear()
            left -= per
        if pending:
            self._out += self._message(llrp.Msg.RO_ACCESS_REPORT, b"".join(pending))

    def _pool(self, spec: llrp.RoSpec, antenna: int, suffix_len: int) -> list[bytes]:
        """Encoded TagReportData heads (header, EPC, antenna, RSSI) of ``POOL_SIZE`` reads drawn from
        what ``antenna`` sees; redrawn whenever the world changes (a move, an exit, a restock)."""
        seen = self.world.visible(antenna)[0]
        cached = self._pools.get(antenna)
        if cached is not None and cached[0] is seen and cached[1] == (spec.content, suffix_len):
            return cached[2]
        pool = []
        for read in self.world.reads(antenna, POOL_SIZE):
            fields = b"\x8d" + bytes.fromhex(read.epc)
            if spec.content & llrp.SELECT_ANTENNA_ID:
                fields += b"\x81" + antenna.to_bytes(2, "big")
            if spec.content & llrp.SELECT_PEAK_RSSI:
                fields += bytes((0x86, read.rssi & 0xFF))
            pool.append(b"\x00\xf0" + (4 + len(fields) + suffix_len).to_bytes(2, "big") + fields)
        self._pools[antenna] = (seen, (spec.content, suffix_len), pool)
        return pool


class LlrpSimServer:
    """Serves one :class:`LlrpSimulatedReader` on a loopback port from a daemon thread."""

    def __init__(
        self,
        spec: SimSpec,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        gtins: Sequence[str] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.spec = spec
        self._clock = clock
        self.reader = LlrpSimulatedReader(spec, clock(), gtins)
        self._listener = socket.create_server((host, port))
        self._listener.settimeout(0.05)
        self.host, self.port = self._listener.getsockname()[:2]
        self._stop = threading.Event()
        self._drop = threading.Event()
        self._lock = threading.Lock()
        self.connections = 0
        self._thread = threading.Thread(target=self._serve, name=f"llrp-sim-{spec.name}", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"llrp://{self.host}:{self.port}"

    def drop_connection(self) -> None:
        """Cut the current client off (a cable pulled, a reader rebooting); it may reconnect."""
        self._drop.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2.0)
        with contextlib.suppress(OSError):
            self._listener.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _addr = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._drop.clear()
            with conn:
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.connections += 1
                self._session(conn)

    def _session(self, conn: socket.socket) -> None:
        reader = self.reader
        try:
            conn.sendall(reader.connect(self._clock()))
            while not self._stop.is_set() and not self._drop.is_set() and not reader.closed:
                readable, _, _ = select.select([conn], [], [], 0.002)
                if readable:
                    data = conn.recv(65536)
                    if not data:
                        return
                    reader.receive(data, self._clock())
                out = reader.emit(self._clock())
                if out:
                    conn.sendall(out)
        except OSError:
            return


class SimRegistry:
    """``llrp-sim://`` servers by name, started on first use and kept for the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: dict[str, LlrpSimServer] = {}

    def endpoint(self, url: str) -> tuple[str, int]:
        spec = spec_from_url(url)
        with self._lock:
            server = self._servers.get(spec.name)
            if server is None or server.spec != spec:
                if server is not None:
                    server.close()
                try:
                    server = LlrpSimServer(spec, gtins=BUS.labels(spec.name))
                except OSError as err:
                    raise TransportError(f"cannot start the LLRP simulator {spec.name!r}: {err}") from err
                self._servers[spec.name] = server
            return server.host, server.port

    def server(self, name: str) -> LlrpSimServer | None:
        return self._servers.get(name)

    def close(self, name: str) -> None:
        with self._lock:
            server = self._servers.pop(name, None)
        if server is not None:
            server.close()


SIMULATORS = SimRegistry()
"""Every ``llrp-sim://`` reader of this process."""


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m drivers.rfid.llrp_sim 'llrp-sim://name?...' [--port N]``: serve one simulated
    reader on 127.0.0.1 until interrupted; prints ``llrp://127.0.0.1:<port>`` once listening."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("url", help="llrp-sim://<name>?<simulator options>")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free one)")
    args = parser.parse_args(argv)
    server = LlrpSimServer(spec_from_url(args.url), port=args.port)
    sys.stdout.write(server.url + "\n")  # the one line a parent process waits for
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        server.close()


if __name__ == "__main__":
    raise SystemExit(main())
