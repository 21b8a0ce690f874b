"""The hub's one time format: ISO-8601 UTC text ``YYYY-MM-DDTHH:MM:SSZ`` (sorts as it compares)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cloud.errors import InvalidInput

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
