"""Tag processing: raw reads → tag states per zone (present / moved / departed).

Pure: reads come in with the time they arrived, state changes come out; :meth:`TagProcessor.tick`
fires the timers. Nothing here reads a clock.

Rules (all thresholds in :class:`TagTimers`):
- a read from an antenna with no zone, or weaker than ``min_rssi``, is ignored;
- the first read of an unknown (or departed) tag → :class:`TagPresent` in the read's zone;
- RSSI is smoothed per tag with an EWMA (``rssi_alpha``), per zone that reads it;
- reads in another zone make it a candidate; the tag moves (:class:`TagMoved`) once a candidate has
  been read at least ``move_min_reads`` times over ``move_confirm_s`` (a streak broken for
  ``zone_stale_s`` starts again) and either leads the current zone by ``move_margin_db`` or the
  current zone has not read the tag for ``zone_stale_s`` (hysteresis against flicker between
  overlapping antennas);
- a tag not read anywhere for ``departure_after_s`` → :class:`TagDeparted` from its zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

from drivers.errors import ConfigError
from drivers.rfid.events import TagRead


@dataclass(frozen=True, slots=True)
class TagTimers:
    rssi_alpha: float = 0.3
    departure_after_s: float = 5.0
    move_confirm_s: float = 1.0
    move_margin_db: float = 3.0
    zone_stale_s: float = 2.0
    move_min_reads: int = 3
    min_rssi: float = -100.0

    def __post_init__(self) -> None:
        if not 0 < self.rssi_alpha <= 1:
            raise ConfigError(f"rssi_alpha must be in (0, 1], got {self.rssi_alpha}")
        for name in ("departure_after_s", "move_confirm_s", "zone_stale_s", "move_margin_db"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must be ≥ 0")
        if self.zone_stale_s > self.departure_after_s:
            raise ConfigError("zone_stale_s must not exceed departure_after_s")


class TagPresent(NamedTuple):
    epc: str
    zone: str
    at: float
    rssi: float


class TagMoved(NamedTuple):
    epc: str
    from_zone: str
    to_zone: str
    at: float
    rssi: float


class TagDeparted(NamedTuple):
    epc: str
    zone: str
    at: float
    last_seen: float


TagEvent = TagPresent | TagMoved | TagDeparted


class TagState(NamedTuple):
    """Snapshot of one present tag."""

    epc: str
    zone: str
    rssi: float
    first_seen: float
    last_seen: float


class _Track:
    __slots__ = ("first", "last", "others", "rssi", "zone", "zone_last")

    def __init__(self, zone: str, rssi: float, now: float) -> None:
        self.zone = zone
        self.rssi = rssi
        self.first = now
        self.last = now
        self.zone_last = now
        self.others: dict[str, list[float]] | None = None
        """Candidate zones: zone → [smoothed RSSI, first read (of this streak), last read, reads]."""


class TagProcessor:
    """State of every tag the store's readers see. ``zones[reader_id][antenna] = zone``."""

    def __init__(self, zones: Mapping[str, Mapping[int, str]], timers: TagTimers | None = None) -> None:
        self._zones = {reader: dict(antennas) for reader, antennas in zones.items()}
        self.timers = timers or TagTimers()
        self._tracks: dict[str, _Track] = {}
        self.reads = 0
        self.ignored_reads = 0

    def set_zones(self, reader_id: str, antennas: Mapping[int, str]) -> None:
        self._zones[reader_id] = dict(antennas)

    def process(self, reader_id: str, reads: Iterable[TagRead], now: float) -> list[TagEvent]:
        """Apply reads that arrived at ``now`` from ``reader_id``; return the state changes."""
        zone_of = self._zones.get(reader_id, {})
        tracks = self._tracks
        timers = self.timers
        alpha = timers.rssi_alpha
        min_rssi = timers.min_rssi
        out: list[TagEvent] = []
        count = ignored = 0
        for read in reads:
            count += 1
            zone = zone_of.get(read.antenna)
            rssi = read.rssi
            if zone is None or rssi < min_rssi:
                ignored += 1
                continue
            epc = read.epc
            track = tracks.get(epc)
            if track is None:
                tracks[epc] = _Track(zone, rssi, now)
                out.append(TagPresent(epc, zone, now, float(rssi)))
                continue
            track.last = now
            if zone == track.zone:
                track.rssi += alpha * (rssi - track.rssi)
                track.zone_last = now
                continue
            moved = self._candidate(track, epc, zone, rssi, now)
            if moved is not None:
                out.append(moved)
        self.reads += count
        self.ignored_reads += ignored
        return out

    def _candidate(self, track: _Track, epc: str, zone: str, rssi: float, now: float) -> TagMoved | None:
        timers = self.timers
        others = track.others
        if others is None:
            others = track.others = {}
        entry = others.get(zone)
        if entry is None or now - entry[2] > timers.zone_stale_s:
            entry = others[zone] = [float(rssi), now, now, 1.0]
        else:
            entry[0] += timers.rssi_alpha * (rssi - entry[0])
            entry[2] = now
            entry[3] += 1.0
        if now - entry[1] < timers.move_confirm_s or entry[3] < timers.move_min_reads:
            return None
        if entry[0] < track.rssi + timers.move_margin_db and now - track.zone_last < timers.zone_stale_s:
            return None
        moved = TagMoved(epc, track.zone, zone, now, entry[0])
        del others[zone]
        others[track.zone] = [track.rssi, track.zone_last, track.zone_last, 0.0]
        track.zone, track.rssi, track.zone_last = zone, entry[0], now
        return moved

    def tick(self, now: float) -> list[TagEvent]:
        """Fire departure timers up to ``now``."""
        limit = now - self.timers.departure_after_s
        gone = [epc for epc, track in self._tracks.items() if track.last <= limit]
        out: list[TagEvent] = []
        for epc in gone:
            track = self._tracks.pop(epc)
            out.append(TagDeparted(epc, track.zone, now, track.last))
        return out

    def snapshot(self) -> list[TagState]:
        return [TagState(epc, t.zone, t.rssi, t.first, t.last) for epc, t in self._tracks.items()]

    def state_of(self, epc: str) -> TagState | None:
        track = self._tracks.get(epc)
        return None if track is None else TagState(epc, track.zone, track.rssi, track.first, track.last)

    def zone_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for track in self._tracks.values():
            counts[track.zone] = counts.get(track.zone, 0) + 1
        return counts

    def __len__(self) -> int:
        return len(self._tracks)
