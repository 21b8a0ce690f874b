"""The hub's one time format: ISO-8601 UTC text ``YYYY-MM-DDTHH:MM:SSZ`` (sorts as it compares)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloud.errors import InvalidInput
from sync.hlc import Timestamp

FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(FORMAT)


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_now_text() -> str:
    return to_text(utc_now())


def parse(text: str) -> datetime:
    """Parse an ISO-8601 time or date; naive values are taken as UTC. Raises :class:`InvalidInput`."""
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError as err:
        raise InvalidInput(f"not an ISO-8601 time: {text!r}") from err
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def normalise(text: str) -> str:
    return to_text(parse(text))


def day_of(at_text: str) -> str:
    return at_text[:10]


def plus_days(at_text: str, days: int) -> str:
    return to_text(parse(at_text) + timedelta(days=days))


def of_hlc(hlc: str) -> str:
    """The wall-clock time of a hybrid logical clock reading, as the hub's time text."""
    return to_text(datetime.fromtimestamp(Timestamp.parse(hlc).wall_ms / 1000, UTC))


def age_s(at_text: str, now: datetime | None = None) -> float:
    """Seconds from ``at_text`` to now (never negative: a store clock ahead reads as just now)."""
    return max(0.0, round(((now or utc_now()) - parse(at_text)).total_seconds(), 1))
