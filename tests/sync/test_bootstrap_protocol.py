"""The bootstrap protocol core (``sync.bootstrap``): pages and the resumable cursor."""

from __future__ import annotations

import base64

import pytest
import zstandard

from sync.bootstrap import SECTIONS, Cursor, decode_page, encode_page, join_key, page_answer, split_key
from sync.errors import MalformedOp

HEADER = {"hlc": "1700000000000.0000.cloud", "totals": {"catalog": 3, "prices": 3, "customers": 1}}


def test_a_page_round_trips_and_is_small() -> None:
    rows = [{"sku": f"S{n:06d}", "name": f"linen mug {n % 7}", "cents": 100 + n % 50} for n in range(2000)]
    text = encode_page(rows)
    assert decode_page(text) == rows
    assert len(text) < 2000 * 6  # columnar + zstd: a few bytes per row for such rows
    assert decode_page(encode_page([])) == []


@pytest.mark.parametrize(
    "text",
    [
        "not base64!",
        base64.b64encode(b"not zstd").decode(),
        base64.b64encode(zstandard.ZstdCompressor().compress(b"[1, 2]")).decode(),
        base64.b64encode(zstandard.ZstdCompressor().compress(b'{"k": ["a", "b"], "c": [[1]]}')).decode(),
        base64.b64encode(
            zstandard.ZstdCompressor().compress(b'{"k": ["a", "b"], "c": [[1], [1, 2]]}')
        ).decode(),
    ],
)
def test_a_malformed_page_is_refused(text: str) -> None:
    with pytest.raises(MalformedOp):
        decode_page(text)


def test_the_cursor_goes_section_by_section_and_resumes_from_its_json() -> None:
    fresh = Cursor()  # before bootstrap.open answered: what /health shows
    assert fresh.progress()["phase"] == "not opened" and not fresh.selling and fresh.request(10) is None
    cursor = Cursor.opened(HEADER)
    assert cursor.request(500) == {"section": "catalog", "after": "", "limit": 500}
    cursor.advance("catalog", 2, "S000002")
    assert cursor.request(500) == {"section": "catalog", "after": "S000002", "limit": 500}
    restored = Cursor.from_json(cursor.to_json())  # a restart: the saved cursor
    restored.advance("catalog", 1, None)
    assert not restored.selling
    restored.advance("prices", 3, None)
    assert restored.selling and not restored.complete
    for section in SECTIONS[2:]:
        restored.advance(section, 0, None)
    assert restored.complete and restored.request(500) is None
    assert restored.progress()["percent"] == 100.0


def test_a_header_without_totals_is_refused_and_limits_are_capped() -> None:
    with pytest.raises(MalformedOp):
        Cursor.opened({"hlc": "x"})
    assert Cursor.opened(HEADER).request(10**9)["limit"] == 20_000  # type: ignore[index]


def test_page_answer_and_composite_keys() -> None:
    assert page_answer([{"a": 1}], "k1", limit=1)["next"] == "k1"  # a full page: maybe more
    assert page_answer([{"a": 1}], "k1", limit=2)["next"] is None  # a short page: the end
    assert split_key(join_key("12", "S1")) == ("12", "S1")
    assert split_key("") == ("", "")
