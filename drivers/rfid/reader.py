"""A running reader: transport + protocol session in a thread, reconnecting with backoff.

Serial readers (Mercury, R2000) use a pyserial port; LLRP readers a TCP connection
(``llrp://host:port``, or ``llrp-sim://name?...`` for the library's simulator).

Tag reads are handed to ``on_reads(reader_id, reads, now)`` on the reader's thread, in arrival
order; the callback must be quick and thread-safe. An unplugged reader is re-opened with backoff and
its session restarted, so plugging it back needs nothing from the caller.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from drivers.errors import DriverError, TransportError
from drivers.rfid.events import CommandResponse, FrameRejected, TagRead
from drivers.rfid.sessions import ReaderSettings, make_session
from drivers.rfid.tcp import TcpTransport, llrp_endpoint
from drivers.rfid.transport import Backoff, SerialTransport

log = logging.getLogger(__name__)

ReadsCallback = Callable[[str, list[TagRead], float], None]


@dataclass(frozen=True, slots=True)
class ReaderHealth:
    reader_id: str
    protocol: str
    url: str
    connected: bool
    reads_per_s: float
    total_reads: int
    reconnects: int
    rejected_frames: int
    last_error: str | None
    last_error_at: float | None


class RfidReader:
    def __init__(
        self,
        settings: ReaderSettings,
        on_reads: ReadsCallback,
        clock: Callable[[], float] = time.time,
        backoff: Backoff | None = None,
        read_timeout_s: float = 0.05,
    ) -> None:
        self.settings = settings
        self._on_reads = on_reads
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._transport: SerialTransport | TcpTransport = (
            TcpTransport(settings.url, llrp_endpoint(settings.url), read_timeout_s)
            if settings.protocol == "llrp"
            else SerialTransport(settings.url, settings.baudrate, read_timeout_s)
        )
        self._session = make_session(settings)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._connected = False
        self._total = 0
        self._reconnects = 0
        self._rejected = 0
        self._last_error: str | None = None
        self._last_error_at: float | None = None
        self._window_start = clock()
        self._window_reads = 0
        self._rate = 0.0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"rfid-{self.settings.reader_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)
        self._transport.close()
        self._connected = False

    def health(self) -> ReaderHealth:
        with self._lock:
            now = self._clock()
            rate = self._rate if now - self._window_start < 2.0 else 0.0
            return ReaderHealth(
                self.settings.reader_id,
                self.settings.protocol,
                self.settings.url,
                self._connected,
                round(rate, 1),
                self._total,
                self._reconnects,
                self._rejected,
                self._last_error,
                self._last_error_at,
            )

    # --- the thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._connected and not self._connect():
                self._stop.wait(self._backoff.next_delay())
                continue
            try:
                self._pump()
            except TransportError as err:
                self._fail(err)
                with self._lock:
                    self._connected = False
                    self._reconnects += 1
                self._stop.wait(self._backoff.next_delay())
        if self._connected:
            try:
                for frame in self._session.shutdown():
                    self._transport.write(frame)
            except TransportError as err:
                self._fail(err)

    def _connect(self) -> bool:
        try:
            self._transport.open()
            for frame in self._session.startup():
                self._transport.write(frame)
        except TransportError as err:
            self._transport.close()
            self._fail(err)
            return False
        with self._lock:
            self._connected = True
        self._backoff.reset()
        log.info("reader %s connected on %s", self.settings.reader_id, self.settings.url)
        return True

    def _pump(self) -> None:
        data = self._transport.read()
        now = self._clock()
        events = self._session.parser.feed(data) if data else []
        for frame in self._session.on_events(events, now):
            self._transport.write(frame)
        session_error = getattr(self._session, "error", None)
        if session_error and session_error != self._last_error:
            self._note_error(session_error)
        reads = [e for e in events if type(e) is TagRead]
        for event in events:
            if type(event) is CommandResponse and not event.ok:
                self._note_error(f"command 0x{event.opcode:02X} failed with status 0x{event.status:04X}")
            elif type(event) is FrameRejected:
                self._rejected += 1
        if reads:
            try:
                self._on_reads(self.settings.reader_id, reads, now)
            except Exception as err:  # a consumer bug must not stop the reader
                log.exception("reads consumer failed for reader %s", self.settings.reader_id)
                self._note_error(f"consumer failed: {err!r}")
        self._count(len(reads), now)

    def _count(self, reads: int, now: float) -> None:
        with self._lock:
            self._total += reads
            self._window_reads += reads
            elapsed = now - self._window_start
            if elapsed >= 1.0:
                self._rate = self._window_reads / elapsed
                self._window_reads = 0
                self._window_start = now

    def _fail(self, err: DriverError) -> None:
        log.warning("reader %s: %s", self.settings.reader_id, err)
        self._note_error(str(err))

    def _note_error(self, message: str) -> None:
        with self._lock:
            self._last_error = message
            self._last_error_at = self._clock()
