"""GS1 identifiers for the scan classifier: EAN/UPC → GTIN-14, element strings, Digital Link URIs.

A thin boundary over ``biip`` (Apache-2.0), the one GS1 implementation of the project: check digits,
the AI table, dates and Digital Link syntax are biip's; no ``biip`` type leaves this module. Every
rejection raises :class:`Gs1Error` with a message that says what is wrong. (``drivers`` imports
nothing of ours, so it cannot use ``sync.gtin``; both delegate to the same library.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import biip
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.gtin import Gtin
from biip.upc import Upc

from drivers.errors import DriverError

GS = "\x1d"
_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_KEYS_WITH_CHECK_DIGIT = frozenset({"00", "01", "02"})


class Gs1Error(DriverError):
    """A string is not a valid GS1 identifier, element string or Digital Link."""


# --- GTINs ------------------------------------------------------------------------------------------


def to_gtin14(code: str) -> str:
    """EAN-8, UPC-A, EAN-13 or GTIN-14 → GTIN-14 (UPC-E: :func:`upce_to_gtin14`).

    The check digit is verified; a wrong one raises :class:`Gs1Error`.
    """
    if not code.isascii() or not code.isdigit():
        raise Gs1Error(f"a GTIN is digits only, got {code!r}")
    if len(code) not in (8, 12, 13, 14):
        raise Gs1Error(f"a GTIN has 8, 12, 13 or 14 digits, got {len(code)}")
    try:
        return Gtin.parse(code).as_gtin_14()
    except biip.ParseError as err:
        raise Gs1Error(str(err)) from err


def expand_upce(upce: str) -> str:
    """UPC-E (8 digits: number system, 6 data, check) → the 12-digit UPC-A it abbreviates."""
    return _upce(upce).as_upc_a()


def upce_to_gtin14(upce: str) -> str:
    """A UPC-E symbol's 8 digits → GTIN-14 of the expanded UPC-A, check digit verified."""
    return _upce(upce).as_gtin_14()


def _upce(upce: str) -> Upc:
    if len(upce) != 8 or not upce.isascii() or not upce.isdigit():
        raise Gs1Error(f"UPC-E must be 8 digits, got {upce!r}")
    try:
        return Upc.parse(upce)
    except biip.ParseError as err:
        raise Gs1Error(str(err)) from err


def split_ean_upc(
    text: str, main_lengths: tuple[int, ...] = (13, 12, 8), *, upce: bool = False
) -> tuple[str, str]:
    """EAN/UPC digits as a decoder reports them, optionally followed by a 2- or 5-digit add-on →
    ``(GTIN-14, add-on)``. The main part is tried at each of ``main_lengths`` in order (a decoder's
    symbology tells which are possible); an 8-digit main part is UPC-E when ``upce`` is set, EAN-8
    otherwise. The check digit is verified."""
    if not text.isascii() or not text.isdigit():
        raise Gs1Error(f"EAN/UPC content is digits only, got {text!r}")
    for main_len in main_lengths:
        main, addon = text[:main_len], text[main_len:]
        if len(main) != main_len or len(addon) not in (0, 2, 5):
            continue
        try:
            gtin = upce_to_gtin14(main) if upce and main_len == 8 else to_gtin14(main)
        except Gs1Error:
            continue
        return gtin, addon
    raise Gs1Error(f"{text} is not a valid EAN/UPC of {'/'.join(map(str, main_lengths))} digits (+ add-on)")


# --- element strings -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ElementString:
    """Parsed GS1 element string: AIs in the order they appeared (each AI at most once)."""

    elements: tuple[tuple[str, str], ...]

    def get(self, ai: str) -> str | None:
        return next((v for a, v in self.elements if a == ai), None)

    @property
    def gtin(self) -> str | None:
        return self.get("01")

    @property
    def as_dict(self) -> dict[str, str]:
        return dict(self.elements)

    def to_hri(self) -> str:
        """Human-readable form, e.g. ``(01)09501101530003(17)250101(10)AB1``."""
        return "".join(f"({ai}){value}" for ai, value in self.elements)


def _checked(found: Iterable[GS1ElementString]) -> ElementString:
    """biip parses and validates formats and dates; a wrong check digit and a repeated AI are
    reported by it without raising, so they are refused here."""
    elements: list[tuple[str, str]] = []
    seen: set[str] = set()
    for element in found:
        ai = element.ai.ai
        if ai in seen:
            raise Gs1Error(f"AI ({ai}) appears twice")
        seen.add(ai)
        error = element.gtin_error or element.sscc_error
        if ai in _KEYS_WITH_CHECK_DIGIT and error:
            raise Gs1Error(f"AI ({ai}) {element.value}: {error} (check digit is wrong)")
        elements.append((ai, element.value))
    if not elements:
        raise Gs1Error("no GS1 element in the string")
    return ElementString(tuple(elements))


def parse_element_string(text: str) -> ElementString:
    """Raw form: AIs concatenated, variable-length fields ended by GS (``\\x1d``) unless last. A
    leading AIM symbology identifier (``]C1``, ``]e0``, ``]d2``, ``]Q3``) or GS is ignored."""
    body = _AIM_PREFIX.sub("", text, count=1).lstrip(GS)
    if not body:
        raise Gs1Error("no GS1 element in the string")
    try:
        message = GS1Message.parse(body)
    except biip.ParseError as err:
        raise Gs1Error(f"not a valid GS1 element string: {err}") from err
    return _checked(message.element_strings)


def parse_hri(text: str) -> ElementString:
    """The parenthesised form: ``(01)09501101530003(17)250101(10)AB-123``."""
    stripped = text.strip()
    if not stripped.startswith("("):
        raise Gs1Error("a parenthesised element string starts with '('")
    try:
        message = GS1Message.parse_hri(stripped)
    except biip.ParseError as err:
        raise Gs1Error(f"malformed parenthesised element string: {err}") from err
    return _checked(message.element_strings)


# --- Digital Link ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A GS1 Digital Link URI reduced to its element string (primary key 01 + qualifiers + data)."""

    uri: str
    elements: ElementString

    @property
    def gtin(self) -> str:
        gtin = self.elements.gtin
        assert gtin is not None  # the parser requires AI 01
        return gtin


def parse_digital_link(uri: str) -> DigitalLink:
    """``https://<any domain>[/<path prefix>]/01/<gtin>[/22/..][/10/..][/21/..][?17=YYMMDD&...]``.

    The GTIN may be given as GTIN-8/12/13/14 and is padded to 14 digits; its check digit is verified.
    """
    try:
        link = GS1DigitalLinkURI.parse(uri.strip())
    except biip.ParseError as err:
        raise Gs1Error(f"not a GS1 Digital Link: {err}") from err
    elements = _checked(link.element_strings)
    if elements.gtin is None:
        raise Gs1Error("no /01/{gtin} primary key in the URI path")
    return DigitalLink(uri, elements)
