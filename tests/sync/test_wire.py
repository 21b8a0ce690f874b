from __future__ import annotations

import json

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sync.errors import MalformedOp, UnsupportedVersion
from sync.ops import Op
from sync.testing.workload import make_ops
from sync.wire import Ack, BatchCodec, decode_ack, encode_ack

bodies = st.dictionaries(
    st.sampled_from(["sku", "qty", "x", "zone"]),
    st.one_of(st.integers(-10, 10), st.text(max_size=5), st.none()),
)


@given(
    st.lists(
        st.tuples(
            st.integers(1, 3),
            st.integers(0, 5000),
            st.integers(0, 9999),
            st.sampled_from(["stock.delta", "sale.recorded"]),
            bodies,
        ),
        min_size=1,
        max_size=30,
    )
)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_roundtrip(rows: list) -> None:
    seq, wall, ops = 0, 1_700_000_000_000, []
    for step, dwall, counter, kind, body in rows:
        seq += step
        wall += dwall
        ops.append(Op("store-1", seq, f"{wall:013d}.{counter:04d}.store-1", kind, body))
    codec = BatchCodec()
    batch = codec.decode(codec.encode("store-1", ops))
    assert list(batch.ops) == ops and batch.origin == "store-1"


def test_typical_ops_are_small_on_the_wire() -> None:
    ops = make_ops("store-001", 1, 5000, seed=3)
    codec = BatchCodec()
    size = sum(len(codec.encode("store-001", ops[i : i + 1000])) for i in range(0, 5000, 1000))
    assert size / 5000 <= 40


def _frame(doc: object) -> bytes:
    from sync import wire

    return (
        wire.MAGIC
        + bytes([wire.FORMAT_V1])
        + zstandard.ZstdCompressor(dict_data=wire._DICT).compress(json.dumps(doc).encode())
    )


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"garbage",
        b"VB\x09xx",
        b"VB\x01notzstd",
        _frame([1, 2]),
        _frame({"o": "s", "s": 1}),
        _frame(
            {
                "o": "s",
                "s": 0,
                "w": 1,
                "dw": [],
                "c": [0],
                "n": "s",
                "t": [0],
                "v": 1,
                "k": [["qty"]],
                "b": [[0, 1]],
            }
        ),
        _frame(
            {
                "o": "s",
                "s": 1,
                "w": 1,
                "dw": [],
                "c": [0],
                "n": "s",
                "t": ["nope"],
                "v": 1,
                "k": [["a"]],
                "b": [[0, 1]],
            }
        ),
        _frame(
            {
                "o": "s",
                "s": 1,
                "w": 1,
                "dw": [],
                "c": [0],
                "n": "s",
                "t": [0],
                "v": 1,
                "k": [["a"]],
                "b": [[3, 1]],
            }
        ),
        _frame(
            {
                "o": "s",
                "s": 1,
                "w": 1,
                "dw": [5],
                "c": [0],
                "n": "s",
                "t": [0],
                "v": 1,
                "k": [["a"]],
                "b": [[0, 1]],
            }
        ),
        _frame(
            {
                "o": "s/x",
                "s": 1,
                "w": 1,
                "dw": [],
                "c": [0],
                "n": "s",
                "t": [0],
                "v": 1,
                "k": [["a"]],
                "b": [[0, 1]],
            }
        ),
    ],
)
def test_malformed_frames_raise(frame: bytes) -> None:
    with pytest.raises(MalformedOp):
        BatchCodec().decode(frame)


def test_unsupported_version_is_refused() -> None:
    doc = {
        "o": "s",
        "s": 1,
        "w": 1,
        "dw": [],
        "c": [0],
        "n": "s",
        "t": [0],
        "v": 99,
        "k": [["a"]],
        "b": [[0, 1]],
    }
    with pytest.raises(UnsupportedVersion):
        BatchCodec().decode(_frame(doc))


def test_ack_roundtrip_and_validation() -> None:
    assert decode_ack(encode_ack(Ack("s1", 7, True))) == Ack("s1", 7, True)
    for bad in (b"{", b"[]", b'{"o":"s","h":-1}', b'{"o":1,"h":2}'):
        with pytest.raises(MalformedOp):
            decode_ack(bad)
