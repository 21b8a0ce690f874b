"""What a scanned text means: typed payloads and the pure classifier that produces them."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from drivers import gs1, tokens
from drivers.scan.model import EAN_UPC, Symbology

_GS1_SYMBOLOGIES = frozenset({Symbology.DATABAR, Symbology.DATABAR_EXPANDED, Symbology.DATABAR_LIMITED})
# digits of the main symbol as decoders report it (zxing-cpp gives UPC-A and UPC-E as 13 digits)
_MAIN_LENGTHS = {
    Symbology.EAN13: (13, 12),
    Symbology.UPCA: (12, 13),
    Symbology.UPCE: (8, 13),
    Symbology.EAN8: (8,),
}
# AIM symbology identifiers (ISO/IEC 15424) that serial scanners may prefix: "]" code modifier
_AIM = re.compile(r"^\]([A-Za-z])([0-9A-Za-z])")
_AIM_GS1 = frozenset({"C1", "e0", "d2", "Q3", "J1"})  # FNC1 in first position: GS1 data
_AIM_SYMBOLOGY = {
    "E": Symbology.EAN13,
    "C": Symbology.CODE128,
    "I": Symbology.ITF,
    "e": Symbology.DATABAR,
    "d": Symbology.DATAMATRIX,
    "Q": Symbology.QR,
    "A": Symbology.CODE39,
    "G": Symbology.CODE93,
    "F": Symbology.CODABAR,
    "L": Symbology.PDF417,
    "z": Symbology.AZTEC,
}


@dataclass(frozen=True, slots=True)
class ProductCode:
    """An EAN-13/EAN-8/UPC-A/UPC-E/ITF-14 product code, as GTIN-14 with a verified check digit."""

    kind: ClassVar[str] = "gtin"
    gtin: str
    add_on: str = ""


@dataclass(frozen=True, slots=True)
class Gs1DigitalLink:
    """A GS1 Digital Link URI (any domain) with its GTIN and the other AIs it carries."""

    kind: ClassVar[str] = "gs1_digital_link"
    uri: str
    gtin: str
    elements: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Gs1ElementString:
    """A GS1 element string (DataBar, GS1-128, GS1 DataMatrix/QR) as AI → value."""

    kind: ClassVar[str] = "gs1_element_string"
    elements: dict[str, str]
    gtin: str | None = None


@dataclass(frozen=True, slots=True)
class LoyaltyCard:
    kind: ClassVar[str] = "loyalty_card"
    card_id: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class PickupOrder:
    kind: ClassVar[str] = "pickup_order"
    order_id: str
    store_id: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class RejectedToken:
    """A Vitrine token that failed verification (forged, altered, expired, unknown key…)."""

    kind: ClassVar[str] = "rejected_token"
    token_kind: str
    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class Unknown:
    kind: ClassVar[str] = "unknown"
    text: str
    message: str


Payload = (
    ProductCode | Gs1DigitalLink | Gs1ElementString | LoyaltyCard | PickupOrder | RejectedToken | Unknown
)


def payload_as_dict(payload: Payload) -> dict[str, Any]:
    """JSON-ready form with a ``kind`` discriminator."""
    return {"kind": payload.kind, **asdict(payload)}


def classify(
    text: str,
    *,
    symbology: Symbology | None = None,
    keyring: tokens.Keyring | None = None,
    now: float = 0.0,
) -> Payload:
    """Classify one scan. Never raises: anything unrecognised is :class:`Unknown` with a message.

    ``symbology`` (when the decoder knows it) disambiguates; serial scanners give plain text,
    possibly prefixed with an AIM symbology identifier (``]E0``, ``]C1``…), which is used the same way.
    ``keyring`` and ``now`` (epoch seconds) verify Vitrine tokens.
    """
    stripped = text.strip("\r\n\t ")
    if not stripped:
        return Unknown(text, "empty scan")
    aim = _AIM.match(stripped)
    if aim:
        code, modifier = aim.groups()
        stripped = stripped[3:]
        if code + modifier in _AIM_GS1:
            return _element_string(stripped) if stripped else Unknown(text, "empty GS1 scan")
        if symbology is None:
            symbology = Symbology.EAN8 if code + modifier == "E4" else _AIM_SYMBOLOGY.get(code)
        if not stripped:
            return Unknown(text, "empty scan after the symbology identifier")
    kind = tokens.token_kind(stripped)
    if kind is not None:
        return _token(stripped, kind, keyring, now)
    if symbology in EAN_UPC or symbology is Symbology.ITF:
        return _product(stripped, symbology)
    if stripped.lower().startswith(("http://", "https://")):
        return _digital_link(stripped)
    if symbology in _GS1_SYMBOLOGIES or _looks_like_element_string(stripped):
        return _element_string(stripped)
    if stripped.isascii() and stripped.isdigit() and len(stripped) in (8, 12, 13, 14):
        return _product(stripped, symbology)
    return Unknown(text, "not a product code, GS1 Digital Link or element string, or Vitrine token")


def _looks_like_element_string(text: str) -> bool:
    return gs1.GS in text or text.startswith("(") or (text.isascii() and text.isdigit() and len(text) > 14)


def _product(text: str, symbology: Symbology | None) -> Payload:
    try:
        if symbology is Symbology.ITF:
            if len(text) != 14:
                return Unknown(text, f"ITF of {len(text)} digits is not an ITF-14 GTIN")
            return ProductCode(gs1.to_gtin14(text))
        if symbology not in _MAIN_LENGTHS:
            return ProductCode(gs1.to_gtin14(text))
        gtin, add_on = gs1.split_ean_upc(text, _MAIN_LENGTHS[symbology], upce=symbology is Symbology.UPCE)
    except gs1.Gs1Error as err:
        return Unknown(text, f"not a valid GTIN: {err}")
    return ProductCode(gtin, add_on)


def _digital_link(text: str) -> Payload:
    try:
        link = gs1.parse_digital_link(text)
    except gs1.Gs1Error as err:
        return Unknown(text, f"URL is not a GS1 Digital Link: {err}")
    return Gs1DigitalLink(link.uri, link.gtin, link.elements.as_dict)


def _element_string(text: str) -> Payload:
    try:
        parsed = gs1.parse_hri(text) if text.startswith("(") else gs1.parse_element_string(text)
    except gs1.Gs1Error as err:
        return Unknown(text, f"not a valid GS1 element string: {err}")
    return Gs1ElementString(parsed.as_dict, parsed.gtin)


def _token(text: str, kind: tokens.TokenKind, keyring: tokens.Keyring | None, now: float) -> Payload:
    try:
        claims = tokens.verify_token(text, keyring, now=now)
    except tokens.TokenRejected as err:
        return RejectedToken(kind.name.lower(), err.reason.value, str(err))
    if isinstance(claims, tokens.LoyaltyClaims):
        return LoyaltyCard(claims.card_id, claims.expires_at)
    return PickupOrder(claims.order_id, claims.store_id, claims.expires_at)
