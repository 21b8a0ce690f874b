"""Scanner workers: one thread per scanner profile, polling the scan engineer's scanners.

A scanner that cannot be opened is retried with backoff; serial scanners reconnect by themselves.
Camera scanners are paced to ``fps`` so a simulated camera does not spin a core.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from drivers.errors import DriverError
from drivers.rfid.transport import Backoff
from drivers.scan.pipeline import ScanEvent
from drivers.scan.profiles import ScannerProfile, build_scanner
from drivers.scan.scanners import CameraScanner, SerialScanner
from drivers.tokens import Keyring

log = logging.getLogger(__name__)

ScanCallback = Callable[[ScannerProfile, ScanEvent], None]


def session_of(profile: ScannerProfile) -> str:
    """The kiosk/handheld session a scanner feeds: ``route = "kiosk:kiosk-1"`` → ``kiosk-1``."""
    route = profile.extra.get("route")
    if isinstance(route, str) and route:
        return route.split(":", 1)[-1]
    return profile.id


@dataclass(frozen=True, slots=True)
class ScannerHealth:
    device_id: str
    kind: str
    session_id: str
    connected: bool
    reads_per_s: float
    total_reads: int
    last_error: str | None


class ScannerWorker:
    def __init__(
        self,
        profile: ScannerProfile,
        on_scan: ScanCallback,
        *,
        keyring: Keyring | None = None,
        base_dir: Path | None = None,
        fps: float = 10.0,
        clock: Callable[[], float] = time.time,
        known_product: Callable[[str], bool] | None = None,
    ) -> None:
        self.profile = profile
        self._known_product = known_product
        self.session_id = session_of(profile)
        self._on_scan = on_scan
        self._keyring = keyring
        self._base_dir = base_dir
        self._period = 1.0 / fps
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._scanner: CameraScanner | SerialScanner | None = None
        self._error: str | None = None
        self._total = 0
        self._started = clock()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"scan-{self.profile.id}", daemon=True)
            self._thread.start()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_s)

    def health(self) -> ScannerHealth:
        scanner = self._scanner
        error = (scanner.last_error if scanner is not None else None) or self._error
        elapsed = max(1e-9, self._clock() - self._started)
        return ScannerHealth(
            self.profile.id,
            f"scanner-{self.profile.kind}",
            self.session_id,
            scanner is not None and scanner.last_error is None,
            round(self._total / elapsed, 2),
            self._total,
            error,
        )

    def _run(self) -> None:
        backoff = Backoff(initial=0.2, maximum=5.0)
        while not self._stop.is_set():
            if self._scanner is None:
                try:
                    self._scanner = build_scanner(
                        self.profile,
                        keyring=self._keyring,
                        base_dir=self._base_dir,
                        known_product=self._known_product,
                    )
                    self._error = None
                    backoff.reset()
                except DriverError as err:
                    self._error = str(err)
                    log.warning("scanner %s: %s", self.profile.id, err)
                    self._stop.wait(backoff.next_delay())
                    continue
            started = time.monotonic()
            try:
                events = self._scanner.poll()
            except DriverError as err:
                self._error = str(err)
                events = []
            for event in events:
                self._total += 1
                try:
                    self._on_scan(self.profile, event)
                except Exception:  # a consumer bug must not stop the scanner
                    log.exception("scan consumer failed for %s", self.profile.id)
            if isinstance(self._scanner, CameraScanner):
                if self._scanner.exhausted:
                    break
                self._stop.wait(max(0.0, self._period - (time.monotonic() - started)))
        scanner, self._scanner = self._scanner, None
        if scanner is not None:
            try:
                scanner.close()
            except DriverError as err:
                log.warning("scanner %s close: %s", self.profile.id, err)
