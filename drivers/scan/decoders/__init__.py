"""Decoder adapters: numpy image in, ``list[Decoded]`` out; library objects never leave them."""

from drivers.scan.decoders.base import Decoder, Image, to_gray
from drivers.scan.decoders.opencv import OpenCvBarcodeDecoder, OpenCvQrDecoder
from drivers.scan.decoders.zbar import ZbarDecoder
from drivers.scan.decoders.zxing import ZxingDecoder

__all__ = [
    "Decoder",
    "Image",
    "OpenCvBarcodeDecoder",
    "OpenCvQrDecoder",
    "ZbarDecoder",
    "ZxingDecoder",
    "to_gray",
]
