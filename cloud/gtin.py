"""GTIN (GTIN-8/12/13/14) validation with the GS1 mod-10 check digit."""

from __future__ import annotations

from cloud.errors import InvalidInput

GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def check_digit(body: str) -> int:
    """GS1 check digit of ``body`` (the GTIN without its last digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def normalise_gtin(text: str) -> str:
    """Validate a GTIN and return it as 14 digits. Raises :class:`InvalidInput`."""
    digits = str(text).strip()
    if not digits.isdigit() or len(digits) not in GTIN_LENGTHS:
        raise InvalidInput(f"GTIN must be 8, 12, 13 or 14 digits: {text!r}")
    if check_digit(digits[:-1]) != int(digits[-1]):
        raise InvalidInput(f"GTIN check digit is wrong: {text!r}")
    return digits.zfill(14)
