"""EPC binary decoding per the GS1 EPC Tag Data Standard (TDS).

Decoded: SGTIN-96 (header 0x30), SGTIN-198 (0x36), SSCC-96 (0x31), GRAI-96 (0x33). Anything else is
kept as a :class:`RawEpc`. Encoders exist for SGTIN-96 (the simulator labels its stock with it).
Decoding is strict: a company prefix or reference that does not fit its decimal digit count, a
reserved partition, or a truncated EPC raises :class:`drivers.errors.EpcError`. Check digits of the
derived GS1 keys are ``biip``'s (the project's one GS1 implementation). The bit layouts stay here
rather than in ``epcpy`` (MIT), which decodes the same schemes: it is ~2.4x slower per tag decode
and hides the fields behind URI strings (``bench/epc.py`` measures both).
"""

from __future__ import annotations

from dataclasses import dataclass

from biip.checksums import gs1_standard_check_digit

from drivers.errors import EpcError

SGTIN96 = 0x30
SSCC96 = 0x31
GRAI96 = 0x33
SGTIN198 = 0x36

# partition → (company prefix bits, digits), (second field bits, digits), per TDS tables 14-2 / 14-4 / 14-8
_SGTIN_PARTITIONS = (
    ((40, 12), (4, 1)),
    ((37, 11), (7, 2)),
    ((34, 10), (10, 3)),
    ((30, 9), (14, 4)),
    ((27, 8), (17, 5)),
    ((24, 7), (20, 6)),
    ((20, 6), (24, 7)),
)
_SSCC_PARTITIONS = (
    ((40, 12), (18, 5)),
    ((37, 11), (21, 6)),
    ((34, 10), (24, 7)),
    ((30, 9), (28, 8)),
    ((27, 8), (31, 9)),
    ((24, 7), (34, 10)),
    ((20, 6), (38, 11)),
)
_GRAI_PARTITIONS = (
    ((40, 12), (4, 0)),
    ((37, 11), (7, 1)),
    ((34, 10), (10, 2)),
    ((30, 9), (14, 3)),
    ((27, 8), (17, 4)),
    ((24, 7), (20, 5)),
    ((20, 6), (24, 6)),
)


@dataclass(frozen=True, slots=True)
class Sgtin:
    """A serialised trade item: ``gtin14`` + ``serial`` (decimal for -96, alphanumeric for -198)."""

    scheme: str
    filter: int
    company_prefix: str
    item_reference: str
    serial: str
    gtin14: str

    @property
    def tag_uri(self) -> str:
        return f"urn:epc:tag:{self.scheme}:{self.filter}.{self.company_prefix}.{self.item_reference}.{self.serial}"

    @property
    def pure_identity_uri(self) -> str:
        return f"urn:epc:id:sgtin:{self.company_prefix}.{self.item_reference}.{self.serial}"


@dataclass(frozen=True, slots=True)
class Sscc:
    """A logistic unit: ``sscc18`` with its check digit."""

    filter: int
    company_prefix: str
    serial_reference: str
    sscc18: str

    @property
    def tag_uri(self) -> str:
        return f"urn:epc:tag:sscc-96:{self.filter}.{self.company_prefix}.{self.serial_reference}"


@dataclass(frozen=True, slots=True)
class Grai:
    """A returnable asset: 14-digit ``grai`` (leading 0, check digit) + ``serial``."""

    filter: int
    company_prefix: str
    asset_type: str
    serial: str
    grai: str

    @property
    def tag_uri(self) -> str:
        return f"urn:epc:tag:grai-96:{self.filter}.{self.company_prefix}.{self.asset_type}.{self.serial}"


@dataclass(frozen=True, slots=True)
class RawEpc:
    """An EPC of a scheme not decoded here, kept as its hex id."""

    hex: str

    @property
    def tag_uri(self) -> str:
        return f"urn:epc:raw:{len(self.hex) * 4}.x{self.hex}"


Epc = Sgtin | Sscc | Grai | RawEpc


def gs1_check_digit(digits: str) -> str:
    """The GS1 check digit of a key body (GTIN, SSCC, GRAI), computed by ``biip``."""
    return str(gs1_standard_check_digit(digits))


def decode(epc_hex: str) -> Epc:
    """Decode an EPC given as hex (any case). Unknown headers → :class:`RawEpc`."""
    try:
        raw = bytes.fromhex(epc_hex)
    except ValueError as err:
        raise EpcError(f"EPC is not hex: {epc_hex!r}") from err
    if not raw:
        raise EpcError("empty EPC")
    header = raw[0]
    if header == SGTIN96:
        return _decode_sgtin96(raw)
    if header == SGTIN198:
        return _decode_sgtin198(raw)
    if header == SSCC96:
        return _decode_sscc96(raw)
    if header == GRAI96:
        return _decode_grai96(raw)
    return RawEpc(raw.hex().upper())


def gtin_of(epc_hex: str) -> str | None:
    """GTIN-14 of an SGTIN EPC, ``None`` for any other (or undecodable) EPC."""
    try:
        epc = decode(epc_hex)
    except EpcError:
        return None
    return epc.gtin14 if isinstance(epc, Sgtin) else None


def encode_sgtin96(gtin14: str, serial: int, company_prefix_digits: int, filter_value: int = 1) -> str:
    """SGTIN-96 hex for ``gtin14`` (check digit verified) and a numeric serial below 2**38."""
    if len(gtin14) != 14 or not gtin14.isdigit() or gs1_check_digit(gtin14[:13]) != gtin14[13]:
        raise EpcError(f"not a valid GTIN-14: {gtin14!r}")
    partition = next((p for p, (c, _) in enumerate(_SGTIN_PARTITIONS) if c[1] == company_prefix_digits), None)
    if partition is None:
        raise EpcError(f"company prefix length must be 6..12 digits, got {company_prefix_digits}")
    if not 0 <= serial < 1 << 38 or not 0 <= filter_value <= 7:
        raise EpcError("serial must be < 2**38 and filter in 0..7")
    (company_bits, _), (item_bits, _) = _SGTIN_PARTITIONS[partition]
    company = int(gtin14[1 : 1 + company_prefix_digits])
    item = int(gtin14[0] + gtin14[1 + company_prefix_digits : 13])
    value = SGTIN96
    for field, width in ((filter_value, 3), (partition, 3), (company, company_bits), (item, item_bits)):
        value = value << width | field
    value = value << 38 | serial
    return value.to_bytes(12, "big").hex().upper()


# --- decoders -------------------------------------------------------------------------------------


class _Bits:
    """Big-endian bit reader over an EPC; reading past the end raises EpcError."""

    def __init__(self, raw: bytes, total_bits: int) -> None:
        if len(raw) * 8 < total_bits:
            raise EpcError(f"EPC too short: {len(raw) * 8} bits, scheme needs {total_bits}")
        self._value = int.from_bytes(raw, "big")
        self._width = len(raw) * 8
        self._pos = 0

    def take(self, bits: int) -> int:
        self._pos += bits
        return (self._value >> (self._width - self._pos)) & ((1 << bits) - 1)


def _digits(value: int, digits: int, what: str) -> str:
    if digits == 0:
        if value != 0:
            raise EpcError(f"{what} must be empty (0) for this partition, got {value}")
        return ""
    if value >= 10**digits:
        raise EpcError(f"{what} {value} does not fit {digits} digits")
    return str(value).zfill(digits)


def _partition(table: tuple[tuple[tuple[int, int], tuple[int, int]], ...], value: int) -> tuple[int, ...]:
    if value >= len(table):
        raise EpcError(f"reserved partition value {value}")
    (cb, cd), (rb, rd) = table[value]
    return cb, cd, rb, rd


def _company_and_item(bits: _Bits) -> tuple[int, str, str]:
    filter_value = bits.take(3)
    cb, cd, rb, rd = _partition(_SGTIN_PARTITIONS, bits.take(3))
    company = _digits(bits.take(cb), cd, "company prefix")
    item = _digits(bits.take(rb), rd, "indicator/item reference")
    return filter_value, company, item


def _gtin(company: str, item: str) -> str:
    body = item[0] + company + item[1:]
    return body + gs1_check_digit(body)


def _decode_sgtin96(raw: bytes) -> Sgtin:
    bits = _Bits(raw, 96)
    bits.take(8)
    filter_value, company, item = _company_and_item(bits)
    serial = str(bits.take(38))
    return Sgtin("sgtin-96", filter_value, company, item, serial, _gtin(company, item))


def _decode_sgtin198(raw: bytes) -> Sgtin:
    bits = _Bits(raw, 198)
    bits.take(8)
    filter_value, company, item = _company_and_item(bits)
    chars = []
    for _ in range(20):
        code = bits.take(7)
        if code == 0:
            break
        chars.append(chr(code))
    serial = "".join(chars)
    # TDS: the serial is GS1 AI-encodable characters, escaped in URIs; decoding keeps it as-is
    return Sgtin("sgtin-198", filter_value, company, item, serial, _gtin(company, item))


def _decode_sscc96(raw: bytes) -> Sscc:
    bits = _Bits(raw, 96)
    bits.take(8)
    filter_value = bits.take(3)
    cb, cd, rb, rd = _partition(_SSCC_PARTITIONS, bits.take(3))
    company = _digits(bits.take(cb), cd, "company prefix")
    serial_ref = _digits(bits.take(rb), rd, "serial reference")
    body = serial_ref[0] + company + serial_ref[1:]
    return Sscc(filter_value, company, serial_ref, body + gs1_check_digit(body))


def _decode_grai96(raw: bytes) -> Grai:
    bits = _Bits(raw, 96)
    bits.take(8)
    filter_value = bits.take(3)
    cb, cd, rb, rd = _partition(_GRAI_PARTITIONS, bits.take(3))
    company = _digits(bits.take(cb), cd, "company prefix")
    asset_type = _digits(bits.take(rb), rd, "asset type")
    serial = str(bits.take(38))
    body = "0" + company + asset_type
    return Grai(filter_value, company, asset_type, serial, body + gs1_check_digit(body))
