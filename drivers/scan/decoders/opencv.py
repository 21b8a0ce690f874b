"""OpenCV's QR code detector and (when built in) its 1D barcode detector."""

from __future__ import annotations

from typing import Any

from drivers.errors import DriverError
from drivers.scan.decoders.base import Image, to_gray
from drivers.scan.model import Decoded, Symbology

_BARCODE_TYPES = {
    "EAN_13": Symbology.EAN13,
    "EAN_8": Symbology.EAN8,
    "UPC_A": Symbology.UPCA,
    "UPC_E": Symbology.UPCE,
}


class OpenCvQrDecoder:
    """``cv2.QRCodeDetector`` (multi-code detection and decoding)."""

    name = "opencv-qr"

    def __init__(self) -> None:
        import cv2

        self._cv2 = cv2
        self._detector: Any = cv2.QRCodeDetector()

    def decode(self, image: Image) -> list[Decoded]:
        gray = to_gray(image)
        if min(gray.shape) < 21:  # smaller than a version-1 symbol at one pixel per module
            return []
        try:
            ok, texts, _points, _straight = self._detector.detectAndDecodeMulti(gray)
        except self._cv2.error as err:
            raise DriverError(f"OpenCV QR detector failed: {err}") from err
        if not ok:
            return []
        return [Decoded(Symbology.QR, text) for text in texts if text]


class OpenCvBarcodeDecoder:
    """``cv2.barcode.BarcodeDetector`` (EAN/UPC only)."""

    name = "opencv-barcode"

    def __init__(self) -> None:
        import cv2

        if not hasattr(cv2, "barcode"):
            raise DriverError("this OpenCV build has no barcode module")
        self._cv2 = cv2
        self._detector: Any = cv2.barcode.BarcodeDetector()

    def decode(self, image: Image) -> list[Decoded]:
        gray = to_gray(image)
        if min(gray.shape) < 8:
            return []
        try:
            ok, texts, types, _points = self._detector.detectAndDecodeWithType(gray)
        except self._cv2.error as err:
            raise DriverError(f"OpenCV barcode detector failed: {err}") from err
        if not ok:
            return []
        return [
            Decoded(_BARCODE_TYPES.get(kind, Symbology.OTHER), text)
            for text, kind in zip(texts, types, strict=False)
            if text
        ]
