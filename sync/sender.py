"""The sending side of one op stream, as a pure state machine (no I/O, time passed in).

It decides what to read from the outbox and send next, bounded by an in-flight window, and what
to do with acks. Invariants:

* ``acked`` only grows while the peer keeps its history; everything ``<= acked`` is applied by the
  peer and never resent. The one exception is a peer restored from a backup: its ack says
  ``rewind`` with a mark below ``acked`` (it is behind what it once acknowledged), and ``acked``
  goes back to that mark so everything after it is sent again (docs/operations.md "Restores").
* ``next_seq`` is the next seq to send; ``acked < next_seq``. Rewinding ``next_seq`` to
  ``acked + 1`` (on connect, on a gap report, from the watchdog) only causes duplicates, which
  the receiver ignores: at-least-once delivery, exactly-once effect.
* Nothing is dropped or expired: while ``acked < last_seq`` the stream is either sending or the
  watchdog is armed, so a backlog never stalls.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SenderConfig:
    max_batch_ops: int = 1000
    max_inflight_ops: int = 8000
    ack_timeout_s: float = 3.0  # no ack progress for this long while ops are unacked -> resend
    max_ack_timeout_s: float = 60.0
    gap_holdoff_s: float = 0.5  # ignore repeated gap reports for the same hwm within this time


@dataclass(frozen=True, slots=True)
class ReadRequest:
    """Read ``outbox.read_after(after, limit)`` and send the result as one batch."""

    after: int
    limit: int


class StreamSender:
    def __init__(self, acked: int, config: SenderConfig | None = None) -> None:
        self.config = config or SenderConfig()
        self.acked = acked
        self.next_seq = acked + 1
        self.connected = False
        self.resends = 0
        self._progress_at = 0.0
        self._timeout = self.config.ack_timeout_s
        self._last_gap: tuple[int, float] | None = None

    @property
    def in_flight(self) -> int:
        return max(0, self.next_seq - 1 - self.acked)

    def _probe_start(self) -> int:
        # Resend the last acknowledged op too: a healthy peer ignores it as a duplicate, a peer
        # restored from a backup sees it is behind (the batch carries ``acked``) and asks to rewind.
        return max(1, self.acked)

    def on_connected(self, now: float) -> None:
        """A (re)connection: resend everything unacked, the peer may not have it."""
        self.connected = True
        self.next_seq = self._probe_start()
        self._progress_at = now

    def on_peer_online(self, now: float) -> None:
        """The receiver (re)started: it may have lost what was in flight; resend from ``acked``."""
        if self.connected:
            self.next_seq = self._probe_start()
            self._progress_at = now

    def on_disconnected(self) -> None:
        self.connected = False

    def next_read(self, last_seq: int) -> ReadRequest | None:
        """What to send now, given the outbox's highest seq; None when idle or the window is full."""
        if not self.connected or self.next_seq > last_seq:
            return None
        room = self.config.max_inflight_ops - self.in_flight
        if room <= 0:
            return None
        return ReadRequest(self.next_seq - 1, min(self.config.max_batch_ops, room))

    def on_sent(self, through_seq: int, now: float) -> None:
        if self.in_flight == 0:
            self._progress_at = now
        self.next_seq = max(self.next_seq, through_seq + 1)

    def on_rewind(self, hwm: int, now: float) -> bool:
        """The peer went back in time to ``hwm`` (< ``acked``): send everything after it again.
        True when ``acked`` moved back (persist it with the outbox's ``rewind_acked``)."""
        if hwm >= self.acked:
            return False
        self.acked = hwm
        self.next_seq = hwm + 1
        self._progress_at = now
        self._timeout = self.config.ack_timeout_s
        self.resends += 1
        return True

    def on_ack(self, hwm: int, gap: bool, now: float) -> int | None:
        """Process an ack; returns the new ``acked`` when it advanced (persist it), else None."""
        advanced = None
        if hwm > self.acked:
            self.acked = hwm
            advanced = hwm
            self._progress_at = now
            self._timeout = self.config.ack_timeout_s
        if advanced is not None and self.next_seq <= self.acked:
            # Only an advance makes ``next_seq <= acked`` stale; otherwise ``next_seq == acked`` is a
            # pending probe, which a repeated ack (two hellos) must not cancel.
            self.next_seq = self.acked + 1
        if gap and hwm < self.acked and self.next_seq > self.acked:
            # A gap report below what the peer acknowledged: stale (reordered), or the peer went back
            # in time. Resend the last acked op: it carries ``acked``, so a restored peer asks to rewind.
            last = self._last_gap
            if last is None or last[0] != hwm or now - last[1] >= self.config.gap_holdoff_s:
                self._last_gap = (hwm, now)
                self.next_seq = max(1, self.acked)
        if gap and hwm >= self.acked and self.next_seq > hwm + 1:
            last = self._last_gap
            if last is None or last[0] != hwm or now - last[1] >= self.config.gap_holdoff_s:
                self._last_gap = (hwm, now)
                self.next_seq = hwm + 1
                self.resends += 1
        return advanced

    def poll(self, now: float) -> bool:
        """Watchdog. True when it rewound the stream to resend unacked ops."""
        if not self.connected or self.in_flight == 0:
            return False
        if now - self._progress_at < self._timeout:
            return False
        self.next_seq = self.acked + 1
        self._progress_at = now
        self._timeout = min(self._timeout * 2, self.config.max_ack_timeout_s)
        self.resends += 1
        return True

    def deadline(self) -> float | None:
        """When :meth:`poll` may next act (None when nothing is in flight)."""
        if not self.connected or self.in_flight == 0:
            return None
        return self._progress_at + self._timeout
