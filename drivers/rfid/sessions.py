"""Protocol sessions: which commands bring a reader up, keep it reading and stop it.

A session pairs a protocol core (parser) with the command sequence of that protocol; it is pure
(no I/O): it returns frames to write, the reader loop writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from drivers.errors import ConfigError
from drivers.rfid import mercury, r2000
from drivers.rfid.events import InventoryRoundEnd, RfidEvent
from drivers.rfid.framing import FramedParser
from drivers.rfid.llrp_client import LlrpOptions, LlrpSession

ProtocolName = Literal["mercury", "r2000", "llrp"]


@dataclass(frozen=True, slots=True)
class ReaderSettings:
    reader_id: str
    protocol: ProtocolName
    url: str
    antennas: tuple[int, ...] = (1,)
    baudrate: int = 115200
    region: str | None = None
    power_dbm: float | None = None
    llrp: LlrpOptions | None = None
    """LLRP only: ROSpec id, keepalive period, tags per report (defaults when None)."""


class Parser(Protocol):
    def feed(self, data: bytes | bytearray | memoryview) -> list[RfidEvent]: ...


class ProtocolSession(Protocol):
    @property
    def parser(self) -> Parser: ...

    def startup(self) -> list[bytes]: ...

    def on_events(self, events: Sequence[RfidEvent], now: float) -> list[bytes]: ...

    def shutdown(self) -> list[bytes]: ...


class MercurySession:
    """Region, power, antenna list, then continuous reading; the reader streams until stopped."""

    def __init__(self, settings: ReaderSettings) -> None:
        self.settings = settings
        self.parser: FramedParser = mercury.MercuryParser()
        try:
            self._region = mercury.Region[settings.region.upper()] if settings.region else None
        except KeyError as err:
            raise ConfigError(f"unknown Mercury region {settings.region!r}") from err

    def startup(self) -> list[bytes]:
        self.parser = mercury.MercuryParser()
        frames = [mercury.stop_inventory()]
        if self._region is not None:
            frames.append(mercury.set_region(self._region))
        if self.settings.power_dbm is not None:
            frames.append(mercury.set_read_power(self.settings.power_dbm))
        frames.append(mercury.set_antennas(self.settings.antennas))
        frames.append(mercury.start_inventory())
        return frames

    def on_events(self, events: Sequence[RfidEvent], now: float) -> list[bytes]:
        return []

    def shutdown(self) -> list[bytes]:
        return [mercury.stop_inventory()]


class R2000Session:
    """No continuous mode: select an antenna, run a round, on its summary move to the next antenna.

    A round whose summary never comes (lost frame) is re-issued after ``round_timeout_s``.
    """

    def __init__(self, settings: ReaderSettings, round_timeout_s: float = 1.0) -> None:
        self.settings = settings
        self.parser: FramedParser = r2000.R2000Parser()
        self._round_timeout = round_timeout_s
        self._next = 0
        self._round_started = 0.0
        try:
            self._region = r2000.FrequencyRegion[settings.region.upper()] if settings.region else None
        except KeyError as err:
            raise ConfigError(f"unknown R2000 region {settings.region!r}") from err

    def _round(self, now: float) -> list[bytes]:
        antennas = self.settings.antennas
        antenna = antennas[self._next % len(antennas)]
        self._next += 1
        self._round_started = now
        return [r2000.set_work_antenna(antenna), r2000.real_time_inventory(1)]

    def startup(self) -> list[bytes]:
        self.parser = r2000.R2000Parser()
        frames = []
        if self._region is not None:
            frames.append(r2000.set_frequency_region(self._region, 0, 49 if self._region == 1 else 6))
        if self.settings.power_dbm is not None:
            frames.append(r2000.set_output_power(round(self.settings.power_dbm)))
        self._round_started = 0.0
        return frames + self._round(0.0)

    def on_events(self, events: Sequence[RfidEvent], now: float) -> list[bytes]:
        if any(isinstance(e, InventoryRoundEnd) for e in events):
            return self._round(now)
        if self._round_started and now - self._round_started > self._round_timeout:
            return self._round(now)
        if not self._round_started:
            self._round_started = now
        return []

    def shutdown(self) -> list[bytes]:
        return []


def make_session(settings: ReaderSettings) -> ProtocolSession:
    if settings.protocol == "mercury":
        return MercurySession(settings)
    if settings.protocol == "r2000":
        return R2000Session(settings)
    if settings.protocol == "llrp":
        return LlrpSession(settings.antennas, settings.power_dbm, settings.llrp)
    raise ConfigError(f"unknown reader protocol {settings.protocol!r}")
