"""The ingest agent: store batches from the shared subscription → apply → ack after commit.

Runs on a :class:`sync.pump.Pump` thread. Payloads that cannot be applied are quarantined:
undecodable or invalid (``malformed``), an origin other than the topic's store, an op whose body
names another store, or an op type a store may not emit (``unauthorised``), an op the projections refuse (``projection``).
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from cloud.ingest.apply import StreamApplier
from cloud.ingest.presence import presence_state
from cloud.ingest.quarantine import Quarantine
from sync.errors import MalformedOp
from sync.receiver import GapThrottle
from sync.status_report import read_report
from sync.topics import StoreTopics, TopicError, store_of
from sync.vocabulary import STORE_OP_TYPES
from sync.wire import Ack, BatchCodec, encode_ack

log = logging.getLogger(__name__)


@dataclass
class IngestStats:
    batches: int = 0
    ops_applied: int = 0
    duplicates: int = 0
    gaps: int = 0
    rewinds: int = 0
    conflicts: int = 0


class IngestAgent:
    def __init__(
        self,
        applier: StreamApplier,
        quarantine: Quarantine,
        publish: Callable[[str, bytes], bool],
        max_queue: int = 64,
        *,
        on_presence: Callable[[str, str], None] | None = None,
        on_status: Callable[[str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.applier = applier
        self.quarantine = quarantine
        self.publish = publish
        self.stats = IngestStats()
        self._codec = BatchCodec()
        self._queue: deque[tuple[str, bytes]] = deque()
        self._room = threading.Semaphore(max_queue)
        self._throttle = GapThrottle()
        self._wake: threading.Event | None = None
        self._hellos: deque[str] = deque(maxlen=10_000)
        self._on_presence = on_presence
        self._presence: deque[tuple[str, str]] = deque(maxlen=10_000)
        self._on_status = on_status
        self._reports: deque[tuple[str, dict[str, Any]]] = deque(maxlen=10_000)

    def attach(self, wake: threading.Event) -> None:
        self._wake = wake

    def on_batch_message(self, topic: str, payload: bytes) -> None:
        if not self._room.acquire(timeout=30):
            log.warning("applier stalled: dropping a batch (the sender will resend it)")
            return
        self._queue.append((topic, payload))
        if self._wake:
            self._wake.set()

    def deadline(self) -> float | None:
        return None

    def on_store_presence(self, topic: str, payload: bytes) -> None:
        """A store came online: tell it at once what the hub holds of its stream, so a replica that
        went back in time (older backup, emptied file) notices before it sells. Every state is
        recorded (``on_presence``, on the pump thread) for the console's fleet view."""
        try:
            store = store_of(topic)
        except TopicError:
            return
        state = presence_state(payload)
        if state is not None and self._on_presence is not None:
            self._presence.append((store, state))
        if state == "online":
            self._hellos.append(store)
        if self._wake:
            self._wake.set()

    def on_store_status(self, topic: str, payload: bytes) -> None:
        """A store's health report (sync.status_report): kept for the fleet view, on the pump thread."""
        try:
            store = store_of(topic)
        except TopicError:
            return
        report = read_report(payload)
        if report is None or self._on_status is None:
            return
        self._reports.append((store, report))
        if self._wake:
            self._wake.set()

    def pump(self, now: float) -> bool:
        did = False
        while self._reports and self._on_status is not None:
            store, report = self._reports.popleft()
            try:
                self._on_status(store, report)
            except SQLAlchemyError as err:  # a fleet-view detail: never stop ingest for it
                log.warning("could not record %s status report: %s", store, err)
            did = True
        while self._presence and self._on_presence is not None:
            store, state = self._presence.popleft()
            try:
                self._on_presence(store, state)
            except SQLAlchemyError as err:  # a fleet-view detail: never stop ingest for it
                log.warning("could not record %s presence %s: %s", store, state, err)
            did = True
        while self._hellos:
            store = self._hellos.popleft()
            hwm, hlc = self.applier.mark(store)
            self.publish(StoreTopics(store).ack_up, encode_ack(Ack(store, hwm, False, hlc)))
            did = True
        for _ in range(16):
            if not self._queue:
                break
            topic, payload = self._queue.popleft()
            self._room.release()
            did = True
            self._ingest(topic, payload, now)
        return did

    def _ingest(self, topic: str, payload: bytes, now: float) -> None:
        try:
            store = store_of(topic)
        except TopicError as err:
            self.quarantine.put(topic, str(err), payload, "unauthorised")
            return
        try:
            batch = self._codec.decode(payload)
        except MalformedOp as err:
            self.quarantine.put(topic, str(err), payload, "malformed")
            return
        if batch.origin != store:
            self.quarantine.put(
                topic, f"origin {batch.origin!r} published on store {store!r}", payload, "unauthorised"
            )
            return
        foreign = sorted({op.type for op in batch.ops} - STORE_OP_TYPES)
        if foreign:
            self.quarantine.put(topic, f"op types a store may not emit: {foreign}", payload, "unauthorised")
            return
        alien = next((op for op in batch.ops if op.body.get("store") not in (None, store)), None)
        if alien is not None:
            self.quarantine.put(
                topic, f"op {alien.id} claims store {alien.body.get('store')!r}", payload, "unauthorised"
            )
            return
        result = self.applier.apply(store, batch.ops)
        if result.conflicts:
            self.stats.conflicts += len(result.conflicts)
            first = result.conflicts[0]
            self.quarantine.put(
                topic,
                f"store {store} went back in time: {len(result.conflicts)} op(s) from seq {first.seq} reuse "
                f"numbers the hub already holds with other ops; kept here, not applied, until the store "
                f"runs `vitrine-edge restore-from-cloud`",
                payload,
                "diverged",
            )
        self.stats.batches += 1
        self.stats.ops_applied += result.applied
        self.stats.duplicates += result.duplicates
        for op, reason in result.rejected:
            self.quarantine.put(topic, f"op {op.id}: {reason}", payload, "projection")
        gap = result.gap
        # The store counts more as acknowledged than the hub holds: the hub was restored from a
        # backup. Ask for everything after the mark again (the store keeps acked ops, see retention).
        rewind = batch.acked is not None and batch.acked > result.hwm
        if rewind:
            self.stats.rewinds += 1
            log.warning(
                "%s counts %d ops as applied, the hub holds %d: asking for a resend",
                store,
                batch.acked,
                result.hwm,
            )
        if gap or rewind:
            self.stats.gaps += 1
            gap = self._throttle.should_request(store, result.hwm, now)
            rewind = rewind and gap
        # Ack only after the commit above: an ack means "applied", never "received".
        self.publish(StoreTopics(store).ack_up, encode_ack(Ack(store, result.hwm, gap, result.hlc, rewind)))
