"""Payload classification: examples and properties (hypothesis)."""

from __future__ import annotations

import string

from biip.checksums import gs1_standard_check_digit
from biip.upc import Upc
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers import gs1
from drivers.scan import (
    Gs1DigitalLink,
    Gs1ElementString,
    ProductCode,
    Symbology,
    Unknown,
    classify,
    payload_as_dict,
)


def test_examples() -> None:
    assert classify("4006381333931") == ProductCode("04006381333931")
    assert classify("0036602301467", symbology=Symbology.UPCE) == ProductCode("00036602301467")
    assert classify("04963406", symbology=Symbology.UPCE) == ProductCode("00049000006346")
    assert classify("978073520044951299", symbology=Symbology.EAN13) == ProductCode("09780735200449", "51299")
    assert classify("10614141000019", symbology=Symbology.ITF) == ProductCode("10614141000019")
    link = classify("https://id.gs1.org/01/09506000134352/21/S1?17=271231")
    assert isinstance(link, Gs1DigitalLink) and link.gtin == "09506000134352"
    assert link.elements["21"] == "S1" and link.elements["17"] == "271231"
    element = classify("]C1010950600013435215271231\x1d10LOT7")
    assert element == Gs1ElementString(
        {"01": "09506000134352", "15": "271231", "10": "LOT7"}, "09506000134352"
    )
    assert classify("0104412345678909", symbology=Symbology.DATABAR) == Gs1ElementString(
        {"01": "04412345678909"}, "04412345678909"
    )
    assert payload_as_dict(ProductCode("04006381333931")) == {
        "kind": "gtin",
        "gtin": "04006381333931",
        "add_on": "",
    }


def test_unknowns_carry_a_message() -> None:
    for text, fragment in [
        ("", "empty"),
        ("hello world", "not a product code"),
        ("4006381333932", "check digit"),
        ("https://example.com/menu", "not a GS1 Digital Link"),
        ("(01)123", "element string"),
    ]:
        payload = classify(text)
        assert isinstance(payload, Unknown), text
        assert fragment in payload.message, (text, payload.message)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80) | st.binary(max_size=80).map(lambda b: b.decode("latin-1")))
def test_random_strings_never_crash(text: str) -> None:
    for symbology in (None, Symbology.EAN13, Symbology.UPCE, Symbology.ITF, Symbology.DATABAR, Symbology.QR):
        payload = classify(text, symbology=symbology)
        assert payload.kind in {"gtin", "gs1_digital_link", "gs1_element_string", "rejected_token", "unknown"}


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["", "(01)", "01", "]C1", "https://id.gs1.org/01/", "VTL1.", "VTP1."]),
    st.text(alphabet=string.printable + "\x1d", max_size=60),
)
def test_near_miss_strings_never_crash(prefix: str, rest: str) -> None:
    classify(prefix + rest)


def check_digit(body: str) -> str:
    return str(gs1_standard_check_digit(body))


def is_gtin(code: str) -> bool:
    try:
        return gs1.to_gtin14(code) == code.zfill(14)
    except gs1.Gs1Error:
        return False


gtin_bodies = st.integers(min_value=0, max_value=10**13 - 1).map(lambda n: str(n).zfill(13))


@given(gtin_bodies)
def test_valid_gtins_round_trip_in_every_length(body: str) -> None:
    gtin14 = body + check_digit(body)
    assert classify(gtin14) == ProductCode(gtin14)
    for length in (13, 12, 8):
        if gtin14[: 14 - length] == "0" * (14 - length):
            assert classify(gtin14[14 - length :]) == ProductCode(gtin14)
    link = classify(f"https://id.gs1.org/01/{gtin14}")
    assert isinstance(link, Gs1DigitalLink) and link.gtin == gtin14
    assert classify(f"(01){gtin14}") == Gs1ElementString({"01": gtin14}, gtin14)


@given(gtin_bodies, st.integers(min_value=0, max_value=13), st.integers(min_value=1, max_value=9))
def test_one_digit_corruption_is_always_rejected(body: str, position: int, delta: int) -> None:
    gtin14 = body + check_digit(body)
    corrupted = gtin14[:position] + str((int(gtin14[position]) + delta) % 10) + gtin14[position + 1 :]
    assert not is_gtin(corrupted)
    assert isinstance(classify(corrupted), Unknown)
    assert isinstance(classify(corrupted[1:], symbology=Symbology.EAN13), Unknown) or corrupted[0] != "0"
    assert isinstance(classify(f"https://id.gs1.org/01/{corrupted}"), Unknown)


@given(st.integers(min_value=0, max_value=10**6 - 1), st.sampled_from("01"))
def test_upce_expansion_is_consistent(number: int, system: str) -> None:
    upc = Upc.parse(system + str(number).zfill(6))  # 7 digits: biip adds the check digit
    upce, upca = upc.as_upc_e(), upc.as_upc_a()
    assert gs1.expand_upce(upce) == upca
    assert classify(upce, symbology=Symbology.UPCE) == ProductCode(upca.zfill(14))


@given(st.text(alphabet="0123456789", max_size=20), st.sampled_from([None, *Symbology]))
def test_digit_strings_with_any_symbology_never_crash(digits: str, symbology: Symbology | None) -> None:
    payload = classify(digits, symbology=symbology)
    if isinstance(payload, ProductCode):
        assert is_gtin(payload.gtin)


@given(
    st.sampled_from(["]E0", "]E3", "]E4", "]C0", "]C1", "]e0", "]d2", "]Q1", "]Q3", "]I0", "]X9"]),
    st.text(alphabet=string.digits + string.ascii_letters + "\x1d/:.()", max_size=40),
    st.sampled_from([None, *Symbology]),
)
def test_aim_prefixed_strings_never_crash(prefix: str, rest: str, symbology: Symbology | None) -> None:
    classify(prefix + rest, symbology=symbology)


def test_aim_symbology_identifiers_from_serial_scanners() -> None:
    assert classify("]E04006381333931") == ProductCode("04006381333931")
    assert classify("]E496385074") == ProductCode("00000096385074")
    assert classify("]E3978073520044951299") == ProductCode("09780735200449", "51299")
    assert classify("]I010614141000019") == ProductCode("10614141000019")
    assert classify("]e00104412345678909") == Gs1ElementString({"01": "04412345678909"}, "04412345678909")
    link = classify("]Q1https://id.gs1.org/01/09506000134352")
    assert isinstance(link, Gs1DigitalLink)
    assert isinstance(classify("]d2"), Unknown)
