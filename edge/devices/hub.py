"""The device hub: runs the store's readers and scanners and turns what they see into store facts.

- RFID reads → :class:`drivers.tags.TagProcessor` (live tag states per zone, feed topic ``tags``);
- departures through an exit zone → :class:`drivers.loss_prevention.LossPrevention` → stored alerts;
- cycle-count sessions → ``stock.count`` ops through the node (one transaction per count);
- scans → the kiosk/handheld session the scanner is routed to (topic ``session:<id>``).

Reader and scanner threads call in; one lock guards the tag processor and count sessions. Unplugged
readers are reopened by their own threads (:class:`drivers.rfid.reader.RfidReader`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from drivers import epc as epc_codec
from drivers.counting import CountSession, StockCount
from drivers.errors import DriverError
from drivers.loss_prevention import LossAlert, LossPrevention
from drivers.rfid.events import TagRead
from drivers.rfid.llrp_sim import simulator_spec
from drivers.rfid.profiles import ReaderProfile, RfidSite, load_readers, load_site, parse_site
from drivers.rfid.reader import RfidReader
from drivers.rfid.simulator import BUS
from drivers.scan.model import Symbology
from drivers.scan.payloads import classify
from drivers.scan.pipeline import ScanEvent
from drivers.scan.profiles import ScannerProfile, load_profiles
from drivers.tags import TagDeparted, TagEvent, TagMoved, TagPresent, TagProcessor
from drivers.tokens import Keyring
from edge.devices.alerts import AlertStore, StoredAlert
from edge.devices.pubsub import Topics
from edge.devices.scanners import ScannerWorker
from edge.devices.settings import DeviceSettings
from edge.devices.store_link import (
    NodeSales,
    SkuResolver,
    book_cells,
    catalogue_gtins,
    product_names,
    record_counts,
)
from edge.errors import ConfigError, Conflict, Invalid, NeedsConfirmation, NotFound
from edge.node import EdgeNode
from sync.zones import CountLine, by_product, replace_book

log = logging.getLogger(__name__)

TAGS_TOPIC = "tags"
MAX_COUNT_SESSIONS = 100
ALERTS_TOPIC = "alerts"


# A count that would set more booked products than this to 0 (and over a quarter of those it
# replaces) asks the person counting to confirm: a reader that missed its zones empties the book.
ZEROED_TO_CONFIRM = 10


def _refuse_wholesale_zeroing(replaced: Sequence[CountLine], names: dict[str, str]) -> None:
    products = by_product(replaced)
    booked = [p for p in products if p.book > 0]
    zeroed = [p for p in booked if p.counted == 0]
    if len(zeroed) > ZEROED_TO_CONFIRM and 4 * len(zeroed) > len(booked):
        units = sum(p.book for p in zeroed)
        sample = ", ".join(names.get(p.sku, p.sku) for p in zeroed[:3])
        raise NeedsConfirmation(
            f"This count would set {len(zeroed)} of {len(booked)} booked products to 0 ({units} units on "
            f"the book), e.g. {sample}. Check that every reader covered its zones and the tags are "
            "labelled; keep counting, or finish anyway.",
            reason="confirm_count",
        )


def session_topic(session_id: str) -> str:
    return f"session:{session_id}"


def count_topic(count_id: str) -> str:
    return f"count:{count_id}"


@dataclass
class _Count:
    session: CountSession
    zones: tuple[str, ...]
    reads_at_start: int
    result: dict[str, Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class DeviceHub:
    def __init__(
        self,
        node: EdgeNode,
        settings: DeviceSettings,
        *,
        state_db: Path | None = None,
        keyring: Keyring | None = None,
        clock: Callable[[], float] | None = None,
        await_catalogue_s: float = 0.0,
    ) -> None:
        self.node = node
        # a store bootstrapping from the hub gets its catalogue after start-up: simulated readers
        # wait for it (at most this long) so their stock is labelled with real products
        self._await_catalogue_s = await_catalogue_s
        self._deferred: asyncio.Task[None] | None = None
        self.settings = settings
        clock = clock or node.stock.ctx.wall  # one clock for tag events, sales windows and counts
        self._clock = clock
        self._keyring = keyring
        config = settings.config_dir
        if config is not None and not config.is_dir():
            raise ConfigError(f"device config directory {config} does not exist")
        try:
            self.reader_profiles: list[ReaderProfile] = load_readers(config / "readers") if config else []
            self.site: RfidSite = load_site(config / "rfid.toml") if config else parse_site({})
            scanners_dir = config / "scanners" if config else None
            self.scanner_profiles: list[ScannerProfile] = (
                load_profiles(scanners_dir) if scanners_dir is not None and scanners_dir.is_dir() else []
            )
            for profile in self.reader_profiles:
                simulator_spec(profile.settings.url)  # a bad simulator URL fails here, not later
        except DriverError as err:  # drivers' ConfigError → the edge's, reported at start-up
            raise ConfigError(f"device configuration: {err}") from err
        self.zones = sorted({z for p in self.reader_profiles for z in p.zones.values()})
        self.processor = TagProcessor({p.reader_id: p.zones for p in self.reader_profiles}, self.site.timers)
        self.skus = SkuResolver(node)
        self.loss = LossPrevention(
            self.site.exit_zones, NodeSales(node), self.skus.sku_of, self.site.sale_window_s
        )
        self.alerts = AlertStore(state_db, repeat_s=settings.alert_repeat_s)
        self.topics = Topics()
        self._lock = threading.Lock()
        self._readers = [RfidReader(p.settings, self._on_reads, clock) for p in self.reader_profiles]
        base_dir = config.parent if config is not None else None
        self._scanners = [
            ScannerWorker(
                p,
                self._on_scan,
                keyring=keyring,
                base_dir=base_dir,
                fps=settings.camera_fps,
                clock=clock,
                known_product=self.skus.knows_gtin,  # the store's catalog confirms fallback decodes
            )
            for p in self.scanner_profiles
        ]
        self._counts: dict[str, _Count] = {}
        self._count_ids = itertools.count(1)
        self._ticker: asyncio.Task[None] | None = None
        self.running = False

    # --- lifecycle ----------------------------------------------------------------------------------

    async def start(self) -> None:
        if self.running:
            return
        self.topics.bind(asyncio.get_running_loop())
        labelled = await asyncio.to_thread(self._label_simulated_stock)
        deferred = []
        for reader, profile in zip(self._readers, self.reader_profiles, strict=True):
            if not labelled and self._await_catalogue_s > 0 and simulator_spec(profile.settings.url):
                deferred.append(reader)
            else:
                reader.start()
        if deferred:
            self._deferred = asyncio.create_task(self._start_when_catalogued(deferred), name="sim-readers")
        for scanner in self._scanners:
            scanner.start()
        self._ticker = asyncio.create_task(self._tick_forever(), name="device-hub-ticker")
        self.running = True
        log.info("device hub: %d readers, %d scanners", len(self._readers), len(self._scanners))

    async def _start_when_catalogued(self, readers: Sequence[RfidReader]) -> None:
        started = time.monotonic()
        while time.monotonic() - started < self._await_catalogue_s:
            if await asyncio.to_thread(self._label_simulated_stock):
                break
            await asyncio.sleep(0.25)
        else:
            log.warning(
                "no catalogue after %.0fs: simulated readers start with made-up products",
                time.monotonic() - started,
            )
        for reader in readers:
            reader.start()

    async def stop(self) -> None:
        if self._deferred is not None:
            self._deferred.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._deferred
            self._deferred = None
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        workers: Sequence[RfidReader | ScannerWorker] = [*self._readers, *self._scanners]
        await asyncio.gather(*(asyncio.to_thread(w.stop) for w in workers))
        self.running = False

    @property
    def keyring(self) -> Keyring | None:
        """The token keyring (the web UI signs new loyalty cards with it)."""
        return self._keyring

    def close(self) -> None:
        self.alerts.close()

    def _label_simulated_stock(self) -> bool:
        """Simulated readers carry the catalogue's GTINs, so counts and alerts name real products."""
        gtins = catalogue_gtins(self.node, self.settings.sim_label_skus)
        if not gtins:
            return False
        for profile in self.reader_profiles:
            spec = simulator_spec(profile.settings.url)
            if spec is not None:
                BUS.label_stock(spec.name, gtins)
        return True

    # --- RFID -------------------------------------------------------------------------------------------

    def _on_reads(self, reader_id: str, reads: list[TagRead], now: float) -> None:
        with self._lock:
            events = self.processor.process(reader_id, reads, now)
        self._publish_tag_events(events)

    def _publish_tag_events(self, events: Sequence[TagEvent]) -> None:
        if not events or not self.topics.subscriber_count(TAGS_TOPIC):
            return
        for event in events:
            self.topics.publish(TAGS_TOPIC, "tag", tag_event_dict(event))

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_s)
            try:
                await asyncio.to_thread(self.tick)
            except Exception:  # keep ticking: one bad tick must not stop departures and alerts
                log.exception("device hub tick failed")

    def tick(self) -> list[StoredAlert]:
        """Fire tag timers, raise loss-prevention alerts, publish count progress. Returns new alerts."""
        now = self._clock()
        with self._lock:
            events = self.processor.tick(now)
        self._publish_tag_events(events)
        stored = [a for a in map(self._store_alert, self.loss.check(events)) if a is not None]
        for count_id in list(self._counts):
            if self.topics.subscriber_count(count_topic(count_id)):
                with contextlib.suppress(NotFound):
                    self.topics.publish(count_topic(count_id), "progress", self.count_progress(count_id))
        return stored

    def _store_alert(self, alert: LossAlert) -> StoredAlert | None:
        name = self.skus.name_of(alert.sku) if alert.sku else None
        stored = self.alerts.add(alert, name)
        if stored is None:  # this tag already raised an alert within the window
            return None
        log.warning("loss-prevention alert: %s (%s) left through %s", alert.epc, alert.sku, alert.zone)
        self.topics.publish(ALERTS_TOPIC, "alert", alert_dict(stored))
        return stored

    def tag_states(self, zone: str | None = None) -> dict[str, Any]:
        with self._lock:
            snapshot = self.processor.snapshot()
            zone_counts = self.processor.zone_counts()
        listed = [s for s in snapshot if zone is None or s.zone == zone]
        listed.sort(key=lambda s: (s.zone, s.epc))
        limit = self.settings.max_tags_listed
        tags = []
        for state in listed[:limit]:
            tags.append(
                {
                    "epc": state.epc,
                    "zone": state.zone,
                    "rssi": round(state.rssi, 1),
                    "first_seen": state.first_seen,
                    "last_seen": state.last_seen,
                    "gtin": epc_codec.gtin_of(state.epc),
                    "sku": self.skus.sku_of(state.epc),
                }
            )
        return {
            "zones": {z: zone_counts.get(z, 0) for z in self.zones} | zone_counts,
            "total": len(listed),
            "truncated": len(listed) > limit,
            "tags": tags,
        }

    # --- counts ------------------------------------------------------------------------------------

    def start_count(self, zones: Sequence[str] | None = None) -> dict[str, Any]:
        chosen = tuple(z for z in (zones or ()) if z)
        unknown = sorted(set(chosen) - set(self.zones))
        if unknown:
            raise Invalid(f"unknown zone(s) {unknown}; zones covered by readers: {self.zones}")
        if not chosen:
            chosen = tuple(z for z in self.zones if z not in self.site.exit_zones)
        if not chosen:
            raise Invalid("no reader covers any zone: configure firmware-config/readers first")
        now = self._clock()
        count_id = f"count-{self.node.store_id}-{int(now * 1000)}-{next(self._count_ids)}"
        with self._lock:
            session = CountSession(count_id, now, self.skus.sku_of, chosen)
            self._counts[count_id] = _Count(session, chosen, self.processor.reads)
            while len(self._counts) > MAX_COUNT_SESSIONS:  # forget the oldest (finished first)
                oldest = next((k for k, c in self._counts.items() if c.result is not None), None)
                del self._counts[oldest or next(iter(self._counts))]
        return {"session_id": count_id, "zones": list(chosen), "started_at": now, "state": "open"}

    def _count(self, count_id: str) -> _Count:
        count = self._counts.get(count_id)
        if count is None:
            raise NotFound(f"no count session {count_id!r}")
        return count

    def count_progress(self, count_id: str) -> dict[str, Any]:
        count = self._count(count_id)
        if count.result is not None:
            return {**count.result, "state": "finished"}
        started = count.session.started_at
        with self._lock:
            seen = [s for s in self.processor.snapshot() if s.last_seen >= started and s.zone in count.zones]
            reads = self.processor.reads - count.reads_at_start
        skus = {self.skus.sku_of(s.epc) for s in seen} - {None}
        return {
            "session_id": count_id,
            "state": "open",
            "zones": list(count.zones),
            "tags": len(seen),
            "skus": len(skus),
            "reads": reads,
            "elapsed_s": round(self._clock() - started, 1),
        }

    def finish_count(self, count_id: str, confirm: bool = False) -> dict[str, Any]:
        """Count what was read, record it as ``stock.count`` ops (one transaction), return the lines.
        Unless ``confirm``, a count that would set many booked products to 0 (a reader that missed
        its zones, tags not yet labelled) is refused with ``confirm_count`` and the session stays open."""
        count = self._count(count_id)
        with count.lock:
            if count.result is not None:
                raise Conflict(f"count session {count_id} is already finished")
            now = self._clock()
            with self._lock:
                snapshot = self.processor.snapshot()
            preview: StockCount = count.session.preview(now, snapshot)
            counted: dict[tuple[str, str], int] = {}
            for line in preview.lines:
                counted[(line.sku, line.zone)] = counted.get((line.sku, line.zone), 0) + line.quantity
            full_store = set(count.zones) >= {z for z in self.zones if z not in self.site.exit_zones}
            replaced = replace_book(book_cells(self.node), counted, count.zones, full_store=full_store)
            names = product_names(self.node)
            if counted and not confirm:
                _refuse_wholesale_zeroing(replaced, names)
            result: StockCount = count.session.finish(now, snapshot)
            lines = [(x.sku, x.zone, x.counted) for x in replaced]
            op_ids = record_counts(self.node, count_id, lines) if counted else []
            count.result = {
                "session_id": count_id,
                "zones": list(count.zones),
                "full_store": full_store,
                "started_at": result.started_at,
                "finished_at": result.finished_at,
                "lines": [
                    {
                        "sku": x.sku,
                        "name": names.get(x.sku, x.sku),
                        "zone": x.zone,
                        "qty": x.counted,
                        "book": x.book,
                    }
                    for x in replaced
                ],
                "products": [
                    {
                        "sku": p.sku,
                        "name": names.get(p.sku, p.sku),
                        "book": p.book,
                        "counted": p.counted,
                        "differs": p.differs,
                    }
                    for p in by_product(replaced)
                ],
                "unresolved_epcs": list(result.unresolved_epcs),
                "op_ids": op_ids,
            }
        self.topics.publish(count_topic(count_id), "finished", {**count.result, "state": "finished"})
        return {**count.result, "state": "finished"}

    # --- scans -----------------------------------------------------------------------------------------

    def _on_scan(self, profile: ScannerProfile, event: ScanEvent) -> None:
        session = next((s.session_id for s in self._scanners if s.profile is profile), profile.id)
        self.topics.publish(session_topic(session), "scan", scan_dict(event, session))

    def inject_scan(
        self, session_id: str, text: str, device_id: str = "manual", symbology: Symbology | None = None
    ) -> dict[str, Any]:
        """A scan typed or wedged in by hand: classified like any scanner's and routed the same way."""
        now = self._clock()
        payload = classify(text, symbology=symbology, keyring=self._keyring, now=now)
        event = ScanEvent(device_id, now, text, symbology, payload)
        data = scan_dict(event, session_id)
        self.topics.publish(session_topic(session_id), "scan", data)
        return data

    # --- health --------------------------------------------------------------------------------------------

    def health(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for reader in self._readers:
            h = reader.health()
            out.append({"device_id": h.reader_id, "kind": "rfid-reader", **asdict(h)})
        for scanner in self._scanners:
            s = scanner.health()
            out.append({**asdict(s), "protocol": None, "url": scanner.profile.url})
        return out


def tag_event_dict(event: TagEvent) -> dict[str, Any]:
    if isinstance(event, TagPresent):
        return {"type": "present", "epc": event.epc, "zone": event.zone, "at": event.at, "rssi": event.rssi}
    if isinstance(event, TagMoved):
        return {
            "type": "moved",
            "epc": event.epc,
            "from_zone": event.from_zone,
            "zone": event.to_zone,
            "at": event.at,
            "rssi": event.rssi,
        }
    assert isinstance(event, TagDeparted)
    return {
        "type": "departed",
        "epc": event.epc,
        "zone": event.zone,
        "at": event.at,
        "last_seen": event.last_seen,
    }


def alert_dict(alert: StoredAlert) -> dict[str, Any]:
    return {**asdict(alert), "at": datetime.fromtimestamp(alert.at, UTC).isoformat(), "at_epoch": alert.at}


def scan_dict(event: ScanEvent, session_id: str) -> dict[str, Any]:
    raw = event.as_dict()
    return {
        **raw["payload"],
        "device_id": event.device_id,
        "session_id": session_id,
        "at": event.at,
        "text": event.text,
        "symbology": raw["symbology"],
    }
