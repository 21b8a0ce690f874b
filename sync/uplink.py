"""The sending agent of one op stream: Outbox → batches → publish → acks → ``mark_acked``.

Used by the edge for its uplink (``vitrine/v1/{store}/up``) and by the cloud for each store's
downlink (``.../down``); the peer acks on the matching ``ack/...`` topic. A watchdog (see
:class:`sync.sender.StreamSender`) resends while anything is unacked, so a backlog never stalls.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from sync.errors import MalformedOp
from sync.ports import Outbox
from sync.sender import SenderConfig, StreamSender
from sync.wire import Ack, BatchCodec, decode_ack

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], bool]


@dataclass
class UplinkStats:
    batches_sent: int = 0
    ops_sent: int = 0
    bytes_sent: int = 0
    acks: int = 0
    bad_acks: int = 0
    last_ack_at: float | None = None  # wall clock (time.time) of the last ack: "last contact"


class UplinkAgent:
    def __init__(
        self, outbox: Outbox, origin: str, topic: str, publish: Publish, config: SenderConfig | None = None
    ) -> None:
        self.outbox = outbox
        self.origin = origin
        self.topic = topic
        self.publish = publish
        self.stats = UplinkStats()
        self._sender: StreamSender | None = None
        self._config = config or SenderConfig()
        self._codec = BatchCodec()
        self._events: deque[tuple[str, object]] = deque()
        self._wake: threading.Event | None = None
        self._last_seq = 0
        self._retry_at = 0.0

    # ---- inputs, any thread -----------------------------------------------------------------

    def attach(self, wake: threading.Event) -> None:
        self._wake = wake

    def notify(self) -> None:
        """New ops were committed to the outbox: send soon."""
        self._events.append(("new", None))
        if self._wake:
            self._wake.set()

    def on_connection(self, up: bool) -> None:
        self._events.append(("link", up))
        if self._wake:
            self._wake.set()

    def on_peer_presence(self, _topic: str, payload: bytes) -> None:
        """A retained presence message of the receiving side; "online" means it (re)started."""
        if b'"online"' in payload:
            self._events.append(("peer", None))
            if self._wake:
                self._wake.set()

    def on_ack_message(self, _topic: str, payload: bytes) -> None:
        try:
            ack = decode_ack(payload)
        except MalformedOp as err:
            self.stats.bad_acks += 1
            log.warning("ignoring malformed ack: %s", err)
            return
        if ack.origin != self.origin:
            self.stats.bad_acks += 1
            return
        self._events.append(("ack", ack))
        if self._wake:
            self._wake.set()

    # ---- pump thread ------------------------------------------------------------------------

    @property
    def sender(self) -> StreamSender:
        if self._sender is None:
            self._sender = StreamSender(self.outbox.acked_seq(), self._config)
        return self._sender

    def pump(self, now: float) -> bool:
        sender = self.sender
        did = False
        refresh = False
        while self._events:
            kind, value = self._events.popleft()
            if kind == "link":
                if value:
                    sender.on_connected(now)
                else:
                    sender.on_disconnected()
                refresh = True
            elif kind == "peer":
                sender.on_peer_online(now)
                refresh = True
            elif kind == "ack" and isinstance(value, Ack):
                self.stats.acks += 1
                self.stats.last_ack_at = time.time()
                advanced = sender.on_ack(value.hwm, value.gap, now)
                if advanced is not None:
                    # Never record more than was written: ops with a higher seq must still be sent.
                    self._last_seq = self.outbox.last_seq()
                    self.outbox.mark_acked(min(advanced, self._last_seq))
                    did = True
            else:
                refresh = True
        if refresh or sender.next_seq <= self._last_seq + 1:
            self._last_seq = self.outbox.last_seq()
        if sender.poll(now):
            log.info("%s: no ack progress, resending from %d", self.topic, sender.next_seq)
        if self._retry_at and now >= self._retry_at:
            self._retry_at = 0.0
        for _ in range(64):  # bounded per pump so acks and other agents get their turn
            if self._retry_at:
                break
            req = sender.next_read(self._last_seq)
            if req is None:
                break
            ops = self.outbox.read_after(req.after, req.limit)
            if not ops:
                self._last_seq = self.outbox.last_seq()
                break
            frame = self._codec.encode(self.origin, ops)
            if not self.publish(self.topic, frame):
                # Not connected (a link event follows) or refused: retry shortly, never spin.
                self._retry_at = now + 0.2
                break
            sender.on_sent(ops[-1].seq, now)
            self.stats.batches_sent += 1
            self.stats.ops_sent += len(ops)
            self.stats.bytes_sent += len(frame)
            did = True
        return did

    def deadline(self) -> float | None:
        times = [t for t in (self.sender.deadline(), self._retry_at or None) if t is not None]
        return min(times) if times else None

    def backlog(self) -> int:
        """Ops written but not yet acknowledged by the peer (pump thread)."""
        return max(0, self.outbox.last_seq() - self.outbox.acked_seq())
