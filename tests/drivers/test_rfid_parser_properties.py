"""Hypothesis properties of the RFID protocol cores: no crash, no split sensitivity, no lasting desync."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.rfid import chafon, mercury, r200, r2000
from drivers.rfid.events import Command, CommandResponse, FrameRejected, InventoryRoundEnd, TagRead
from drivers.rfid.framing import FramedParser

SETTINGS = settings(
    max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
KNOWN = (TagRead, CommandResponse, InventoryRoundEnd, Command, FrameRejected)

PARSERS: dict[str, Callable[[], FramedParser]] = {
    "mercury": mercury.MercuryParser,
    "mercury-reader": lambda: mercury.MercuryParser("reader"),
    "r2000": r2000.R2000Parser,
    "r200": r200.R200Parser,
    "chafon": chafon.ChafonParser,
}


def _encode(protocol: str, read: TagRead) -> bytes:
    if protocol == "mercury":
        return mercury.encode_tag_records([read])
    if protocol == "r2000":
        return r2000.encode_tag_read(read)
    return r200.encode_tag_notification(read)


epc_bytes = st.binary(min_size=12, max_size=12).map(
    lambda b: b.replace(b"\xff", b"\x30").replace(b"\xa0", b"\x30")
)
tag_reads = st.builds(
    lambda epc, ant, rssi: TagRead(epc.replace(b"\xaa", b"\x30").hex().upper(), ant, rssi, 0x3000),
    epc_bytes,
    st.integers(1, 4),
    st.integers(-90, -20),
)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(edges)]


@SETTINGS
@given(st.sampled_from(sorted(PARSERS)), st.lists(st.binary(max_size=300), max_size=20))
def test_random_chunks_never_crash_and_buffer_stays_bounded(name: str, chunks: list[bytes]) -> None:
    parser = PARSERS[name]()
    for chunk in chunks:
        for event in parser.feed(chunk):
            assert isinstance(event, KNOWN)
        assert parser.buffered <= 300 + 262  # at most one pending candidate frame plus the chunk


@SETTINGS
@given(
    st.sampled_from(["mercury", "r2000", "r200"]),
    st.lists(tag_reads, min_size=1, max_size=15),
    st.lists(st.integers(0, 10_000), max_size=30),
)
def test_splitting_or_merging_chunks_does_not_change_events(
    protocol: str, reads: list[TagRead], cuts: list[int]
) -> None:
    stream = b"".join(_encode(protocol, r) for r in reads)
    whole = PARSERS[protocol]().feed(stream)
    parser = PARSERS[protocol]()
    pieces = [e for chunk in _chunks(stream, cuts) for e in parser.feed(chunk)]
    assert pieces == whole
    single_antenna = protocol == "r200"
    assert [(e.epc, e.antenna, e.rssi) for e in whole if isinstance(e, TagRead)] == [
        (r.epc, 1 if single_antenna else r.antenna, r.rssi) for r in reads
    ]


@SETTINGS
@given(
    st.sampled_from(["mercury", "r2000", "r200"]),
    st.binary(min_size=1, max_size=400),
    st.lists(tag_reads, min_size=25, max_size=30),
    st.lists(st.integers(0, 10_000), max_size=20),
)
def test_valid_frames_after_garbage_are_parsed_again(
    protocol: str, garbage: bytes, reads: list[TagRead], cuts: list[int]
) -> None:
    frames = [_encode(protocol, r) for r in reads]
    stream = garbage + b"".join(frames)
    parser = PARSERS[protocol]()
    events = [e for chunk in _chunks(stream, cuts) for e in parser.feed(chunk)]
    got = [e.epc for e in events if isinstance(e, TagRead)]
    # A bogus frame that starts in the garbage can swallow at most one maximum frame length
    # (Mercury 262 bytes, R2000 257, R200 262); every frame that
    # starts beyond that reach must come out, in order.
    reach = len(garbage) + 262
    offset = len(garbage)
    must_have = []
    for frame, read in zip(frames, reads, strict=True):
        if offset >= reach:
            must_have.append(read.epc)
        offset += len(frame)
    assert got[len(got) - len(must_have) :] == must_have
