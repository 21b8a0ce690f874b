from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.backoff import Backoff
from sync.receiver import GapThrottle, plan
from sync.sender import ReadRequest, SenderConfig, StreamSender
from sync.testing.workload import make_ops
from sync.topics import StoreTopics, TopicError, leaf_of, shared, store_of

CFG = SenderConfig(max_batch_ops=10, max_inflight_ops=25, ack_timeout_s=1.0, max_ack_timeout_s=4.0)


def test_sender_windows_batches_and_acks() -> None:
    s = StreamSender(acked=0, config=CFG)
    assert s.next_read(100) is None  # offline
    s.on_connected(0.0)
    assert s.next_read(100) == ReadRequest(0, 10)
    s.on_sent(10, 0.0)
    s.on_sent(20, 0.0)
    assert s.next_read(100) == ReadRequest(20, 5)  # window 25
    s.on_sent(25, 0.0)
    assert s.next_read(100) is None
    assert s.on_ack(10, False, 0.5) == 10
    assert s.next_read(100) == ReadRequest(25, 10)
    assert s.on_ack(5, False, 0.6) is None  # stale ack never moves back


def test_watchdog_resends_with_backoff_while_unacked() -> None:
    s = StreamSender(acked=0, config=CFG)
    s.on_connected(0.0)
    s.on_sent(10, 0.0)
    assert not s.poll(0.9)
    assert s.poll(1.0) and s.next_seq == 1
    s.on_sent(10, 1.0)
    assert not s.poll(2.5) and s.poll(3.0)  # timeout doubled
    s.on_ack(10, False, 3.1)
    assert s.poll(100.0) is False and s.deadline() is None


def test_gap_report_rewinds_once_per_holdoff() -> None:
    s = StreamSender(acked=0, config=CFG)
    s.on_connected(0.0)
    s.on_sent(25, 0.0)
    s.on_ack(5, True, 0.1)
    assert s.next_seq == 6
    s.on_sent(15, 0.1)
    s.on_ack(5, True, 0.2)  # same hole reported again by a later batch: ignored
    assert s.next_seq == 16


def test_reconnect_rewinds_to_acked() -> None:
    s = StreamSender(acked=7, config=CFG)
    s.on_connected(0.0)
    s.on_sent(17, 0.0)
    s.on_disconnected()
    assert s.next_read(100) is None
    s.on_connected(1.0)
    # From the last acked op: it probes whether the peer went back in time (restored backup).
    assert s.next_read(100) == ReadRequest(6, 10)


def test_rewind_from_a_restored_peer_resends_after_its_mark() -> None:
    s = StreamSender(acked=50, config=CFG)
    s.on_connected(0.0)
    s.on_sent(60, 0.0)
    s.on_ack(40, True, 0.1)  # a plain stale ack below acked: ignored
    assert s.acked == 50
    assert s.on_rewind(40, 0.2) is True
    assert s.acked == 40 and s.next_read(60) == ReadRequest(40, 10)
    assert s.on_rewind(45, 0.3) is False  # not below acked: nothing to do


def test_plan_applies_contiguous_and_reports_gaps() -> None:
    ops = make_ops("s", 1, 10)
    p = plan(3, [ops[2], ops[3], ops[4], ops[7]])
    assert [o.seq for o in p.apply] == [4, 5] and p.duplicates == 1 and p.gap and p.new_hwm == 5
    p = plan(5, ops)
    assert [o.seq for o in p.apply] == [6, 7, 8, 9, 10] and p.duplicates == 5 and not p.gap


@given(st.lists(st.integers(1, 30), max_size=60), st.integers(0, 2**32))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_sender_receiver_converge_over_lossy_duplicating_link(drops: list[int], seed: int) -> None:
    """Any loss/duplication/reordering pattern: the receiver ends with every op exactly once."""
    rng = random.Random(seed)
    ops = make_ops("s", 1, 60, seed=1)
    s = StreamSender(0, CFG)
    s.on_connected(0.0)
    hwm, applied, now = 0, [], 0.0
    dropped = set(drops)
    for _ in range(500):
        now += 0.3
        req = s.next_read(len(ops))
        msgs = []
        while req is not None:
            chunk = ops[req.after : req.after + req.limit]
            s.on_sent(chunk[-1].seq, now)
            msgs.append(chunk)
            req = s.next_read(len(ops))
        msgs += [m for m in msgs if rng.random() < 0.2]
        rng.shuffle(msgs)
        for m in msgs:
            if m[0].seq in dropped:
                dropped.discard(m[0].seq)
                continue
            p = plan(hwm, m)
            applied += p.apply
            hwm = p.new_hwm
            s.on_ack(hwm, p.gap, now)
        s.poll(now)
        if s.acked == len(ops):
            break
    assert [o.seq for o in applied] == list(range(1, 61))


def test_gap_throttle() -> None:
    g = GapThrottle(0.5)
    assert g.should_request("s", 3, 0.0)
    assert not g.should_request("s", 3, 0.2)
    assert g.should_request("s", 4, 0.3)
    assert g.should_request("s", 4, 0.9)


def test_backoff_is_bounded_and_jittered() -> None:
    b = Backoff(0.1, 2.0, random.Random(1))
    delays = [b.next_delay() for _ in range(20)]
    assert all(0.1 <= d <= 2.0 for d in delays) and len(set(delays)) > 10
    b.reset()
    assert b.next_delay() <= 0.1 + 1e-9


def test_topics() -> None:
    t = StoreTopics("store-7")
    assert (
        t.up == "vitrine/v1/store-7/up"
        and store_of(t.ack_down) == "store-7"
        and leaf_of(t.ack_down) == "ack/down"
    )
    assert shared("vitrine/v1/+/up") == "$share/hub/vitrine/v1/+/up"
    for bad in ("", "a/b", "+", "x#"):
        try:
            StoreTopics(bad)
        except TopicError:
            continue
        raise AssertionError(bad)


def test_a_second_hello_does_not_cancel_the_probe_of_a_peer_that_went_back() -> None:
    # A store's replica emptied: it says "I hold 0" twice (on connect and on the hub's presence)
    # before the sender's next pump. The probe (resend of the last acked op, which carries ``acked``
    # so the peer asks to rewind) must survive the second hello, or nothing is ever sent again.
    s = StreamSender(acked=3, config=CFG)
    s.on_connected(0.0)
    s.on_sent(3, 0.0)
    assert s.next_read(3) is None and s.deadline() is None  # all acked: the watchdog sleeps
    s.on_ack(0, True, 5.0)
    s.on_ack(0, True, 5.0)
    assert s.next_read(3) == ReadRequest(2, 10)
