"""GTIN (EAN-13/UPC/GTIN-8/14) check digits, and the synthetic GTIN-13s used for seeded products."""

from __future__ import annotations

import hashlib

from edge.errors import Invalid

VALID_LENGTHS = (8, 12, 13, 14)
# GS1 prefix 200-299 is reserved for restricted in-store numbering, so synthetic codes never
# collide with real manufacturer GTINs.
SYNTHETIC_PREFIX = "20"


def check_digit(body: str) -> int:
    """GS1 mod-10 check digit of ``body`` (all digits except the check digit)."""
    total = 0
    for position, char in enumerate(reversed(body)):
        total += int(char) * (3 if position % 2 == 0 else 1)
    return (10 - total % 10) % 10


def is_valid(code: str) -> bool:
    return code.isdigit() and len(code) in VALID_LENGTHS and check_digit(code[:-1]) == int(code[-1])


def normalise(code: str) -> str:
    """Validate ``code`` and return it as a 13-digit GTIN (GTIN-14 kept as is). Raises Invalid."""
    code = code.strip()
    if not code.isdigit() or len(code) not in VALID_LENGTHS:
        raise Invalid(f"GTIN must be 8, 12, 13 or 14 digits, got {code!r}")
    if check_digit(code[:-1]) != int(code[-1]):
        raise Invalid(f"GTIN {code} has a wrong check digit (expected {check_digit(code[:-1])})")
    if len(code) < 13:
        return code.zfill(13)
    if len(code) == 14 and code.startswith("0"):
        return code[1:]
    return code


def synthetic_gtin13(stock_code: str) -> str:
    """A deterministic, valid GTIN-13 for a retailer stock code (prefix 20, 10 hashed digits)."""
    digest = hashlib.sha256(stock_code.encode()).hexdigest()
    body = SYNTHETIC_PREFIX + str(int(digest[:16], 16) % 10**10).zfill(10)
    return body + str(check_digit(body))
