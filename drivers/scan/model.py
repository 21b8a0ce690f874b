"""The scanner's vocabulary: what a decoder reports, independent of the library that decoded it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Symbology(StrEnum):
    """Barcode families a decoder can report; ``OTHER`` for anything outside the retail set."""

    EAN13 = "ean13"
    EAN8 = "ean8"
    UPCA = "upca"
    UPCE = "upce"
    QR = "qr"
    MICRO_QR = "micro_qr"
    DATAMATRIX = "datamatrix"
    CODE128 = "code128"
    ITF = "itf"
    DATABAR = "databar"
    DATABAR_EXPANDED = "databar_expanded"
    DATABAR_LIMITED = "databar_limited"
    CODE39 = "code39"
    CODE93 = "code93"
    CODABAR = "codabar"
    PDF417 = "pdf417"
    AZTEC = "aztec"
    OTHER = "other"


EAN_UPC = frozenset({Symbology.EAN13, Symbology.EAN8, Symbology.UPCA, Symbology.UPCE})


@dataclass(frozen=True, slots=True)
class Decoded:
    """One symbol found in an image.

    ``text`` is the symbol's content. GS1 symbols (DataBar, GS1-128, GS1 DataMatrix/QR) carry their
    element string with ``\\x1d`` (GS) between variable-length fields and no symbology identifier.
    EAN/UPC carry their digits as printed (UPC-A 12, UPC-E 8, EAN-13 13), followed directly by a
    2- or 5-digit add-on when one was read.
    """

    symbology: Symbology
    text: str
