"""Parsing one cell of the neutral format; each parser raises :class:`Bad` with the reject reason."""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cloud.errors import InvalidInput
from cloud.timefmt import normalise

MAX_CENTS = 10**9
_STORE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_TRUE = frozenset({"yes", "y", "true", "1"})
_FALSE = frozenset({"no", "n", "false", "0", ""})


class Bad(InvalidInput):
    """A row is rejected (caught by the loaders, never raised to their callers): ``reason`` is the counted category, ``detail`` what exactly was wrong."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def text(row: dict[str, str], column: str, max_len: int, *, required: bool = True) -> str:
    value = (row.get(column) or "").strip()
    if required and not value:
        raise Bad(f"missing {column}")
    if len(value) > max_len:
        raise Bad(f"{column} too long", f"{len(value)} characters, at most {max_len}")
    return value


def store_id(value: str) -> str:
    if not _STORE_ID.match(value):
        raise Bad("bad store id", f"{value!r} must match [a-z0-9][a-z0-9_-]{{0,31}}")
    return value


def decimal(value: str, column: str) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation as err:
        raise Bad(f"bad {column}", f"{value!r} is not a number (use '.' as decimal point)") from err
    if not number.is_finite():
        raise Bad(f"bad {column}", f"{value!r} is not a number")
    return number


def money(value: str, column: str = "price") -> int:
    """Currency units with at most two decimals (``12.5``, ``0.99``) as non-negative integer cents."""
    amount = decimal(value, column)
    if amount < 0:
        raise Bad(f"negative {column}", value)
    if amount != amount.quantize(Decimal("0.01")):
        raise Bad(f"bad {column}", f"{value!r} has more than two decimals")
    cents = int(amount * 100)
    if cents > MAX_CENTS:
        raise Bad(f"bad {column}", f"{value!r} is out of range")
    return cents


def cents_of(amount: Decimal) -> int:
    return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def moment(value: str, column: str) -> str:
    """ISO-8601 date or time (UTC unless it carries an offset) as the hub's time text."""
    if not value.strip():
        raise Bad(f"missing {column}")
    try:
        return _normalised(value.strip())
    except InvalidInput as err:
        raise Bad(f"bad {column}", f"{value!r} is not an ISO-8601 date or time") from err


@functools.lru_cache(maxsize=1 << 16)
def _normalised(value: str) -> str:  # the lines of a receipt repeat its time
    return normalise(value)


def flag(value: str, column: str) -> bool:
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise Bad(f"bad {column}", f"{value!r} is not yes/no")
