"""The one text form of an instant in a replica: ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC, microseconds).

Invariant: every instant a store keeps as text (effective dates of prices, promotions and loyalty
rules, allowance and reservation expiries, sale and return times) is written in this form, whatever
form it arrived in (the hub sends ``…:00Z``; a client may send an offset). Fixed width and one time
zone make text order the order of the instants, so SQL may compare these columns with ``<`` and a
sale at ``…:00.271419Z`` is *after* an effective date of ``…:00Z`` (compared as received text,
``.`` sorts before ``Z`` and the sale was priced at the old price).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sync.errors import MalformedOp

FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


class InvalidInstant(MalformedOp):
    """A value that is not an ISO-8601 date or time."""


def parse_instant(text: str) -> datetime:
    """An ISO-8601 time (``Z`` or an offset; naive means UTC) or date, as an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as err:
        raise InvalidInstant(f"not an ISO-8601 time: {text!r}") from err
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)


def instant_text(moment: datetime) -> str:
    """The canonical text of ``moment`` (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(FORMAT)


def canonical_instant(text: str) -> str:
    """``text`` (any ISO-8601 form) in the canonical form; raises :class:`InvalidInstant`."""
    return instant_text(parse_instant(text))


def instant_from_epoch(seconds: float) -> str:
    return instant_text(datetime.fromtimestamp(seconds, UTC))
