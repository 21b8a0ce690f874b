"""The receiving agent of one op stream: batches → ``Inbox.apply`` → ack (with resend on gap).

The Inbox applies the ops extending its high-water mark and stores the new mark in the same
transaction; this agent acks that mark and, when a batch showed a hole, asks for a resend (the
``gap`` flag of the ack, throttled). On every (re)connection it acks its mark with ``gap`` set, so
the sender resends whatever was lost while the link was down without waiting for its watchdog.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sync.errors import MalformedOp
from sync.ports import Inbox
from sync.receiver import GapThrottle
from sync.wire import Ack, BatchCodec, encode_ack

log = logging.getLogger(__name__)


@dataclass
class DownlinkStats:
    batches: int = 0
    ops_received: int = 0
    malformed: int = 0
    gaps: int = 0
    rewinds: int = 0
    last_batch_at: float | None = None  # wall clock of the last batch received: "last contact"


class DownlinkAgent:
    def __init__(
        self,
        inbox: Inbox,
        origin: str,
        ack_topic: str,
        publish: Callable[[str, bytes], bool],
        max_queue: int = 256,
    ) -> None:
        self.inbox = inbox
        self.origin = origin
        self.ack_topic = ack_topic
        self.publish = publish
        self.stats = DownlinkStats()
        self._codec = BatchCodec()
        self._queue: deque[bytes] = deque()
        self._room = threading.Semaphore(max_queue)
        self._hello = False
        self._throttle = GapThrottle()
        self._wake: threading.Event | None = None

    def attach(self, wake: threading.Event) -> None:
        self._wake = wake

    def on_batch_message(self, _topic: str, payload: bytes) -> None:
        # Blocks the network thread when the applier is behind: back-pressure, bounded memory.
        if not self._room.acquire(timeout=30):
            log.warning("applier stalled: dropping a batch (the sender will resend it)")
            return
        self._queue.append(payload)
        if self._wake:
            self._wake.set()

    def on_connection(self, up: bool) -> None:
        if up:
            self._hello = True
            if self._wake:
                self._wake.set()

    def pump(self, now: float) -> bool:
        did = False
        if self._hello:
            self._hello = False
            hwm = self.inbox.high_water_mark(self.origin)
            self.publish(self.ack_topic, encode_ack(self._ack(hwm, gap=True)))
        for _ in range(64):
            if not self._queue:
                break
            payload = self._queue.popleft()
            self._room.release()
            did = True
            self.stats.batches += 1
            self.stats.last_batch_at = time.time()
            try:
                batch = self._codec.decode(payload)
            except MalformedOp as err:
                self.stats.malformed += 1
                log.warning("dropping malformed batch on the downlink: %s", err)
                continue
            if batch.origin != self.origin:
                self.stats.malformed += 1
                log.warning("dropping batch from unexpected origin %r", batch.origin)
                continue
            hwm = self.inbox.apply(self.origin, batch.ops)
            gap = any(op.seq > hwm for op in batch.ops)
            self.stats.ops_received += len(batch.ops)
            rewind = batch.acked is not None and batch.acked > hwm
            if rewind:
                self.stats.rewinds += 1
                log.warning(
                    "the sender counts %d ops as applied here, this replica holds %d: asking for them again",
                    batch.acked, hwm,
                )  # fmt: skip
            if gap or rewind:
                self.stats.gaps += 1
                gap = self._throttle.should_request(self.origin, hwm, now)
                rewind = rewind and gap
            self.publish(self.ack_topic, encode_ack(self._ack(hwm, gap, rewind)))
        return did

    def on_peer_presence(self, _topic: str, payload: bytes) -> None:
        """The sender (re)started, maybe from a backup: tell it at once what this side holds."""
        if b'"online"' in payload:
            self.on_connection(True)

    def _ack(self, hwm: int, gap: bool, rewind: bool = False) -> Ack:
        return Ack(self.origin, hwm, gap, self.inbox.fingerprint(self.origin), rewind)

    def deadline(self) -> float | None:
        return None
