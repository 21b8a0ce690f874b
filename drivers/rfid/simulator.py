"""A simulated UHF reader and the little store it sees, driven by an explicit clock.

The world lives in antenna space: every tag sits at one antenna's location; a zone map (outside the
simulator) names those locations. Streams are realistic: many reads per tag, several antennas with
cross-reads from neighbouring antennas (weaker), Gaussian RSSI noise, tags moving between locations,
tags leaving through the exit antenna (read there for a moment, then gone) and restocks.

:class:`SimulatedReader` speaks the reader side of the Mercury or R2000 protocol: commands in,
response and tag-record bytes out. The pyserial URL handler (``vitrinesim://name?...``, see
:mod:`drivers.rfid.sim_urls`) runs it on the real clock; tests and benchmarks drive it directly.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from drivers import epc as epc_codec
from drivers.errors import ConfigError, TransportError
from drivers.rfid import mercury, r2000
from drivers.rfid.events import Command, TagRead

SCHEME = "vitrinesim"
COMPANY_PREFIX = "0614141"
CROSS_READ_WEIGHT = 0.15
ROUND_S = 0.05
"""Air time of one simulated R2000 inventory round."""  # the GS1 documentation prefix: simulated stock is never real stock


@dataclass(frozen=True, slots=True)
class SimSpec:
    """Parameters of one simulated reader, all settable from the URL query string."""

    name: str
    protocol: Literal["mercury", "r2000"] = "mercury"
    antennas: int = 4
    exit_antenna: int = 4
    tags: int = 60
    skus: int = 12
    seed: int = 1
    speed: float = 1.0
    rate: float = 600.0
    noise_db: float = 3.0
    move_every_s: float = 15.0
    exit_every_s: float = 20.0
    exit_dwell_s: float = 2.0
    restock_every_s: float = 20.0
    serial_base: int = 1_000_000

    @classmethod
    def from_url(cls, url: str) -> SimSpec:
        """``vitrinesim://<name>?protocol=r2000&antennas=4&seed=3...``"""
        parts = urlsplit(url)
        if parts.scheme.lower() != SCHEME or not parts.netloc:
            raise ConfigError(f"not a simulator URL (expected {SCHEME}://<name>?...): {url!r}")
        known = {f.name: f for f in fields(cls)}
        values: dict[str, object] = {"name": parts.netloc}
        for key, raw in parse_qsl(parts.query, keep_blank_values=True):
            field = known.get(key)
            if field is None or key == "name":
                raise ConfigError(f"unknown simulator option {key!r} in {url!r}")
            try:
                values[key] = (
                    float(raw) if field.type == "float" else int(raw) if field.type == "int" else raw
                )
            except ValueError as err:
                raise ConfigError(f"simulator option {key}={raw!r} is not a {field.type}") from err
        spec = cls(**values)  # type: ignore[arg-type]
        if spec.protocol not in ("mercury", "r2000"):
            raise ConfigError(f"simulator protocol must be mercury or r2000, got {spec.protocol!r}")
        if spec.protocol == "r2000" and spec.antennas > 4:
            raise ConfigError("the R2000 simulator has at most 4 antennas")
        if not 1 <= spec.antennas <= 15 or not 0 <= spec.exit_antenna <= spec.antennas:
            raise ConfigError("antennas must be 1..15 and exit_antenna 0 (none)..antennas")
        if spec.speed <= 0 or spec.rate <= 0 or spec.tags < 0 or spec.skus < 1:
            raise ConfigError("speed and rate must be > 0, tags ≥ 0, skus ≥ 1")
        return spec


def sim_gtins(count: int) -> list[str]:
    """The GTIN-14s the simulated stock is labelled with (company prefix 0614141)."""
    out = []
    for item in range(count):
        body = "0" + COMPANY_PREFIX + f"{item + 1:05d}"
        out.append(body + epc_codec.gs1_check_digit(body))
    return out


def _prefix_digits(gtin14: str) -> int:
    """Company-prefix length to encode a GTIN with: the simulator's own prefix, else 7 digits."""
    return len(COMPANY_PREFIX) if gtin14[1:8] == COMPANY_PREFIX else 7


class SimWorld:
    """Tags and where they are; :meth:`advance` plays the scheduled movements up to a time."""

    def __init__(self, spec: SimSpec, start: float, gtins: Sequence[str] = ()) -> None:
        self.spec = spec
        self._rng = random.Random(spec.seed)
        self._gtins = list(gtins) or sim_gtins(spec.skus)
        self._next_serial = spec.serial_base
        self.location: dict[str, int] = {}
        self.strength: dict[str, float] = {}
        self.leaving: dict[str, float] = {}
        self.departed: list[str] = []
        self._shelves = [a for a in range(1, spec.antennas + 1) if a != spec.exit_antenna] or [1]
        for _ in range(spec.tags):
            self._add_tag(self._rng.choice(self._shelves))
        self._now = start
        self._next_move = start + spec.move_every_s
        self._next_exit = start + spec.exit_every_s
        self._next_restock = start + spec.restock_every_s
        self._visible: dict[int, tuple[list[tuple[str, float]], list[float]]] = {}

    def _add_tag(self, antenna: int) -> str:
        gtin = self._rng.choice(self._gtins)
        tag = epc_codec.encode_sgtin96(gtin, self._next_serial, _prefix_digits(gtin))
        self._next_serial += 1
        self.location[tag] = antenna
        self.strength[tag] = self._rng.uniform(-65.0, -40.0)
        return tag

    def advance(self, now: float) -> None:
        spec = self.spec
        rng = self._rng
        changed = False
        for tag, leaves_at in list(self.leaving.items()):
            if leaves_at <= now:
                del self.leaving[tag], self.location[tag]
                self.departed.append(tag)
                changed = True
        while self._next_move <= now:
            self._next_move += spec.move_every_s
            candidates = [t for t, a in self.location.items() if t not in self.leaving]
            if candidates and len(self._shelves) > 1:
                tag = rng.choice(candidates)
                self.location[tag] = rng.choice([a for a in self._shelves if a != self.location[tag]])
                changed = True
        while self._next_exit <= now:
            self._next_exit += spec.exit_every_s
            candidates = [t for t in self.location if t not in self.leaving]
            if candidates and spec.exit_antenna:
                tag = rng.choice(candidates)
                self.location[tag] = spec.exit_antenna
                self.leaving[tag] = self._next_exit - spec.exit_every_s + spec.exit_dwell_s
                changed = True
        while self._next_restock <= now:
            self._next_restock += spec.restock_every_s
            self._add_tag(rng.choice(self._shelves))
            changed = True
        if changed:
            self._visible.clear()
        self._now = now

    def visible(self, antenna: int) -> tuple[list[tuple[str, float]], list[float]]:
        """(epc, mean RSSI) of tags an antenna can read, with cumulative read weights: its own tags
        strongly, neighbouring antennas' tags 18 dB weaker and ``CROSS_READ_WEIGHT`` as often."""
        cached = self._visible.get(antenna)
        if cached is None:
            seen: list[tuple[str, float]] = []
            cumulative: list[float] = []
            total = 0.0
            for tag, where in self.location.items():
                if where == antenna:
                    seen.append((tag, self.strength[tag]))
                    total += 1.0
                elif abs(where - antenna) == 1 and self.spec.exit_antenna not in (antenna, where):
                    seen.append((tag, self.strength[tag] - 18.0))
                    total += CROSS_READ_WEIGHT
                else:
                    continue
                cumulative.append(total)
            cached = self._visible[antenna] = (seen, cumulative)
        return cached

    def reads(self, antenna: int, count: int) -> list[TagRead]:
        seen, cumulative = self.visible(antenna)
        if not seen:
            return []
        rng = self._rng
        noise = self.spec.noise_db
        out = []
        for tag, mean in rng.choices(seen, cum_weights=cumulative, k=count):
            rssi = round(rng.gauss(mean, noise))
            out.append(TagRead(tag, antenna, max(-99, min(-10, rssi)), 0x3000, 915_250, 1))
        return out


class SimulatedReader:
    """Reader side of one protocol. Not thread-safe: the owner serialises calls."""

    def __init__(self, spec: SimSpec, start: float, gtins: Sequence[str] = ()) -> None:
        self.spec = spec
        self.world = SimWorld(spec, start, gtins)
        self._host_bytes = (
            mercury.MercuryParser("reader") if spec.protocol == "mercury" else r2000.R2000Parser("reader")
        )
        self._out = bytearray()
        self._streaming = False
        self._metadata = mercury.DEFAULT_METADATA
        self._antennas = list(range(1, spec.antennas + 1))
        self._work_antenna = 1
        self._last = start
        self._credit = 0.0
        self._next_antenna = 0
        self._delayed: list[tuple[float, bytes]] = []
        self._busy_until = start
        self.commands = 0

    @property
    def last_time(self) -> float:
        """The simulated time of the last emit (a re-opened port continues from it)."""
        return self._last

    def power_cycle(self, now: float) -> None:
        """Lose the session state a real module loses when unplugged (the world persists)."""
        self._streaming = False
        self._out.clear()
        self._delayed.clear()
        self._host_bytes = (
            mercury.MercuryParser("reader")
            if self.spec.protocol == "mercury"
            else r2000.R2000Parser("reader")
        )
        self._last = now

    def receive(self, data: bytes, now: float) -> None:
        for event in self._host_bytes.feed(data):
            if isinstance(event, Command):
                self.commands += 1
                if self.spec.protocol == "mercury":
                    self._mercury_command(event, now)
                else:
                    self._r2000_command(event, now)

    def emit(self, now: float) -> bytes:
        """Bytes the reader has sent by ``now``."""
        self.world.advance(now)
        if self._streaming and now > self._last:
            self._credit = min(self._credit + (now - self._last) * self.spec.rate, self.spec.rate * 0.5)
            whole = int(self._credit)
            self._credit -= whole
            if whole:
                self._stream(whole)
        self._last = now
        while self._delayed and self._delayed[0][0] <= now:
            self._out += self._delayed.pop(0)[1]
        out = bytes(self._out)
        self._out.clear()
        return out

    def _stream(self, count: int) -> None:
        antennas = self._antennas
        per = max(1, count // len(antennas))
        left = count
        while left > 0:
            antenna = antennas[self._next_antenna % len(antennas)]
            self._next_antenna += 1
            for read in self.world.reads(antenna, min(per, left)):
                self._out += mercury.encode_tag_records((read,), self._metadata)
            left -= per

    def _mercury_command(self, command: Command, now: float) -> None:
        ok = mercury.STATUS_OK
        if mercury.is_start_inventory(command):
            self._streaming = True
            self._metadata = mercury.metadata_of_start(command)
            self._last = now
        elif mercury.is_stop_inventory(command):
            self._streaming = False
        elif command.opcode == mercury.Opcode.SET_ANTENNA_PORT and command.data[:1] == b"\x02":
            ports = list(command.data[1::2])
            if not ports or any(not 1 <= p <= self.spec.antennas for p in ports):
                self._out += mercury.encode_response(command.opcode, 0x0105)  # invalid argument
                return
            self._antennas = ports
        elif command.opcode == mercury.Opcode.GET_VERSION:
            self._out += mercury.encode_response(command.opcode, ok, b"\x01\x02\x03\x04vitrine-sim")
            return
        self._out += mercury.encode_response(command.opcode, ok)

    def _r2000_command(self, command: Command, now: float) -> None:
        address = command.address
        if command.opcode == r2000.Cmd.SET_WORK_ANTENNA:
            antenna = command.data[0] + 1 if command.data else 0
            if not 1 <= antenna <= self.spec.antennas:
                self._out += r2000.encode_status(command.opcode, 0x41, address)  # parameter invalid
                return
            self._work_antenna = antenna
            self._out += r2000.encode_status(command.opcode, r2000.SUCCESS, address)
        elif command.opcode in r2000.INVENTORY_CMDS:
            # a round takes ROUND_S of air time: its answer is sent when the round is over
            reads = self.world.reads(self._work_antenna, max(1, int(self.spec.rate * ROUND_S)))
            answer = bytearray()
            for read in reads:
                answer += r2000.encode_tag_read(read, 7, address)
            rate = int(len(reads) / ROUND_S)
            answer += r2000.encode_round_end(self._work_antenna, min(rate, 0xFFFF), len(reads), address)
            self._busy_until = max(now, self._busy_until) + ROUND_S
            self._delayed.append((self._busy_until, bytes(answer)))
        else:
            self._out += r2000.encode_status(command.opcode, r2000.SUCCESS, address)


class SimBus:
    """Simulated devices by name: created on first open, can be unplugged and plugged back.

    The world of a device survives unplugging (the store does not change because a cable did).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._readers: dict[str, SimulatedReader] = {}
        self._unplugged: set[str] = set()
        self._labels: dict[str, tuple[str, ...]] = {}
        self.opens: dict[str, int] = {}

    def label_stock(self, name: str, gtins: Sequence[str]) -> None:
        """GTIN-14s the stock of device ``name`` is labelled with (used when its world is created)."""
        with self._lock:
            self._labels[name] = tuple(gtins)

    def labels(self, name: str) -> tuple[str, ...]:
        """What :meth:`label_stock` set for ``name`` (empty: the simulator's own GTINs)."""
        with self._lock:
            return self._labels.get(name, ())

    def attach(self, spec: SimSpec, now: float) -> SimulatedReader:
        with self._lock:
            if spec.name in self._unplugged:
                raise TransportError(f"simulated reader {spec.name!r} is unplugged")
            reader = self._readers.get(spec.name)
            if reader is None or reader.spec != spec:
                reader = SimulatedReader(spec, now, self._labels.get(spec.name, ()))
                self._readers[spec.name] = reader
            else:
                reader.power_cycle(now)
            self.opens[spec.name] = self.opens.get(spec.name, 0) + 1
            return reader

    def plugged(self, name: str) -> bool:
        return name not in self._unplugged

    def unplug(self, name: str) -> None:
        with self._lock:
            self._unplugged.add(name)

    def plug(self, name: str) -> None:
        with self._lock:
            self._unplugged.discard(name)

    def reader(self, name: str) -> SimulatedReader | None:
        return self._readers.get(name)

    def forget(self, name: str) -> None:
        with self._lock:
            self._readers.pop(name, None)
            self._unplugged.discard(name)
            self._labels.pop(name, None)
            self.opens.pop(name, None)


BUS = SimBus()
"""The simulated USB bus every ``vitrinesim://`` port lives on (the simulator's hardware world)."""
