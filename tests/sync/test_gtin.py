"""The vocabulary's canonical GTIN: every form a scanner or a person produces → one GTIN-14."""

from __future__ import annotations

import pytest

from sync.gtin import (
    InvalidGtin,
    canonical_gtin,
    check_digit,
    is_canonical,
    synthetic_gtin,
    try_canonical_gtin,
)


@pytest.mark.parametrize(
    ("text", "symbology", "gtin"),
    [
        ("042100005264", None, "00042100005264"),  # UPC-A
        ("04252614", "upc-e", "00042100005264"),  # UPC-E, the scanner says so
        ("04252614", "UPCE", "00042100005264"),
        ("0042100005264", None, "00042100005264"),  # EAN-13
        ("96385074", None, "00000096385074"),  # EAN-8 (an 8-digit code without a hint)
        ("10614141000019", None, "10614141000019"),  # GTIN-14 (ITF-14)
        (" 4006381333931\n", None, "04006381333931"),
        ("https://id.gs1.org/01/4006381333931", None, "04006381333931"),
        ("https://shop.example.com/p/01/04006381333931/10/AB/21/9?17=271231", None, "04006381333931"),
        ("(01)04006381333931", None, "04006381333931"),
        ("(01)04006381333931(17)271231(10)AB-1", None, "04006381333931"),
        ("0104006381333931", None, "04006381333931"),
        ("010400638133393110AB-1\x1d17271231", None, "04006381333931"),
        ("]C10104006381333931", None, "04006381333931"),
    ],
)
def test_every_form_maps_to_one_gtin14(text: str, symbology: str | None, gtin: str) -> None:
    assert canonical_gtin(text, symbology=symbology) == gtin
    assert is_canonical(gtin)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("4006381333932", "wrong GS1 check digit"),
        ("(01)04006381333932", "check digit|GTIN"),
        ("https://id.gs1.org/01/04006381333932", "GTIN|check digit"),
        ("", "empty"),
        ("85123A", "not a GTIN"),
        ("(10)AB-1", "no GTIN"),
        ("12345", "not a GTIN"),
    ],
)
def test_what_is_no_gtin_says_why(text: str, reason: str) -> None:
    with pytest.raises(InvalidGtin, match=reason):
        canonical_gtin(text)
    assert try_canonical_gtin(text) is None


def test_only_the_14_digit_form_is_canonical() -> None:
    assert is_canonical("04006381333931")
    assert not is_canonical("4006381333931")
    assert not is_canonical("04006381333932")


def test_synthetic_gtins_are_valid_in_store_gtin14s_and_deterministic() -> None:
    codes = {synthetic_gtin(f"SKU-{n}") for n in range(2000)}
    assert len(codes) == 2000
    assert all(is_canonical(code) and code.startswith("020") for code in codes)
    assert synthetic_gtin("85123A") == synthetic_gtin("85123A")
    assert check_digit("0400638133393") == "1"
