"""Scanner profiles (``firmware-config/scanners/*.toml``): typed, validated, turned into scanners.

A profile::

    id = "kiosk-1-camera"          # device id carried by every scan event
    kind = "camera"                # camera | serial
    url = "sim-codes://?code=4006381333931&format=EAN13&size=640x480&blank=5&loop=1"
    dedup_window_s = 2.0           # same text within this window → one event
    route = "kiosk:kiosk-1"        # not used by drivers: kept in ``extra`` for the device hub
    [decoder]                      # camera only, optional
    chain = ["zxing", "zbar@scale0.5"]   # default: the shipped chain
    budget_ms = 25.0
    [serial]                       # serial only, optional
    baudrate = 9600
    terminators = "\\r\\n"          # any of these bytes ends a scan
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.errors import ConfigError
from drivers.scan.capture import open_camera
from drivers.scan.chain import DEFAULT_BUDGET_MS, chain_from_spec, default_chain
from drivers.scan.confirm import KnownProduct
from drivers.scan.pipeline import ScanPipeline
from drivers.scan.scanners import CameraScanner, SerialScanner
from drivers.scan.serial_port import SerialLineSource
from drivers.tokens import Keyring

_KNOWN = {"id", "kind", "url", "dedup_window_s", "decoder", "serial"}


@dataclass(frozen=True)
class ScannerProfile:
    id: str
    kind: str
    url: str
    dedup_window_s: float = 2.0
    chain: tuple[str, ...] | None = None
    budget_ms: float | None = DEFAULT_BUDGET_MS
    baudrate: int = 9600
    terminators: bytes = b"\r\n"
    extra: dict[str, Any] = field(default_factory=dict)


def _require(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise ConfigError(f"{where}: '{key}' must be a {kind.__name__}, got {value!r}")
    return value


def parse_profile(data: dict[str, Any], *, where: str = "scanner profile") -> ScannerProfile:
    profile_id = _require(data, "id", str, where)
    kind = _require(data, "kind", str, where)
    if kind not in ("camera", "serial"):
        raise ConfigError(f"{where}: kind must be 'camera' or 'serial', got {kind!r}")
    url = _require(data, "url", str, where)
    window = data.get("dedup_window_s", 2.0)
    if not isinstance(window, int | float) or isinstance(window, bool) or window < 0:
        raise ConfigError(f"{where}: dedup_window_s must be a number >= 0, got {window!r}")
    decoder = data.get("decoder", {})
    serial = data.get("serial", {})
    if not isinstance(decoder, dict) or not isinstance(serial, dict):
        raise ConfigError(f"{where}: [decoder] and [serial] must be tables")
    chain = decoder.get("chain")
    if chain is not None and (not isinstance(chain, list) or not all(isinstance(s, str) for s in chain)):
        raise ConfigError(f"{where}: decoder.chain must be a list of step strings")
    budget = decoder.get("budget_ms", DEFAULT_BUDGET_MS)
    if budget is not None and (not isinstance(budget, int | float) or budget <= 0):
        raise ConfigError(f"{where}: decoder.budget_ms must be a positive number")
    baudrate = serial.get("baudrate", 9600)
    terminators = serial.get("terminators", "\r\n")
    if not isinstance(baudrate, int) or baudrate <= 0:
        raise ConfigError(f"{where}: serial.baudrate must be a positive integer")
    if not isinstance(terminators, str) or not terminators or not terminators.isascii():
        raise ConfigError(f"{where}: serial.terminators must be a non-empty ASCII string")
    return ScannerProfile(
        id=profile_id,
        kind=kind,
        url=url,
        dedup_window_s=float(window),
        chain=tuple(chain) if chain else None,
        budget_ms=float(budget) if budget is not None else None,
        baudrate=baudrate,
        terminators=terminators.encode("ascii"),
        extra={k: v for k, v in data.items() if k not in _KNOWN},
    )


def load_profile(path: Path) -> ScannerProfile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read scanner profile {path}: {err}") from err
    return parse_profile(data, where=str(path))


def load_profiles(folder: Path) -> list[ScannerProfile]:
    """Every ``*.toml`` of ``folder`` (sorted by name); duplicate ids are an error."""
    profiles = [load_profile(p) for p in sorted(folder.glob("*.toml"))]
    ids = [p.id for p in profiles]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"duplicate scanner ids in {folder}: {duplicates}")
    return profiles


def build_scanner(
    profile: ScannerProfile,
    *,
    keyring: Keyring | None = None,
    base_dir: Path | None = None,
    known_product: KnownProduct | None = None,
) -> CameraScanner | SerialScanner:
    """Open the profile's transport and wire it to a pipeline. Raises ``DriverError`` subclasses.

    ``known_product`` (GTIN-14 → in the store's catalog?) confirms what the decoder chain's
    fallback steps find (see :mod:`drivers.scan.chain`)."""
    if profile.kind == "camera":
        chain = (
            chain_from_spec(profile.chain, budget_ms=profile.budget_ms, known_product=known_product)
            if profile.chain
            else default_chain(budget_ms=profile.budget_ms, known_product=known_product)
        )
        pipeline = ScanPipeline(
            profile.id, decoder=chain, dedup_window_s=profile.dedup_window_s, keyring=keyring
        )
        return CameraScanner(open_camera(profile.url, base_dir=base_dir), pipeline)
    pipeline = ScanPipeline(profile.id, dedup_window_s=profile.dedup_window_s, keyring=keyring)
    source = SerialLineSource(profile.url, baudrate=profile.baudrate, terminators=profile.terminators)
    source.open()
    return SerialScanner(source, pipeline)
