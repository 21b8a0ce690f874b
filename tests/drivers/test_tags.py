"""Tag processor: de-duplication, zones, smoothing, moves with hysteresis, departures (fake clock)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.errors import ConfigError
from drivers.rfid.events import TagRead
from drivers.tags import TagDeparted, TagMoved, TagPresent, TagProcessor, TagTimers

ZONES = {"r1": {1: "shelf-a", 2: "shelf-b", 3: "exit"}}
TIMERS = TagTimers(rssi_alpha=0.5, departure_after_s=5, move_confirm_s=1, move_margin_db=3, zone_stale_s=2)


def read(epc: str, antenna: int, rssi: int = -50) -> TagRead:
    return TagRead(epc, antenna, rssi, 0x3000)


def test_many_reads_of_one_tag_make_one_present_event() -> None:
    proc = TagProcessor(ZONES, TIMERS)
    events = []
    for i in range(50):
        events += proc.process("r1", [read("A", 1), read("B", 2)], now=i * 0.05)
    assert events == [TagPresent("A", "shelf-a", 0.0, -50.0), TagPresent("B", "shelf-b", 0.0, -50.0)]
    assert len(proc) == 2 and proc.reads == 100


def test_unmapped_antenna_unknown_reader_and_weak_reads_are_ignored() -> None:
    proc = TagProcessor(ZONES, TagTimers(min_rssi=-80))
    assert proc.process("r1", [read("A", 4), read("B", 1, -90)], 0.0) == []
    assert proc.process("other", [read("A", 1)], 0.0) == []
    assert proc.ignored_reads == 3 and len(proc) == 0


def test_rssi_is_smoothed_with_an_ewma() -> None:
    proc = TagProcessor(ZONES, TIMERS)
    proc.process("r1", [read("A", 1, -60)], 0.0)
    proc.process("r1", [read("A", 1, -40)], 0.1)
    proc.process("r1", [read("A", 1, -40)], 0.2)
    state = proc.state_of("A")
    assert state is not None and state.rssi == pytest.approx(-45.0)


def test_flicker_to_a_weaker_neighbour_zone_does_not_move_the_tag() -> None:
    proc = TagProcessor(ZONES, TIMERS)
    events = proc.process("r1", [read("A", 1, -50)], 0.0)
    t = 0.0
    for _ in range(60):  # 6 s of interleaved reads, neighbour 2 dB weaker
        t += 0.1
        events += proc.process("r1", [read("A", 1, -50), read("A", 2, -52)], t)
    assert [type(e) for e in events] == [TagPresent]


def test_tag_moves_when_new_zone_is_stronger_for_the_confirm_time() -> None:
    proc = TagProcessor(ZONES, TIMERS)
    proc.process("r1", [read("A", 1, -50)], 0.0)
    events = []
    for i in range(1, 16):
        events += proc.process("r1", [read("A", 1, -60), read("A", 2, -45)], round(i * 0.1, 3))
    moves = [e for e in events if isinstance(e, TagMoved)]
    assert len(moves) == 1
    assert (moves[0].from_zone, moves[0].to_zone) == ("shelf-a", "shelf-b")
    assert moves[0].at == pytest.approx(1.1)  # not before move_confirm_s of candidate reads


def test_tag_moves_when_old_zone_goes_silent_even_if_weaker() -> None:
    proc = TagProcessor(ZONES, TIMERS)
    proc.process("r1", [read("A", 1, -40)], 0.0)
    events = []
    for i in range(1, 30):
        events += proc.process("r1", [read("A", 2, -70)], i * 0.1)
    assert [(e.to_zone, round(e.at, 1)) for e in events if isinstance(e, TagMoved)] == [("shelf-b", 2.0)]


def test_departure_after_the_timer_and_reappearance_is_present_again() -> None:
    proc = TagProcessor(ZONES, TIMERS)
    proc.process("r1", [read("A", 3)], 10.0)
    assert proc.tick(14.9) == []
    assert proc.tick(15.0) == [TagDeparted("A", "exit", 15.0, 10.0)]
    assert len(proc) == 0 and proc.tick(30.0) == []
    assert proc.process("r1", [read("A", 1)], 31.0) == [TagPresent("A", "shelf-a", 31.0, -50.0)]


def test_stale_candidate_restarts_its_confirm_timer() -> None:
    proc = TagProcessor(ZONES, TIMERS)
    proc.process("r1", [read("A", 1, -60)], 0.0)
    proc.process("r1", [read("A", 2, -40)], 0.1)
    proc.process("r1", [read("A", 1, -60)], 3.0)  # candidate unseen for > zone_stale_s
    assert proc.process("r1", [read("A", 2, -40)], 3.5) == []


def test_zone_counts_and_snapshot() -> None:
    proc = TagProcessor(ZONES, TIMERS)
    proc.process("r1", [read("A", 1), read("B", 1), read("C", 3)], 0.0)
    assert proc.zone_counts() == {"shelf-a": 2, "exit": 1}
    assert sorted(s.epc for s in proc.snapshot()) == ["A", "B", "C"]


def test_invalid_timers_are_rejected() -> None:
    with pytest.raises(ConfigError):
        TagTimers(rssi_alpha=0)
    with pytest.raises(ConfigError):
        TagTimers(zone_stale_s=10, departure_after_s=5)


read_steps = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C"]),
        st.integers(1, 4),
        st.integers(-90, -30),
        st.floats(0.0, 3.0, allow_nan=False),
    ),
    max_size=80,
)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(read_steps)
def test_state_changes_are_consistent_for_any_read_sequence(steps: list[tuple[str, int, int, float]]) -> None:
    proc = TagProcessor({"r1": {1: "shelf-a", 2: "shelf-b", 3: "exit"}}, TIMERS)
    zone_of: dict[str, str] = {}
    now = 0.0
    for epc, antenna, rssi, gap in steps:
        now += gap
        events = proc.tick(now) + proc.process("r1", [read(epc, antenna, rssi)], now)
        for event in events:
            if isinstance(event, TagPresent):
                assert event.epc not in zone_of, "present twice without departing"
                zone_of[event.epc] = event.zone
            elif isinstance(event, TagMoved):
                assert zone_of[event.epc] == event.from_zone != event.to_zone
                zone_of[event.epc] = event.to_zone
            else:
                assert zone_of.pop(event.epc) == event.zone
                assert event.at - event.last_seen >= TIMERS.departure_after_s
    assert {s.epc: s.zone for s in proc.snapshot()} == zone_of
