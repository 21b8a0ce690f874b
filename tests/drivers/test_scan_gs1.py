"""GS1 identifiers through biip: EAN/UPC → GTIN-14, element strings, Digital Link, clear errors."""

from __future__ import annotations

import pytest

from drivers import gs1


@pytest.mark.parametrize(
    ("code", "gtin"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("036602301467", "00036602301467"),  # UPC-A
        ("96385074", "00000096385074"),  # EAN-8
        ("10614141000019", "10614141000019"),  # GTIN-14 (ITF-14)
    ],
)
def test_to_gtin14(code: str, gtin: str) -> None:
    assert gs1.to_gtin14(code) == gtin


def test_upce_expands_per_its_last_digit() -> None:
    assert gs1.expand_upce("04252614") == "042100005264"  # last digit 2: manufacturer 3 digits
    assert gs1.expand_upce("01234505") == "012000003455"  # last digit 0: manufacturer 2 digits + 0
    assert gs1.expand_upce("06543273") == "065432000073"  # last digit 5..9: item digit only
    assert gs1.expand_upce("06543240") == "065430000020"  # last digit 4
    assert gs1.upce_to_gtin14("04963406") == "00049000006346"  # last digit 3
    with pytest.raises(gs1.Gs1Error, match="check digit"):
        gs1.upce_to_gtin14("04963407")


@pytest.mark.parametrize("bad", ["4006381333932", "40063813339", "400638133393a", "", "12345"])
def test_to_gtin14_rejects(bad: str) -> None:
    with pytest.raises(gs1.Gs1Error):
        gs1.to_gtin14(bad)


def test_split_add_on() -> None:
    assert gs1.split_ean_upc("978073520044951299") == ("09780735200449", "51299")
    assert gs1.split_ean_upc("002454313653800", (13,)) == ("00024543136538", "00")
    with pytest.raises(gs1.Gs1Error):
        gs1.split_ean_upc("9780735200449512", (13,))  # 3-digit add-on does not exist


def test_element_string_with_fixed_and_variable_fields() -> None:
    parsed = gs1.parse_element_string("]d20109504000059101" + "2112345678p901\x1d" + "101234567p\x1d17141120")
    assert parsed.elements == (
        ("01", "09504000059101"),
        ("21", "12345678p901"),
        ("10", "1234567p"),
        ("17", "141120"),
    )
    assert parsed.gtin == "09504000059101"
    assert parsed.to_hri() == "(01)09504000059101(21)12345678p901(10)1234567p(17)141120"


def test_element_string_measure_and_no_separator_after_predefined_length() -> None:
    assert gs1.parse_element_string("11100224171102243102000100").as_dict == {
        "11": "100224",
        "17": "110224",
        "3102": "000100",
    }


def test_parenthesised_form() -> None:
    assert gs1.parse_hri("(01)09506000134352(17)250100(10)AB-1").as_dict == {
        "01": "09506000134352",
        "17": "250100",
        "10": "AB-1",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0109506000134353", "check digit"),
        ("01095060001343", r"AI \(01\) pattern"),
        ("0109506000134352171313", r"AI \(17\) pattern"),
        ("010950600013435217131301", r"AI \(17\) pattern"),  # month 13
        ("9A", "Application Identifier"),
        ("0109506000134352" + "10" + "X" * 21, "Application Identifier from 'X'"),  # 21 > 20 characters
        ("(01)09506000134352(01)09506000134352", "twice"),
        ("(01)09506000134352junk(", "malformed"),
    ],
)
def test_element_string_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(gs1.Gs1Error, match=message):
        gs1.parse_hri(text) if text.startswith("(") else gs1.parse_element_string(text)


def test_gs1_date_day_zero_is_accepted() -> None:
    assert gs1.parse_hri("(01)09506000134352(17)240200").get("17") == "240200"  # end of February


def test_digital_link_any_domain_with_qualifiers_and_query() -> None:
    link = gs1.parse_digital_link(
        "https://shop.example.com/p/01/9506000134352/10/AB%2F12/21/XYZ?17=271231&linkType=all"
    )
    assert link.gtin == "09506000134352"
    assert link.elements.as_dict == {"01": "09506000134352", "10": "AB/12", "21": "XYZ", "17": "271231"}


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://id.gs1.org/01/09506000134353", "check digit"),
        ("https://id.gs1.org/product/123", "primary identifier"),
        ("https://id.gs1.org/01/12", "check digit"),
        ("https://id.gs1.org/01/09506000134352/10", "even number of path segments"),
        ("https://id.gs1.org/01/09506000134352/17/271231", "as qualifier"),
        ("ftp://id.gs1.org/01/09506000134352", "http"),
        ("https://id.gs1.org/01/09506000134352?17=271399", r"AI \(17\) pattern"),
    ],
)
def test_digital_link_rejections(uri: str, message: str) -> None:
    with pytest.raises(gs1.Gs1Error, match=message):
        gs1.parse_digital_link(uri)
