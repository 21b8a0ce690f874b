"""One simulated run: a store streams ops to the cloud through a faulty network.

The real protocol cores run unchanged (:class:`sync.sender.StreamSender`, :func:`sync.receiver.plan`,
:class:`sync.receiver.GapThrottle`, :class:`sync.wire.BatchCodec`); only time, the network, storage
and crashes are simulated. A schedule (from the seed) decides message loss, duplication, reordering
(random latency), link outages, sender restarts (in-memory state lost, persisted ``acked`` kept) and
receiver crashes (messages in flight lost). The run passes when the receiver holds every op exactly
once and folds to the same state as the sender.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field

from sync.fold import snapshot
from sync.ops import Op
from sync.receiver import GapThrottle, plan
from sync.sender import SenderConfig, StreamSender
from sync.testing.workload import Workload
from sync.wire import Ack, BatchCodec, decode_ack, encode_ack


@dataclass
class Schedule:
    seed: int
    ops: int
    drop_p: float
    dup_p: float
    latency_ms: tuple[int, int]
    outages: list[tuple[float, float]]
    sender_restarts: list[float]
    receiver_crashes: list[float]

    @classmethod
    def random(cls, seed: int) -> Schedule:
        rng = random.Random(seed)
        horizon = 60.0

        def times(n: int) -> list[float]:
            return sorted(rng.uniform(0, horizon) for _ in range(n))

        outages = [(t, t + rng.uniform(0.5, 10)) for t in times(rng.randint(0, 3))]
        return cls(
            seed,
            rng.randint(20, 300),
            rng.choice([0, 0.05, 0.2, 0.4]),
            rng.choice([0, 0.1, 0.3]),
            (rng.randint(1, 20), rng.randint(20, 300)),
            outages,
            times(rng.randint(0, 2)),
            times(rng.randint(0, 2)),
        )


@dataclass
class Result:
    seed: int
    ok: bool
    sim_time_s: float
    messages: int
    resends: int
    detail: str = ""


@dataclass(order=True)
class _Msg:
    at: float
    n: int
    to: str = field(compare=False)
    payload: object = field(compare=False)


def run(schedule: Schedule, max_sim_s: float = 3600.0) -> Result:
    rng = random.Random(schedule.seed ^ 0x5EED)
    wl = Workload("s1", seed=schedule.seed, skus=20, customers=10)
    outbox: list[Op] = []
    for op in wl:
        outbox.append(op)
        if len(outbox) >= schedule.ops:
            break
    use_codec = schedule.seed % 16 == 0
    cfg = SenderConfig(
        max_batch_ops=rng.choice([3, 20, 100]),
        max_inflight_ops=rng.choice([10, 100, 1000]),
        ack_timeout_s=1.0,
        max_ack_timeout_s=8.0,
    )
    codec = BatchCodec()
    acked_persisted = 0
    sender = StreamSender(0, cfg)
    hwm = 0
    applied: list[Op] = []
    throttle = GapThrottle()
    queue: list[_Msg] = []
    now, n, messages = 0.0, 0, 0
    restarts = list(schedule.sender_restarts)
    crashes = list(schedule.receiver_crashes)

    def link_up(t: float) -> bool:
        return not any(a <= t < b for a, b in schedule.outages)

    def send(to: str, payload: object) -> None:
        nonlocal n, messages
        if not link_up(now) or rng.random() < schedule.drop_p:
            return
        copies = 2 if rng.random() < schedule.dup_p else 1
        for _ in range(copies):
            n += 1
            messages += 1
            heapq.heappush(queue, _Msg(now + rng.randint(*schedule.latency_ms) / 1000, n, to, payload))

    was_up = False
    total_resends = 0
    while now < max_sim_s:
        up = link_up(now)
        if up and not was_up:
            sender.on_connected(now)
        if not up and was_up:
            sender.on_disconnected()
        was_up = up
        if restarts and now >= restarts[0]:
            restarts.pop(0)
            total_resends += sender.resends
            sender = StreamSender(acked_persisted, cfg)
            if up:
                sender.on_connected(now)
        if crashes and now >= crashes[0]:
            crashes.pop(0)
            queue = [m for m in queue if m.to != "cloud"]  # in-flight deliveries to the crashed receiver
            heapq.heapify(queue)
        sender.poll(now)
        while (req := sender.next_read(len(outbox))) is not None:
            batch = outbox[req.after : req.after + req.limit]
            # every 16th schedule goes through the real wire codec; the rest pass op tuples (speed)
            send("cloud", codec.encode("s1", batch) if use_codec else tuple(batch))
            sender.on_sent(batch[-1].seq, now)
        while queue and queue[0].at <= now:
            msg = heapq.heappop(queue)
            if msg.to == "cloud":
                ops = codec.decode(msg.payload).ops if isinstance(msg.payload, bytes) else msg.payload
                p = plan(hwm, ops)  # type: ignore[arg-type]
                applied.extend(p.apply)
                hwm = p.new_hwm
                gap = p.gap and throttle.should_request("s1", hwm, now)
                send("store", encode_ack(Ack("s1", hwm, gap)))
            else:
                ack = decode_ack(msg.payload)  # type: ignore[arg-type]
                if sender.on_ack(ack.hwm, ack.gap, now) is not None:
                    acked_persisted = sender.acked
        if (
            acked_persisted == len(outbox)
            and not restarts
            and now > max((b for _, b in schedule.outages), default=0.0)
        ):
            break
        # jump to the next thing that can happen (message, watchdog, schedule event), at most 1 s
        events = [now + 1.0]
        if queue:
            events.append(queue[0].at)
        if (d := sender.deadline()) is not None:
            events.append(d)
        if sender.connected and sender.next_read(len(outbox)) is not None:
            events.append(now + 0.001)
        events += [t for t in (*restarts[:1], *crashes[:1]) if t > now]
        events += [t for span in schedule.outages for t in span if t > now]
        now = max(now + 0.0005, min(events))
    total_resends += sender.resends
    ok = [op.seq for op in applied] == list(range(1, len(outbox) + 1)) and acked_persisted == len(outbox)
    detail = "" if ok else f"applied {len(applied)} of {len(outbox)}, acked {acked_persisted}"
    if ok and snapshot(applied) != snapshot(outbox):
        ok, detail = False, "folded state differs"
    return Result(schedule.seed, ok, now, messages, total_resends, detail)
