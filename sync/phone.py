"""THE canonical phone number: E.164 (``+33612345678``), through the ``phonenumbers`` library.

Stores and the hub keep and compare phone numbers only in this form, so "+33 6 12 34 56 78",
"06 12 34 56 78" and "+33612345678" are one customer. A number written without its country code is
read in ``region`` (ISO 3166 alpha-2, France by default: the retailer's home market).
"""

from __future__ import annotations

import phonenumbers

from sync.errors import SyncError

DEFAULT_REGION = "FR"
MAX_PHONE_TEXT = 32


class InvalidPhone(SyncError, ValueError):
    """The text is not a possible phone number."""


def canonical_phone(text: str, region: str = DEFAULT_REGION) -> str:
    """``text`` as E.164; raises :class:`InvalidPhone` when it is not a possible number."""
    if not isinstance(text, str) or not 0 < len(text.strip()) <= MAX_PHONE_TEXT:
        raise InvalidPhone(f"not a phone number: {text!r}")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as err:
        raise InvalidPhone(f"not a phone number: {text!r}") from err
    if not phonenumbers.is_possible_number(number):
        raise InvalidPhone(f"not a phone number: {text!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_canonical_phone(text: str, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 form of ``text``, or None when it is not a phone number."""
    try:
        return canonical_phone(text, region)
    except InvalidPhone:
        return None
