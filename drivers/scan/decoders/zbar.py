"""ZBar through pyzbar's ctypes bindings.

``pyzbar.decode`` is not used: with current libzbar it raises for symbols whose orientation is
unknown, so this adapter walks the symbol list itself and reads only type and data.
"""

from __future__ import annotations

from ctypes import c_char_p, c_void_p, cast, string_at

from drivers.errors import DriverError
from drivers.scan.decoders.base import Image, to_gray
from drivers.scan.model import Decoded, Symbology

# libzbar's zbar_symbol_type_t values
_SYMBOLOGY = {
    13: Symbology.EAN13,
    8: Symbology.EAN8,
    12: Symbology.UPCA,
    9: Symbology.UPCE,
    25: Symbology.ITF,
    34: Symbology.DATABAR,
    35: Symbology.DATABAR_EXPANDED,
    128: Symbology.CODE128,
    64: Symbology.QR,
    39: Symbology.CODE39,
    93: Symbology.CODE93,
    38: Symbology.CODABAR,
    57: Symbology.PDF417,
}
_RETAIL_TYPES = (13, 8, 12, 9, 25, 34, 35, 128, 64)
_FOURCC_Y800 = 0x30303859  # 'Y800': 8-bit grayscale
_CFG_ENABLE = 0


class ZbarDecoder:
    """ZBar restricted to the retail symbologies (EAN/UPC, ITF, DataBar, Code 128, QR)."""

    name = "pyzbar"

    def __init__(self) -> None:
        try:
            from pyzbar import wrapper
        except (ImportError, OSError) as err:
            raise DriverError(f"pyzbar/libzbar unavailable: {err}") from err
        self._w = wrapper
        self._scanner = wrapper.zbar_image_scanner_create()
        if not self._scanner:
            raise DriverError("libzbar could not create an image scanner")
        wrapper.zbar_image_scanner_set_config(self._scanner, 0, _CFG_ENABLE, 0)  # 0 = every type
        for symbol_type in _RETAIL_TYPES:
            wrapper.zbar_image_scanner_set_config(self._scanner, symbol_type, _CFG_ENABLE, 1)

    def close(self) -> None:
        """Free libzbar's scanner (also done when the decoder is garbage-collected)."""
        if getattr(self, "_scanner", None):
            self._w.zbar_image_scanner_destroy(self._scanner)
            self._scanner = None

    def __del__(self) -> None:
        self.close()

    def decode(self, image: Image) -> list[Decoded]:
        if not self._scanner:
            raise DriverError("this ZBar decoder is closed")
        gray = to_gray(image)
        height, width = gray.shape
        if height < 2 or width < 2:
            return []
        w = self._w
        pixels = gray.tobytes()
        zimage = w.zbar_image_create()
        if not zimage:
            raise DriverError("libzbar could not create an image")
        try:
            w.zbar_image_set_format(zimage, _FOURCC_Y800)
            w.zbar_image_set_size(zimage, width, height)
            w.zbar_image_set_data(zimage, cast(c_char_p(pixels), c_void_p), len(pixels), None)
            if w.zbar_scan_image(self._scanner, zimage) < 0:
                raise DriverError("libzbar rejected the image format")
            found: list[Decoded] = []
            symbol = w.zbar_image_first_symbol(zimage)
            while symbol:
                data = string_at(w.zbar_symbol_get_data(symbol), w.zbar_symbol_get_data_length(symbol))
                symbology = _SYMBOLOGY.get(symbol.contents.type, Symbology.OTHER)
                found.append(Decoded(symbology, data.decode("utf-8", errors="replace")))
                symbol = w.zbar_symbol_next(symbol)
            return found
        finally:
            w.zbar_image_destroy(zimage)
