"""The cloud side of every store's downlink: ``downlink_ops`` → ``vitrine/v1/{store}/down``.

One publisher process owns the downlinks (``start_hub(downlink=True)``); per store it runs a
:class:`sync.uplink.UplinkAgent` over :class:`StoreDownlinkOutbox`, so the downlink has the same
guarantees as the uplink: batches, in-flight window, ack handling, resend on gap, watchdog.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine, func, select, update

from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from sync.ops import CLOUD_ORIGIN, Op
from sync.topics import StoreTopics, TopicError, store_of
from sync.uplink import UplinkAgent
from sync.wire import Ack

JOURNAL_STREAM = "*journal*"
log = logging.getLogger(__name__)


class StoreDownlinkOutbox:
    """:class:`sync.ports.Outbox` over one store's rows of ``downlink_ops`` / ``downlink_acked``."""

    def __init__(self, engine: Engine, store: str) -> None:
        self.engine = engine
        self.store = store

    def read_after(self, seq: int, limit: int) -> list[Op]:
        t = s.downlink_ops
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(t.c.seq, t.c.hlc, t.c.type, t.c.v, t.c.body)
                .where(t.c.store == self.store, t.c.seq > seq)
                .order_by(t.c.seq)
                .limit(limit)
            ).all()
        return [Op(CLOUD_ORIGIN, int(r[0]), r[1], r[2], json.loads(r[4]), int(r[3])) for r in rows]

    def acked_seq(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(s.downlink_acked.c.seq).where(s.downlink_acked.c.store == self.store)
            ).scalar()
        return int(value or 0)

    def mark_acked(self, seq: int) -> None:
        t = s.downlink_acked
        with self.engine.begin() as conn:
            insert_ignore(conn, t, {"store": self.store, "seq": 0}, ["store"])
            conn.execute(t.update().where(t.c.store == self.store, t.c.seq < seq).values(seq=seq))

    def last_seq(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(s.downlink_streams.c.last_seq).where(s.downlink_streams.c.store == self.store)
            ).scalar()
        return int(value or 0)

    def hlc_at(self, seq: int) -> str | None:
        t = s.downlink_ops
        with self.engine.connect() as conn:
            value = conn.execute(select(t.c.hlc).where(t.c.store == self.store, t.c.seq == seq)).scalar()
        return str(value) if value is not None else None

    def rewind_acked(self, seq: int) -> int:
        """The store's replica went back in time: send it everything after ``seq`` again."""
        t = s.downlink_acked
        with self.engine.begin() as conn:
            conn.execute(t.update().where(t.c.store == self.store, t.c.seq > seq).values(seq=seq))
            first = conn.execute(
                select(func.coalesce(func.min(s.downlink_ops.c.seq), 0)).where(
                    s.downlink_ops.c.store == self.store
                )
            ).scalar()
        return int(first or 0)

    def on_diverged(self, ack: Ack) -> bool:
        return self.renumber_after(ack.hwm)

    def renumber_after(self, store_hwm: int) -> bool:
        """The hub was restored from a backup: the store applied downlink ops up to ``store_hwm`` that
        the hub lost, and ops queued since may reuse their numbers. Move every op the store has not
        acknowledged to after ``store_hwm`` (order kept; the store applies an op it already holds
        once, by its HLC) and count ``store_hwm`` as acknowledged. False when nothing can be done."""
        streams, ops, acked = s.downlink_streams, s.downlink_ops, s.downlink_acked
        with self.engine.begin() as conn:
            # The row lock of the stream serialises this with ``cloud.downlink.queue``.
            insert_ignore(conn, streams, {"store": self.store, "last_seq": 0}, ["store"])
            conn.execute(
                update(streams).where(streams.c.store == self.store).values(last_seq=streams.c.last_seq)
            )
            mark = int(conn.execute(select(acked.c.seq).where(acked.c.store == self.store)).scalar() or 0)
            if store_hwm <= mark:
                return False
            pending = [
                int(r[0])
                for r in conn.execute(
                    select(ops.c.seq).where(ops.c.store == self.store, ops.c.seq > mark).order_by(ops.c.seq)
                )
            ]
            for seq in pending:  # two steps so no new number collides with an old one
                conn.execute(update(ops).where(ops.c.store == self.store, ops.c.seq == seq).values(seq=-seq))
            for i, seq in enumerate(pending):
                conn.execute(
                    update(ops)
                    .where(ops.c.store == self.store, ops.c.seq == -seq)
                    .values(seq=store_hwm + 1 + i)
                )
            conn.execute(
                update(streams).where(streams.c.store == self.store).values(last_seq=store_hwm + len(pending))
            )
            insert_ignore(conn, acked, {"store": self.store, "seq": 0}, ["store"])
            conn.execute(update(acked).where(acked.c.store == self.store).values(seq=store_hwm))
        log.warning(
            "downlink of %s: the hub was behind the store (store holds %d, hub had acked %d); %d queued "
            "op(s) moved after %d",
            self.store, store_hwm, mark, len(pending), store_hwm,
        )  # fmt: skip
        return True


class DownlinkPublisher:
    """A pump agent driving one UplinkAgent per store that has a downlink stream."""

    def __init__(self, engine: Engine, publish: Callable[[str, bytes], bool], poll_s: float = 0.2) -> None:
        self.engine = engine
        self.publish = publish
        self.poll_s = poll_s
        self.agents: dict[str, UplinkAgent] = {}
        self._seen: dict[str, int] = {}
        self._connected = False
        self._next_poll = 0.0
        self._wake: threading.Event | None = None
        self._early_acks: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()

    def attach(self, wake: threading.Event) -> None:
        self._wake = wake
        for agent in self.agents.values():
            agent.attach(wake)

    def on_connection(self, up: bool) -> None:
        with self._lock:
            self._connected = up
            agents = list(self.agents.values())
        for agent in agents:
            agent.on_connection(up)

    def on_ack_message(self, topic: str, payload: bytes) -> None:
        try:
            store = store_of(topic)
        except TopicError:
            return
        with self._lock:
            agent = self.agents.get(store)
            if agent is None:
                self._early_acks = [*self._early_acks[-999:], (topic, payload)]
        if agent is not None:
            agent.on_ack_message(topic, payload)
        if self._wake:
            self._wake.set()

    def _discover(self, now: float) -> None:
        if now < self._next_poll:
            return
        self._next_poll = now + self.poll_s
        with self.engine.connect() as conn:
            rows = conn.execute(select(s.downlink_streams.c.store, s.downlink_streams.c.last_seq)).all()
        for store, last in rows:
            if store == JOURNAL_STREAM:
                continue
            agent = self.agents.get(store)
            if agent is None:
                try:
                    topics = StoreTopics(store)
                except TopicError:
                    continue
                outbox = StoreDownlinkOutbox(self.engine, store)
                agent = UplinkAgent(
                    outbox,
                    CLOUD_ORIGIN,
                    topics.down,
                    self.publish,
                    on_diverged=outbox.on_diverged,
                    # Hear what the store holds before sending: a hub restored from a backup must
                    # not send ops under numbers the store has already applied.
                    wait_for_peer=True,
                )
                if self._wake:
                    agent.attach(self._wake)
                with self._lock:
                    self.agents[store] = agent
                    if self._connected:
                        agent.on_connection(True)
                    early, self._early_acks = self._early_acks, []
                for topic, payload in early:
                    self.on_ack_message(topic, payload)
            if self._seen.get(store) != last:
                self._seen[store] = int(last)
                agent.notify()

    def pump(self, now: float) -> bool:
        self._discover(now)
        did = False
        for agent in list(self.agents.values()):
            did = agent.pump(now) or did
        return did

    def deadline(self) -> float | None:
        times = [self._next_poll, *(d for d in (a.deadline() for a in self.agents.values()) if d is not None)]
        return min(times)
