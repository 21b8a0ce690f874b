"""The strict body decoder shared by both APIs: what it refuses, what it lets through untouched, and
that ``json_safe`` always yields something the JSON encoder can write as UTF-8."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.strict_input import check_body, json_safe

JSON = "application/json"


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (b'{"a":NaN}', JSON, 422, "NaN is not a JSON number"),
        (b'{"a":-Infinity}', JSON, 422, "-Infinity is not a JSON number"),
        (b'{"a":1e309}', "application/merge-patch+json", 422, "out of range"),
        (b'{"a":' + b"1" * 5000 + b"}", JSON, 422, "too many digits"),
        (b"[" * 100_000 + b"]" * 100_000, JSON, 422, "nested too deeply"),
        (b'{"a":[1,{"b":"\\ud800"}]}', JSON, 422, "body.a[1].b contains a lone UTF-16 surrogate"),
        (b'{"\\udfff":1}', JSON, 422, "a key of body contains a lone"),
        (b'{"a":"\xff"}', JSON, 400, "not valid UTF-8 (byte 0xff at offset 6)"),
        (b"sku\n\xed\xa0\x80\n", "text/csv", 400, "not valid UTF-8"),
        (b"sku\n\xe9\n", "text/csv; charset=ISO-8859-1", 415, "charset 'iso-8859-1'"),
    ],
)
def test_refused_with_a_message_that_says_what_to_send(
    body: bytes, content_type: str, status: int, words: str
) -> None:
    rejection = check_body(body, content_type)
    assert rejection is not None
    assert rejection.status == status
    assert words in rejection.detail
    assert "send" in rejection.detail or "flatten" in rejection.detail


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"a":"\\ud83d\\ude00","b":1.5e308,"c":-3}', JSON),  # a paired surrogate is one emoji
        (b'{"a":', JSON),  # plain syntax errors are the framework's 422
        (b"\xff\xfe", "application/octet-stream"),  # not ours to judge
        (b"\xff\xfe", None),
        (b"", JSON),
        ("café,thé\n".encode(), "text/csv; charset=utf-8"),
    ],
)
def test_passed_through(body: bytes, content_type: str | None) -> None:
    assert check_body(body, content_type) is None


json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(st.characters(codec=None)),
    st.binary(max_size=8),
)
values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(st.text(st.characters(codec=None), max_size=4), inner, max_size=4),
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(values)
def test_json_safe_always_encodes(value: Any) -> None:
    text = json.dumps(json_safe(value), allow_nan=False, ensure_ascii=False)
    text.encode("utf-8")


def test_json_safe_keeps_what_was_already_safe() -> None:
    value = {"loc": ["body", "qty"], "input": 3, "ok": "café", "none": None}
    assert json_safe(value) == value
    assert json_safe(math.inf) == "inf"
    assert json_safe("a\ud800") == "a\\ud800"
    assert json_safe(ValueError("bad \udfff")) == "bad \\udfff"
