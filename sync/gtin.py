"""The canonical product identifier of the replicated vocabulary: the GTIN-14.

Every GTIN travels in ops, is stored and is answered by APIs as 14 digits. Any form a scanner or a
person produces reaches it through :func:`canonical_gtin`, which delegates GS1 parsing to ``biip``
(Apache-2.0): UPC-A, UPC-E, EAN-8, EAN-13, GTIN-14, a GS1 Digital Link URI, or an element string
carrying AI (01), with or without parentheses. ``biip`` types never leave this module.
"""

from __future__ import annotations

import hashlib

import biip
from biip.gs1_messages import GS1Message

from sync.errors import SyncError

GTIN_LENGTH = 14
# GS1 prefixes 20-29 are reserved for restricted in-store numbering: synthetic codes never collide
# with a manufacturer's GTIN.
SYNTHETIC_PREFIX = "20"


class InvalidGtin(SyncError, ValueError):
    """The text is not a GTIN in any form GS1 defines (or its check digit is wrong)."""


def canonical_gtin(text: str, *, symbology: str | None = None) -> str:
    """Return ``text`` as a GTIN-14, or raise :class:`InvalidGtin` saying why.

    ``symbology`` ("upc-e", "ean-8", ...) settles the one real ambiguity: an 8-digit code is
    read as EAN-8 unless the scanner says it was a UPC-E symbol.
    """
    value = str(text).strip()
    if not value:
        raise InvalidGtin("empty product code")
    if symbology and symbology.lower().replace("_", "-") in {"upc-e", "upce"} and value.isdigit():
        return _upc_e(value)
    if value.startswith("("):
        return _from_message(value, hri=True)
    try:
        result = biip.parse(value)
    except biip.ParseError as err:
        raise InvalidGtin(_reason(value, err)) from err
    if result.gtin is not None and result.gtin_error is None:
        return result.gtin.as_gtin_14()
    for source in (result.gs1_digital_link_uri, result.gs1_message):
        if source is not None:
            found = _gtin_of(source.element_strings)
            if found is not None:
                return found
    raise InvalidGtin(_reason(value, None))


def try_canonical_gtin(text: str, *, symbology: str | None = None) -> str | None:
    """:func:`canonical_gtin`, or ``None`` for text that is not a GTIN."""
    try:
        return canonical_gtin(text, symbology=symbology)
    except InvalidGtin:
        return None


def is_canonical(text: str) -> bool:
    """True when ``text`` is already a valid GTIN-14 (the stored form)."""
    return len(text) == GTIN_LENGTH and text.isdigit() and try_canonical_gtin(text) == text


def check_digit(body: str) -> str:
    """The GS1 mod-10 check digit for ``body`` (a GTIN without its last digit)."""
    from biip.checksums import gs1_standard_check_digit

    if not body.isdigit():
        raise InvalidGtin(f"a GTIN has digits only: {body!r}")
    return str(gs1_standard_check_digit(body))


def synthetic_gtin(stock_code: str) -> str:
    """A deterministic, valid GTIN-14 for a retailer stock code that has no GTIN (prefix 20)."""
    digest = hashlib.sha256(stock_code.encode()).hexdigest()
    body = "0" + SYNTHETIC_PREFIX + str(int(digest[:16], 16) % 10**10).zfill(10)
    return body + check_digit(body)


def _upc_e(value: str) -> str:
    from biip.upc import Upc

    try:
        return Upc.parse(value).as_gtin_14()
    except biip.ParseError as err:
        raise InvalidGtin(_reason(value, err)) from err


def _from_message(value: str, *, hri: bool) -> str:
    try:
        message = GS1Message.parse_hri(value) if hri else GS1Message.parse(value)
    except biip.ParseError as err:
        raise InvalidGtin(_reason(value, err)) from err
    found = _gtin_of(message.element_strings)
    if found is None:
        raise InvalidGtin(f"{value!r} carries no GTIN (AI 01)")
    return found


def _gtin_of(element_strings: object) -> str | None:
    for element in element_strings:  # type: ignore[attr-defined]
        if element.ai.ai == "01" and element.gtin is not None:
            return str(element.gtin.as_gtin_14())
    return None


def _reason(value: str, err: Exception | None) -> str:
    if value.isdigit() and len(value) in (8, 12, 13, 14):
        return f"{value!r} has a wrong GS1 check digit"
    detail = f": {err}" if err else ""
    return f"{value!r} is not a GTIN, GS1 Digital Link or AI (01) element string{detail}"
