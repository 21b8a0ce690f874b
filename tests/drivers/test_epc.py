"""EPC decoding: the shared SGTIN-96 vectors plus vectors built bit by bit from the TDS layouts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from drivers import epc
from drivers.errors import EpcError


def _pack(*fields: tuple[int, int], total_bits: int) -> str:
    """Concatenate (value, width) fields MSB-first, right-pad with zeros to ``total_bits``."""
    bits = "".join(format(value, f"0{width}b") for value, width in fields)
    assert len(bits) <= total_bits
    bits = bits.ljust(-(-total_bits // 8) * 8, "0")
    return int(bits, 2).to_bytes(len(bits) // 8, "big").hex().upper()


def test_shared_sgtin96_vectors(data_dir: Path) -> None:
    with (data_dir / "rfid" / "sgtin96_vectors.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 5
    for row in rows:
        decoded = epc.decode(row["epc_hex"])
        assert isinstance(decoded, epc.Sgtin)
        assert decoded.gtin14 == row["gtin14"]
        assert decoded.filter == int(row["filter"])
        assert decoded.company_prefix == row["company_prefix"]
        assert decoded.item_reference == row["indicator_item_ref"]
        assert decoded.serial == row["serial"]
        if row["tag_uri"]:
            assert decoded.tag_uri == row["tag_uri"]
        assert epc.gtin_of(row["epc_hex"]) == row["gtin14"]


@pytest.mark.parametrize(
    ("partition", "company", "item", "gtin"),
    [
        (0, "061414112345", "8", "80614141123458"),
        (1, "06141411234", "85", "80614141123458"),
        (2, "0614141123", "845", "80614141123458"),
        (3, "061414112", "8345", "80614141123458"),
        (4, "06141411", "82345", "80614141123458"),
        (5, "0614141", "812345", "80614141123458"),
        (6, "061414", "8112345", "80614141123458"),
    ],
)
def test_sgtin96_every_partition(partition: int, company: str, item: str, gtin: str) -> None:
    company_bits = (40, 37, 34, 30, 27, 24, 20)[partition]
    hex_epc = _pack(
        (0x30, 8),
        (2, 3),
        (partition, 3),
        (int(company), company_bits),
        (int(item), 44 - company_bits),
        (123456789, 38),
        total_bits=96,
    )
    decoded = epc.decode(hex_epc)
    assert isinstance(decoded, epc.Sgtin)
    assert (decoded.company_prefix, decoded.item_reference, decoded.gtin14, decoded.serial) == (
        company,
        item,
        gtin,
        "123456789",
    )
    assert epc.encode_sgtin96(gtin, 123456789, len(company), 2) == hex_epc


def test_sgtin198_alphanumeric_serial() -> None:
    serial = "32a/b"
    chars = [(ord(c), 7) for c in serial]
    hex_epc = _pack((0x36, 8), (3, 3), (5, 3), (614141, 24), (812345, 20), *chars, total_bits=198)
    decoded = epc.decode(hex_epc)
    assert isinstance(decoded, epc.Sgtin)
    assert decoded.scheme == "sgtin-198" and len(hex_epc) == 50
    assert (decoded.gtin14, decoded.serial, decoded.filter) == ("80614141123458", serial, 3)


def test_sscc96_tds_example() -> None:
    # TDS example: urn:epc:tag:sscc-96:3.0614141.1234567890 (SSCC 106141412345678908)
    hex_epc = _pack((0x31, 8), (3, 3), (5, 3), (614141, 24), (1234567890, 34), (0, 24), total_bits=96)
    assert hex_epc == "3174257BF4499602D2000000"
    decoded = epc.decode(hex_epc)
    assert isinstance(decoded, epc.Sscc)
    assert decoded.sscc18 == "106141412345678908"
    assert decoded.tag_uri == "urn:epc:tag:sscc-96:3.0614141.1234567890"


def test_grai96_tds_example() -> None:
    # TDS example: urn:epc:tag:grai-96:3.0614141.12345.5678 (GRAI 00614141123452 + serial 5678)
    hex_epc = _pack((0x33, 8), (3, 3), (5, 3), (614141, 24), (12345, 20), (5678, 38), total_bits=96)
    assert hex_epc == "3374257BF40C0E400000162E"
    decoded = epc.decode(hex_epc)
    assert isinstance(decoded, epc.Grai)
    assert (decoded.grai, decoded.serial, decoded.asset_type) == ("00614141123452", "5678", "12345")


def test_other_headers_stay_raw_ids() -> None:
    decoded = epc.decode("e2004074850a0103163070e1")
    assert decoded == epc.RawEpc("E2004074850A0103163070E1")
    assert decoded.tag_uri == "urn:epc:raw:96.xE2004074850A0103163070E1"
    assert epc.gtin_of("E2004074850A0103163070E1") is None


@pytest.mark.parametrize(
    ("hex_epc", "message"),
    [
        ("zz", "not hex"),
        ("", "empty"),
        ("3074257BF719", "too short"),
        (_pack((0x30, 8), (1, 3), (7, 3), total_bits=96), "reserved partition"),
        (_pack((0x30, 8), (1, 3), (5, 3), (2**24 - 1, 24), total_bits=96), "does not fit"),
    ],
)
def test_bad_epcs_raise_clear_errors(hex_epc: str, message: str) -> None:
    with pytest.raises(EpcError, match=message):
        epc.decode(hex_epc)


def test_encode_rejects_bad_gtin() -> None:
    with pytest.raises(EpcError, match="GTIN-14"):
        epc.encode_sgtin96("80614141123459", 1, 7)
