"""zxing-cpp (the ``zxingcpp`` wheel)."""

from __future__ import annotations

from typing import Any

from drivers.errors import DriverError
from drivers.scan.decoders.base import Image, to_gray
from drivers.scan.model import Decoded, Symbology

_SYMBOLOGY = {
    "EAN13": Symbology.EAN13,
    "ISBN": Symbology.EAN13,
    "EAN8": Symbology.EAN8,
    "UPCA": Symbology.UPCA,
    "UPCE": Symbology.UPCE,
    "QRCode": Symbology.QR,
    "QRCodeModel1": Symbology.QR,
    "QRCodeModel2": Symbology.QR,
    "MicroQRCode": Symbology.MICRO_QR,
    "DataMatrix": Symbology.DATAMATRIX,
    "Code128": Symbology.CODE128,
    "ITF": Symbology.ITF,
    "ITF14": Symbology.ITF,
    "DataBar": Symbology.DATABAR,
    "DataBarOmni": Symbology.DATABAR,
    "DataBarStk": Symbology.DATABAR,
    "DataBarStkOmni": Symbology.DATABAR,
    "DataBarExp": Symbology.DATABAR_EXPANDED,
    "DataBarExpStk": Symbology.DATABAR_EXPANDED,
    "DataBarLtd": Symbology.DATABAR_LIMITED,
    "Code39": Symbology.CODE39,
    "Code39Std": Symbology.CODE39,
    "Code39Ext": Symbology.CODE39,
    "Code93": Symbology.CODE93,
    "Codabar": Symbology.CODABAR,
    "PDF417": Symbology.PDF417,
    "Aztec": Symbology.AZTEC,
}

RETAIL_FORMATS = (
    "EAN13,EAN8,UPCA,UPCE,QRCode,MicroQRCode,DataMatrix,Code128,ITF,DataBar,DataBarExp,DataBarLtd"
)


def _format_name(fmt: Any) -> str:
    return str(getattr(fmt, "name", fmt))


class ZxingDecoder:
    """zxing-cpp; by default the library's own defaults (every format, HRI text).

    ``retail=True`` restricts it to the retail formats, reads EAN/UPC add-ons and returns plain text
    (GS1 element strings with GS separators) — the configuration the default chain uses.
    ``plain_text=True`` only switches the text to plain (as ``retail`` does) keeping other defaults.
    ``fast=True`` turns off zxing's internal rotation/downscale/inversion retries.
    """

    def __init__(
        self, *, retail: bool = False, fast: bool = False, plain_text: bool = False, name: str | None = None
    ) -> None:
        try:
            import zxingcpp
        except ImportError as err:
            raise DriverError(f"zxing-cpp unavailable: {err}") from err
        self._zx = zxingcpp
        self.name = name or ("zxing-cpp" + ("/retail" if retail else "") + ("/fast" if fast else ""))
        self._options: dict[str, Any] = {}
        if retail:
            self._options.update(
                formats=zxingcpp.barcode_formats_from_str(RETAIL_FORMATS),
                text_mode=zxingcpp.TextMode.Plain,
                ean_add_on_symbol=zxingcpp.EanAddOnSymbol.Read,
            )
        if plain_text:
            self._options["text_mode"] = zxingcpp.TextMode.Plain
        if fast:
            self._options.update(try_rotate=False, try_downscale=False, try_invert=False)

    def decode(self, image: Image) -> list[Decoded]:
        gray = to_gray(image)
        if gray.shape[0] < 2 or gray.shape[1] < 2:
            return []
        try:
            found = self._zx.read_barcodes(gray, **self._options)
        except (ValueError, RuntimeError) as err:
            raise DriverError(f"zxing-cpp failed: {err}") from err
        return [
            Decoded(_SYMBOLOGY.get(_format_name(b.format), Symbology.OTHER), b.text) for b in found if b.text
        ]
