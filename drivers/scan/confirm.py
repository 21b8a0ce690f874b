"""What confirms a decode: the product a symbol names (GTIN-14, through ``biip``) and its identity key.

A fallback step's symbol is accepted only when a second decoder library reads the same content, or
when it is a product code from a symbology with a check digit and the caller's catalog knows the
product. Agreement compares identity keys, so a UPC-A read as its EAN-13 form (leading 0) or a UPC-E
read as its 8 digits or its expanded 13 agree. ``biip`` types never leave this module.
"""

from __future__ import annotations

from collections.abc import Callable

from biip import ParseError
from biip.gtin import Gtin
from biip.upc import Upc

from drivers import gs1
from drivers.scan.model import EAN_UPC, Decoded, Symbology

KnownProduct = Callable[[str], bool]
"""GTIN-14 → whether it names a product of the store's catalog (injected by the caller)."""

CHECKED = EAN_UPC | frozenset(
    {
        Symbology.DATABAR,
        Symbology.DATABAR_EXPANDED,
        Symbology.DATABAR_LIMITED,
        Symbology.CODE128,
        Symbology.CODE93,
        Symbology.QR,
        Symbology.MICRO_QR,
        Symbology.DATAMATRIX,
        Symbology.PDF417,
        Symbology.AZTEC,
    }
)
"""Symbologies that carry a check digit or error correction; the others (ITF, Code 39, Codabar…)
are confirmed only by a second decoder."""

_ADD_ON_LENGTHS = (0, 2, 5)


def ean_upc_gtin(text: str, *, upce: bool = False) -> tuple[str, str] | None:
    """EAN/UPC digits as a decoder or a corpus writes them (8, 12, 13 or 14 digits, maybe + a 2- or
    5-digit add-on) → ``(GTIN-14, add-on)``; an 8-digit main part is UPC-E when ``upce``; ``None``
    when no split gives a valid GTIN."""
    if not text.isascii() or not text.isdigit():
        return None
    for main_len in (14, 13, 12, 8):
        main, add_on = text[:main_len], text[main_len:]
        if len(main) != main_len or len(add_on) not in _ADD_ON_LENGTHS:
            continue
        try:
            if main_len == 8 and upce:
                return Upc.parse(main).as_gtin_14(), add_on
            return Gtin.parse(main).as_gtin_14(), add_on
        except ParseError:
            continue
    return None


def product_gtin(symbol: Decoded) -> str | None:
    """The GTIN-14 a symbol names: EAN/UPC digits, or AI (01) of a GS1 element string."""
    if symbol.symbology in EAN_UPC:
        found = ean_upc_gtin(symbol.text, upce=symbol.symbology is Symbology.UPCE)
        return found[0] if found else None
    if symbol.symbology not in CHECKED:
        return None
    try:
        gtin = gs1.parse_element_string(symbol.text).gtin
    except gs1.Gs1Error:
        return None
    if gtin is None:
        return None
    try:
        return Gtin.parse(gtin).as_gtin_14()
    except ParseError:
        return None


def identity(symbol: Decoded) -> tuple[str, str]:
    """Two decodes agree when their identities are equal."""
    if symbol.symbology in EAN_UPC:
        found = ean_upc_gtin(symbol.text, upce=symbol.symbology is Symbology.UPCE)
        if found is not None:
            return "gtin", f"{found[0]}+{found[1]}"
    return symbol.symbology.value, symbol.text


def catalog_confirms(symbol: Decoded, known_product: KnownProduct | None) -> bool:
    """True when ``known_product`` says the symbol's product code names a product."""
    if known_product is None or symbol.symbology not in CHECKED:
        return False
    gtin = product_gtin(symbol)
    return gtin is not None and known_product(gtin)
