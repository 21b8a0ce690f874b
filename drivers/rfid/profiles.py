"""RFID reader profiles and site settings (``firmware-config/readers/*.toml``, ``firmware-config/rfid.toml``).

A reader profile::

    id = "backroom-dock"                  # reader id in health and tag events
    protocol = "mercury"                  # mercury | r2000 | llrp
    url = "vitrinesim://backroom-dock?antennas=4"   # device path or pyserial URL (simulator);
                                          # llrp: llrp://host[:5084] or llrp-sim://name?... (simulator)
    baudrate = 115200
    region = "EU3"                        # optional, protocol region name
    power_dbm = 27.0                      # optional
    [llrp]                                # llrp only, optional
    keepalive_ms = 5000                   # reader → client keepalive period
    report_every = 1                      # tags per RO_ACCESS_REPORT
    [antennas]                            # antenna port → zone (ports not listed are not used)
    1 = "shelf-a"
    4 = "exit"

Site settings (``rfid.toml``): ``[tags]`` → :class:`drivers.tags.TagTimers` fields;
``[loss_prevention] exit_zones = [...]``, ``sale_window_s``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from drivers.errors import ConfigError
from drivers.rfid.llrp_client import LlrpOptions
from drivers.rfid.sessions import ReaderSettings
from drivers.tags import TagTimers

ZONE_PATTERN = re.compile(r"^[a-z0-9_-]{1,32}$")
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_KNOWN = {"id", "protocol", "url", "baudrate", "region", "power_dbm", "antennas", "llrp"}
_LLRP_KNOWN = {"keepalive_ms", "report_every", "rospec_id"}


@dataclass(frozen=True, slots=True)
class ReaderProfile:
    settings: ReaderSettings
    zones: dict[int, str]

    @property
    def reader_id(self) -> str:
        return self.settings.reader_id


@dataclass(frozen=True, slots=True)
class RfidSite:
    timers: TagTimers
    exit_zones: frozenset[str]
    sale_window_s: float = 900.0


def parse_reader(data: dict[str, Any], where: str = "reader profile") -> ReaderProfile:
    unknown = set(data) - _KNOWN
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}")
    reader_id = data.get("id")
    if not isinstance(reader_id, str) or not ID_PATTERN.match(reader_id):
        raise ConfigError(f"{where}: 'id' must be 1-64 chars of letters, digits, _ . -")
    protocol = data.get("protocol")
    if protocol not in ("mercury", "r2000", "llrp"):
        raise ConfigError(f"{where}: 'protocol' must be 'mercury', 'r2000' or 'llrp', got {protocol!r}")
    url = data.get("url")
    if not isinstance(url, str) or not url:
        raise ConfigError(f"{where}: 'url' must be a device path or pyserial URL")
    network = url.lower().startswith(("llrp://", "llrp-sim://"))
    if network != (protocol == "llrp"):
        raise ConfigError(f"{where}: protocol 'llrp' goes with an llrp:// or llrp-sim:// url, and only it")
    llrp_options = _llrp_options(data.get("llrp", {}), where)
    baudrate = data.get("baudrate", 115200)
    if not isinstance(baudrate, int) or isinstance(baudrate, bool) or baudrate <= 0:
        raise ConfigError(f"{where}: 'baudrate' must be a positive integer")
    region = data.get("region")
    if region is not None and not isinstance(region, str):
        raise ConfigError(f"{where}: 'region' must be a string")
    power = data.get("power_dbm")
    if power is not None and (
        not isinstance(power, int | float) or isinstance(power, bool) or not 0 <= power <= 33
    ):
        raise ConfigError(f"{where}: 'power_dbm' must be a number in 0..33")
    antennas = data.get("antennas")
    if not isinstance(antennas, dict) or not antennas:
        raise ConfigError(f"{where}: [antennas] must map antenna ports to zones")
    zones: dict[int, str] = {}
    for port, zone in antennas.items():
        if not str(port).isdigit() or not 1 <= int(port) <= 15:
            raise ConfigError(f"{where}: antenna port {port!r} must be 1..15")
        if not isinstance(zone, str) or not ZONE_PATTERN.match(zone):
            raise ConfigError(f"{where}: zone {zone!r} must match {ZONE_PATTERN.pattern}")
        zones[int(port)] = zone
    settings = ReaderSettings(
        reader_id=reader_id,
        protocol=protocol,
        url=url,
        antennas=tuple(sorted(zones)),
        baudrate=baudrate,
        region=region,
        power_dbm=float(power) if power is not None else None,
        llrp=llrp_options,
    )
    return ReaderProfile(settings, zones)


def _llrp_options(table: Any, where: str) -> LlrpOptions | None:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [llrp] must be a table")
    unknown = set(table) - _LLRP_KNOWN
    if unknown:
        raise ConfigError(f"{where}: unknown [llrp] keys {sorted(unknown)}")
    if any(not isinstance(v, int) or isinstance(v, bool) or v < 0 for v in table.values()):
        raise ConfigError(f"{where}: [llrp] values must be non-negative integers")
    if table.get("rospec_id") == 0:
        raise ConfigError(f"{where}: llrp.rospec_id must be at least 1")
    return LlrpOptions(**table) if table else None


def parse_site(data: dict[str, Any], where: str = "rfid site settings") -> RfidSite:
    tags = data.get("tags", {})
    lp = data.get("loss_prevention", {})
    if not isinstance(tags, dict) or not isinstance(lp, dict):
        raise ConfigError(f"{where}: [tags] and [loss_prevention] must be tables")
    allowed = {f.name for f in fields(TagTimers)}
    unknown = set(tags) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown [tags] keys {sorted(unknown)}")
    if any(not isinstance(v, int | float) or isinstance(v, bool) for v in tags.values()):
        raise ConfigError(f"{where}: [tags] values must be numbers")
    timers = TagTimers(**tags)
    exits = lp.get("exit_zones", ["exit"])
    if not isinstance(exits, list) or not all(isinstance(z, str) and ZONE_PATTERN.match(z) for z in exits):
        raise ConfigError(f"{where}: loss_prevention.exit_zones must be a list of zone names")
    window = lp.get("sale_window_s", 900.0)
    if not isinstance(window, int | float) or isinstance(window, bool) or window <= 0:
        raise ConfigError(f"{where}: loss_prevention.sale_window_s must be a positive number")
    return RfidSite(timers, frozenset(exits), float(window))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {path}: {err}") from err


def load_readers(folder: Path) -> list[ReaderProfile]:
    """Every ``*.toml`` in ``folder`` (sorted); a missing folder means no readers; duplicate ids fail."""
    if not folder.is_dir():
        return []
    profiles = [parse_reader(_read_toml(p), str(p)) for p in sorted(folder.glob("*.toml"))]
    ids = [p.reader_id for p in profiles]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ConfigError(f"duplicate reader ids in {folder}: {duplicates}")
    return profiles


def load_site(path: Path) -> RfidSite:
    """Site settings from ``path``; defaults when the file does not exist."""
    if not path.exists():
        return parse_site({})
    return parse_site(_read_toml(path), str(path))
