"""GS1 identifiers: GTIN check digits, EAN/UPC → GTIN-14, element strings and Digital Link URIs.

Pure functions over strings; every rejection raises :class:`Gs1Error` with a message that says what
is wrong. Facts from the GS1 General Specifications (AI table, predefined-length prefixes) and the
GS1 Digital Link standard (URI syntax 1.x).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import unquote, urlsplit

from drivers.errors import DriverError

GS = "\x1d"


class Gs1Error(DriverError):
    """A string is not a valid GS1 identifier, element string or Digital Link."""


# --- check digits and GTINs -----------------------------------------------------------------------


def check_digit(body: str) -> str:
    """The GS1 mod-10 check digit of a digit string (weights 3,1,3,… from the right)."""
    if not body.isdigit() or not body.isascii():
        raise Gs1Error(f"not a digit string: {body!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


def has_valid_check_digit(code: str) -> bool:
    """True when ``code`` is all digits and its last digit is the mod-10 check digit of the rest."""
    return len(code) >= 2 and code.isascii() and code.isdigit() and check_digit(code[:-1]) == code[-1]


def expand_upce(upce: str) -> str:
    """UPC-E (8 digits: number system, 6 data, check) → the 12-digit UPC-A it abbreviates."""
    if len(upce) != 8 or not upce.isascii() or not upce.isdigit():
        raise Gs1Error(f"UPC-E must be 8 digits, got {upce!r}")
    ns, d, check = upce[0], upce[1:7], upce[7]
    if ns not in "01":
        raise Gs1Error(f"UPC-E number system must be 0 or 1, got {ns}")
    last = d[5]
    if last in "012":
        body = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        body = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        body = d[0:4] + "00000" + d[4]
    else:
        body = d[0:5] + "0000" + last
    return ns + body + check


def to_gtin14(code: str) -> str:
    """EAN-8, UPC-A, EAN-13 or GTIN-14 → GTIN-14 (UPC-E: :func:`upce_to_gtin14`).

    The check digit is verified; a wrong one raises :class:`Gs1Error`.
    """
    if not code.isascii() or not code.isdigit():
        raise Gs1Error(f"a GTIN is digits only, got {code!r}")
    if len(code) not in (8, 12, 13, 14):
        raise Gs1Error(f"a GTIN has 8, 12, 13 or 14 digits, got {len(code)}")
    if not has_valid_check_digit(code):
        raise Gs1Error(f"check digit of {code} is wrong (expected {check_digit(code[:-1])})")
    return code.zfill(14)


def upce_to_gtin14(upce: str) -> str:
    """A UPC-E symbol's 8 digits → GTIN-14 of the expanded UPC-A, check digit verified."""
    expanded = expand_upce(upce)
    if not has_valid_check_digit(expanded):
        raise Gs1Error(f"check digit of UPC-E {upce} is wrong")
    return expanded.zfill(14)


def split_ean_upc(
    text: str, main_lengths: tuple[int, ...] = (13, 12, 8), *, upce: bool = False
) -> tuple[str, str]:
    """EAN/UPC digits as a decoder reports them, optionally followed by a 2- or 5-digit add-on →
    ``(GTIN-14, add-on)``. The main part is tried at each of ``main_lengths`` in order (a decoder's
    symbology tells which are possible); an 8-digit main part is UPC-E when ``upce`` is set, EAN-8
    otherwise. The check digit is verified."""
    if not text.isascii() or not text.isdigit():
        raise Gs1Error(f"EAN/UPC content is digits only, got {text!r}")
    for main_len in main_lengths:
        main, addon = text[:main_len], text[main_len:]
        if len(main) != main_len or len(addon) not in (0, 2, 5):
            continue
        try:
            gtin = upce_to_gtin14(main) if upce and main_len == 8 else to_gtin14(main)
        except Gs1Error:
            continue
        return gtin, addon
    raise Gs1Error(f"{text} is not a valid EAN/UPC of {'/'.join(map(str, main_lengths))} digits (+ add-on)")


# --- application identifiers ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AiSpec:
    """One application identifier: its data length (fixed, or variable up to ``max_len``)."""

    ai: str
    title: str
    max_len: int
    fixed: bool
    numeric: bool


def _spec(ai: str, title: str, length: int, *, fixed: bool = False, numeric: bool = False) -> AiSpec:
    return AiSpec(ai, title, length, fixed, numeric)


_AIS: dict[str, AiSpec] = {
    s.ai: s
    for s in [
        _spec("00", "SSCC", 18, fixed=True, numeric=True),
        _spec("01", "GTIN", 14, fixed=True, numeric=True),
        _spec("02", "CONTENT", 14, fixed=True, numeric=True),
        _spec("10", "BATCH/LOT", 20),
        _spec("11", "PROD DATE", 6, fixed=True, numeric=True),
        _spec("12", "DUE DATE", 6, fixed=True, numeric=True),
        _spec("13", "PACK DATE", 6, fixed=True, numeric=True),
        _spec("15", "BEST BEFORE", 6, fixed=True, numeric=True),
        _spec("16", "SELL BY", 6, fixed=True, numeric=True),
        _spec("17", "USE BY OR EXPIRY", 6, fixed=True, numeric=True),
        _spec("20", "VARIANT", 2, fixed=True, numeric=True),
        _spec("21", "SERIAL", 20),
        _spec("22", "CPV", 20),
        _spec("235", "TPX", 28),
        _spec("240", "ADDITIONAL ID", 30),
        _spec("241", "CUST. PART No.", 30),
        _spec("250", "SECONDARY SERIAL", 30),
        _spec("251", "REF. TO SOURCE", 30),
        _spec("254", "GLN EXTENSION COMPONENT", 20),
        _spec("30", "VAR. COUNT", 8, numeric=True),
        _spec("37", "COUNT", 8, numeric=True),
        _spec("400", "ORDER NUMBER", 30),
        _spec("401", "GINC", 30),
        _spec("402", "GSIN", 17, fixed=True, numeric=True),
        _spec("403", "ROUTE", 30),
        _spec("410", "SHIP TO LOC", 13, fixed=True, numeric=True),
        _spec("411", "BILL TO", 13, fixed=True, numeric=True),
        _spec("412", "PURCHASE FROM", 13, fixed=True, numeric=True),
        _spec("413", "SHIP FOR LOC", 13, fixed=True, numeric=True),
        _spec("414", "LOC No.", 13, fixed=True, numeric=True),
        _spec("415", "PAY TO", 13, fixed=True, numeric=True),
        _spec("416", "PROD/SERV LOC", 13, fixed=True, numeric=True),
        _spec("417", "PARTY", 13, fixed=True, numeric=True),
        _spec("420", "SHIP TO POST", 20),
        _spec("422", "ORIGIN", 3, numeric=True),
        _spec("7003", "EXPIRY TIME", 10, numeric=True),
        _spec("8003", "GRAI", 30),
        _spec("8004", "GIAI", 30),
        _spec("8005", "PRICE PER UNIT", 6, numeric=True),
        _spec("8020", "REF No.", 25),
        _spec("8200", "PRODUCT URL", 70),
        _spec("90", "INTERNAL", 30),
        *(_spec(str(n), "INTERNAL", 90) for n in range(91, 100)),
        # measures: 31nn..36nn fixed 6 digits, last AI digit = implied decimals
        *(
            _spec(f"{p}{d}", "MEASURE", 6, fixed=True, numeric=True)
            for p in range(310, 370)
            for d in range(10)
        ),
        *(
            _spec(f"39{k}{d}", "AMOUNT", 18 if k in "13" else 15, numeric=True)
            for k in "0123"
            for d in range(10)
        ),
    ]
}

# GS1 General Specifications, figure 7.8.5-2: element strings whose AI starts with these two digits
# have a predefined length and are never followed by FNC1.
_PREDEFINED_PREFIXES = frozenset(
    {"00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20"}
    | {"31", "32", "33", "34", "35", "36", "41"}
)
_DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})


def ai_spec(ai: str) -> AiSpec:
    """The specification of ``ai``; unknown AIs raise :class:`Gs1Error`."""
    try:
        return _AIS[ai]
    except KeyError:
        raise Gs1Error(f"unknown or unsupported application identifier ({ai})") from None


def _match_ai(text: str, pos: int) -> AiSpec:
    for width in (2, 3, 4):
        spec = _AIS.get(text[pos : pos + width])
        if spec is not None:
            return spec
    raise Gs1Error(f"unknown application identifier at position {pos}: {text[pos : pos + 4]!r}")


def parse_gs1_date(value: str) -> date:
    """YYMMDD (DD=00 means the last day of the month; years within -49/+50 of 2000 per GS1 → 20YY)."""
    if len(value) != 6 or not value.isdigit():
        raise Gs1Error(f"a GS1 date is YYMMDD, got {value!r}")
    year, month, day = 2000 + int(value[:2]), int(value[2:4]), int(value[4:])
    if not 1 <= month <= 12:
        raise Gs1Error(f"month {month:02d} out of range in date {value}")
    if day == 0:
        next_month = date(year + month // 12, month % 12 + 1, 1)
        return date.fromordinal(next_month.toordinal() - 1)
    try:
        return date(year, month, day)
    except ValueError as err:
        raise Gs1Error(f"impossible date {value}: {err}") from err


def _validate(spec: AiSpec, value: str) -> None:
    if not value:
        raise Gs1Error(f"AI ({spec.ai}) has an empty value")
    if spec.fixed and len(value) != spec.max_len:
        raise Gs1Error(f"AI ({spec.ai}) needs {spec.max_len} characters, got {len(value)}")
    if len(value) > spec.max_len:
        raise Gs1Error(f"AI ({spec.ai}) allows at most {spec.max_len} characters, got {len(value)}")
    if spec.numeric and not (value.isascii() and value.isdigit()):
        raise Gs1Error(f"AI ({spec.ai}) is numeric, got {value!r}")
    if not spec.numeric and not all(" " < ch < "\x7f" for ch in value):
        raise Gs1Error(f"AI ({spec.ai}) holds characters outside GS1's printable set: {value!r}")
    if spec.ai in ("00", "01", "02") and not has_valid_check_digit(value):
        raise Gs1Error(f"AI ({spec.ai}) {value}: check digit is wrong")
    if spec.ai in _DATE_AIS:
        parse_gs1_date(value)


@dataclass(frozen=True, slots=True)
class ElementString:
    """Parsed GS1 element string: AIs in the order they appeared (each AI at most once)."""

    elements: tuple[tuple[str, str], ...]

    def get(self, ai: str) -> str | None:
        return next((v for a, v in self.elements if a == ai), None)

    @property
    def gtin(self) -> str | None:
        return self.get("01")

    @property
    def as_dict(self) -> dict[str, str]:
        return dict(self.elements)

    def to_hri(self) -> str:
        """Human-readable form, e.g. ``(01)09501101530003(17)250101(10)AB1``."""
        return "".join(f"({ai}){value}" for ai, value in self.elements)


def _checked(elements: list[tuple[str, str]]) -> ElementString:
    if not elements:
        raise Gs1Error("no GS1 element in the string")
    seen: set[str] = set()
    for ai, value in elements:
        if ai in seen:
            raise Gs1Error(f"AI ({ai}) appears twice")
        seen.add(ai)
        _validate(ai_spec(ai), value)
    return ElementString(tuple(elements))


_AIM_PREFIX = re.compile(r"^\][A-Za-z][0-9A-Za-z]")


def parse_element_string(text: str) -> ElementString:
    """A raw element string: AIs concatenated, variable-length fields ended by GS (``\\x1d``) unless
    last. A leading AIM symbology identifier (``]C1``, ``]e0``, ``]d2``, ``]Q3``) or GS is ignored."""
    body = _AIM_PREFIX.sub("", text, count=1).lstrip(GS)
    elements: list[tuple[str, str]] = []
    pos = 0
    while pos < len(body):
        spec = _match_ai(body, pos)
        start = pos + len(spec.ai)
        if spec.ai[:2] in _PREDEFINED_PREFIXES:
            end = start + spec.max_len
            if end > len(body):
                raise Gs1Error(f"AI ({spec.ai}) truncated: needs {spec.max_len} characters")
            nxt = end + 1 if body[end : end + 1] == GS else end
        else:
            gs = body.find(GS, start)
            end = len(body) if gs < 0 else gs
            nxt = end + 1 if gs >= 0 else end
        elements.append((spec.ai, body[start:end]))
        pos = nxt
    return _checked(elements)


_HRI = re.compile(r"\((\d{2,4})\)([^()]*)")


def parse_hri(text: str) -> ElementString:
    """The parenthesised form: ``(01)09501101530003(17)250101(10)AB-123``."""
    stripped = text.strip()
    if not stripped.startswith("("):
        raise Gs1Error("a parenthesised element string starts with '('")
    matches = list(_HRI.finditer(stripped))
    if "".join(m.group(0) for m in matches) != stripped:
        raise Gs1Error(f"malformed parenthesised element string: {text!r}")
    return _checked([(m.group(1), m.group(2)) for m in matches])


# --- Digital Link ---------------------------------------------------------------------------------

_DL_QUALIFIERS = ("22", "10", "21")
_ALIASES = {"gtin": "01", "cpv": "22", "lot": "10", "ser": "21", "exp": "17"}


@dataclass(frozen=True, slots=True)
class DigitalLink:
    """A GS1 Digital Link URI reduced to its element string (primary key 01 + qualifiers + data)."""

    uri: str
    elements: ElementString

    @property
    def gtin(self) -> str:
        gtin = self.elements.gtin
        assert gtin is not None  # the parser requires AI 01
        return gtin


def parse_digital_link(uri: str) -> DigitalLink:
    """``https://<any domain>[/<path prefix>]/01/<gtin>[/22/..][/10/..][/21/..][?17=YYMMDD&...]``.

    The GTIN may be given as GTIN-8/12/13/14 and is padded to 14 digits; its check digit is verified.
    """
    try:
        parts = urlsplit(uri.strip())
    except ValueError as err:
        raise Gs1Error(f"not a URI: {err}") from err
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise Gs1Error("a GS1 Digital Link is an http(s) URI with a host")
    segments = [unquote(s) for s in parts.path.split("/") if s]
    keyed = [_ALIASES.get(s, s) for s in segments]
    try:
        i = keyed.index("01")
    except ValueError:
        raise Gs1Error("no /01/{gtin} primary key in the URI path") from None
    if i + 1 >= len(segments):
        raise Gs1Error("the /01/ path segment has no GTIN")
    gtin = segments[i + 1]
    if not gtin.isascii() or not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14):
        raise Gs1Error(f"the Digital Link GTIN must be 8, 12, 13 or 14 digits, got {gtin!r}")
    elements: list[tuple[str, str]] = [("01", gtin.zfill(14))]
    rest = segments[i + 2 :]
    if len(rest) % 2:
        raise Gs1Error("Digital Link path qualifiers come in /AI/value pairs")
    for k in range(0, len(rest), 2):
        ai = _ALIASES.get(rest[k], rest[k])
        if ai not in _DL_QUALIFIERS:
            raise Gs1Error(f"({ai}) is not a key qualifier of GTIN in a Digital Link path")
        elements.append((ai, rest[k + 1]))
    for pair in filter(None, parts.query.split("&")):
        key, _, value = pair.partition("=")
        ai = _ALIASES.get(unquote(key), unquote(key))
        if ai.isdigit():  # non-numeric keys (linkType, context…) are not data attributes
            elements.append((ai, unquote(value)))
    return DigitalLink(uri, _checked(elements))
