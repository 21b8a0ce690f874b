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
# Called when an ack shows the peer holds ops of this stream that this outbox does not (this side
# was restored from a backup or emptied). Returns True when it repaired the outbox (the agent then
# reloads its state and goes on), False to hold the stream: nothing is sent that the peer would
# take for a duplicate and drop.
OnDiverged = Callable[[Ack], bool]
PEER_HELLO_WAIT_S = 10.0


@dataclass
class UplinkStats:
    batches_sent: int = 0
    ops_sent: int = 0
    bytes_sent: int = 0
    acks: int = 0
    bad_acks: int = 0
    last_ack_at: float | None = None  # wall clock (time.time) of the last ack: "last contact"
    rewinds: int = 0  # the peer went back in time (restored) and was sent our history again
    diverged: int = 0  # this side went back in time: the peer holds ops we do not
    resend_unavailable: int | None = None  # first seq the peer asked for that is no longer kept


class UplinkAgent:
    def __init__(
        self,
        outbox: Outbox,
        origin: str,
        topic: str,
        publish: Publish,
        config: SenderConfig | None = None,
        *,
        on_diverged: OnDiverged | None = None,
        wait_for_peer: bool = False,
    ) -> None:
        self.outbox = outbox
        self.on_diverged = on_diverged
        # With ``wait_for_peer`` nothing is sent until the peer's first ack (it says what the peer
        # holds, so a restored sender repairs its numbering first) or PEER_HELLO_WAIT_S elapse.
        self._peer_heard = not wait_for_peer
        self._connected_at: float | None = None
        self.halted: str | None = None
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
                    self._connected_at = now
                else:
                    sender.on_disconnected()
                refresh = True
            elif kind == "peer":
                sender.on_peer_online(now)
                refresh = True
            elif kind == "ack" and isinstance(value, Ack):
                self.stats.acks += 1
                self.stats.last_ack_at = time.time()
                self._peer_heard = True
                if self._diverged(value):
                    refresh = True
                    continue
                if value.rewind and sender.on_rewind(value.hwm, now):
                    self._rewind(value.hwm)
                    refresh = True
                    continue
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
        if not self._peer_heard and self._connected_at is not None:
            self._peer_heard = now - self._connected_at >= PEER_HELLO_WAIT_S
        for _ in range(64):  # bounded per pump so acks and other agents get their turn
            if self._retry_at or self.halted or not self._peer_heard:
                break
            req = sender.next_read(self._last_seq)
            if req is None:
                break
            ops = self.outbox.read_after(req.after, req.limit)
            if not ops:
                self._last_seq = self.outbox.last_seq()
                break
            frame = self._codec.encode(self.origin, ops, acked=sender.acked)
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

    def _diverged(self, ack: Ack) -> bool:
        """True when ``ack`` shows the peer holds ops of this stream that the outbox does not."""
        if ack.hwm == 0:
            return False
        last = self.outbox.last_seq()
        mine = self.outbox.hlc_at(ack.hwm) if ack.hwm <= last else None
        if ack.hwm <= last and (ack.hlc is None or mine == ack.hlc):
            return False
        if ack.hwm <= last and mine is None:
            return False  # pruned by retention: nothing to compare, the peer's mark is plausible
        self.stats.diverged += 1
        log.error(
            "%s: the peer holds ops up to %d that this side does not have (this side was restored "
            "or emptied; it has %d)", self.topic, ack.hwm, last,
        )  # fmt: skip
        repaired = self.on_diverged(ack) if self.on_diverged else False
        if repaired:
            self.halted = None
            self._sender = StreamSender(self.outbox.acked_seq(), self._config)
            self._sender.on_connected(time.monotonic())
            self._last_seq = self.outbox.last_seq()
        else:
            self.halted = (
                f"the cloud holds ops up to seq {ack.hwm} of this stream that this replica does not have "
                f"(it has {last}): it was restored from an older backup or emptied"
            )
        return True

    def _rewind(self, hwm: int) -> None:
        self.stats.rewinds += 1
        kept = self.outbox.rewind_acked(hwm)
        if kept > hwm + 1:
            self.stats.resend_unavailable = hwm + 1
            log.error(
                "%s: the peer went back to seq %d but ops before %d are no longer kept (retention); "
                "resending what is kept", self.topic, hwm, kept,
            )  # fmt: skip
        else:
            log.warning(
                "%s: the peer went back in time to seq %d; resending everything after it", self.topic, hwm
            )

    def deadline(self) -> float | None:
        times = [t for t in (self.sender.deadline(), self._retry_at or None) if t is not None]
        if not self._peer_heard and self._connected_at is not None:
            times.append(self._connected_at + PEER_HELLO_WAIT_S)
        return min(times) if times else None

    def backlog(self) -> int:
        """Ops written but not yet acknowledged by the peer (pump thread)."""
        return max(0, self.outbox.last_seq() - self.outbox.acked_seq())
