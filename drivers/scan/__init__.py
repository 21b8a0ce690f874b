"""Barcode/QR scanning: camera and serial scanners, decoding, classification, scan events.

Public API (what the device hub uses)::

    from drivers.scan import load_profiles, build_scanner
    for profile in load_profiles(Path("firmware-config/scanners")):
        scanner = build_scanner(profile, keyring=keyring)   # CameraScanner | SerialScanner
        ...
        for event in scanner.poll():                         # list[ScanEvent]
            event.device_id, event.text, event.payload       # payload: ProductCode, Gs1DigitalLink, ...

Lower layers (pure, usable alone): :func:`classify`, :class:`ScanPipeline`, :class:`Deduplicator`,
:class:`LineFramer`, :func:`default_chain`. See docs/devices.md, "Barcode and QR scanners".
"""

from drivers.scan.capture import FrameSource, open_camera
from drivers.scan.chain import DecoderChain, Step, chain_from_spec, default_chain
from drivers.scan.dedup import Deduplicator
from drivers.scan.framing import LineFramer, LineTooLong, ScanLine
from drivers.scan.model import Decoded, Symbology
from drivers.scan.payloads import (
    Gs1DigitalLink,
    Gs1ElementString,
    LoyaltyCard,
    Payload,
    PickupOrder,
    ProductCode,
    RejectedToken,
    Unknown,
    classify,
    payload_as_dict,
)
from drivers.scan.pipeline import ScanEvent, ScanPipeline
from drivers.scan.profiles import ScannerProfile, build_scanner, load_profile, load_profiles, parse_profile
from drivers.scan.scanners import CameraScanner, SerialScanner
from drivers.scan.serial_port import SerialLineSource

__all__ = [
    "CameraScanner",
    "Decoded",
    "DecoderChain",
    "Deduplicator",
    "FrameSource",
    "Gs1DigitalLink",
    "Gs1ElementString",
    "LineFramer",
    "LineTooLong",
    "LoyaltyCard",
    "Payload",
    "PickupOrder",
    "ProductCode",
    "RejectedToken",
    "ScanEvent",
    "ScanLine",
    "ScanPipeline",
    "ScannerProfile",
    "SerialLineSource",
    "SerialScanner",
    "Step",
    "Symbology",
    "Unknown",
    "build_scanner",
    "chain_from_spec",
    "classify",
    "default_chain",
    "load_profile",
    "load_profiles",
    "open_camera",
    "parse_profile",
    "payload_as_dict",
]
