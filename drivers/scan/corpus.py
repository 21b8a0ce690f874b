"""Reader for a zxing-cpp style test corpus and the rules for comparing a decode with its expectation.

Layout: one folder per set (``ean13-1``, ``qrcode-7``, ``falsepositives-1``…); each image ``X.png``
has its expected content in ``X.txt`` (text) or ``X.bin`` (bytes). Images named ``G-N`` without a
file of their own are structured-append parts of the message in ``G.txt``.

Comparison (:func:`matches`) normalises what the corpus and the decoders write differently:
EAN/UPC are compared as GTIN-14 plus add-on digits, whichever form either side writes (UPC-A ↔
EAN-13 with a leading 0, UPC-E ↔ its UPC-A expansion; parsed by ``biip``),
GS1 element strings as their (AI, value) pairs whether written raw or parenthesised.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from drivers import gs1
from drivers.scan.confirm import ean_upc_gtin
from drivers.scan.images import IMAGE_SUFFIXES
from drivers.scan.model import EAN_UPC, Decoded, Symbology

RETAIL_SET = re.compile(
    r"^(upca|upce|ean13|ean8|qrcode|microqrcode|rss14|rssexpanded|rssexpandedstacked|databarltd|datamatrix|code128|itf)(-|$)"
)
FALSE_POSITIVE_SET = re.compile(r"^falsepositives")


@dataclass(frozen=True, slots=True)
class CorpusImage:
    set_name: str
    path: Path
    expected: bytes | None
    """Expected content (UTF-8 text files are kept as their bytes); None for false-positive images."""
    part_of_message: bool = False
    """True for a structured-append part: a decode matches when it is a piece of ``expected``."""


def retail_sets(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and RETAIL_SET.match(p.name))


def false_positive_sets(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and FALSE_POSITIVE_SET.match(p.name))


def images_of(root: Path, set_name: str) -> Iterator[CorpusImage]:
    """Every image of a set with its expectation; images of a code set without one are skipped."""
    folder = root / set_name
    negative = bool(FALSE_POSITIVE_SET.match(set_name))
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if negative:
            yield CorpusImage(set_name, path, None)
            continue
        for suffix in (".txt", ".bin"):
            expected = path.with_suffix(suffix)
            if expected.exists():
                yield CorpusImage(set_name, path, expected.read_bytes())
                break
        else:
            group = path.with_name(path.stem.rsplit("-", 1)[0] + ".txt")
            if "-" in path.stem and group.exists():
                yield CorpusImage(set_name, path, group.read_bytes(), part_of_message=True)


def _gs1_key(text: str) -> tuple[tuple[str, str], ...] | None:
    for parse in (gs1.parse_hri, gs1.parse_element_string):
        try:
            return parse(text).elements
        except gs1.Gs1Error:
            continue
    return None


def matches(image: CorpusImage, decoded: Decoded) -> bool:
    """Whether ``decoded`` is the content ``image`` expects (normalised as the module doc says)."""
    if image.expected is None or not decoded.text:
        return False
    expected_bytes = image.expected
    got = decoded.text
    if image.part_of_message:
        return got.encode() in expected_bytes
    if got.encode() == expected_bytes or got.encode("latin-1", errors="ignore") == expected_bytes:
        return True
    expected = expected_bytes.decode("utf-8", errors="replace")
    if decoded.symbology in EAN_UPC:
        got_key = ean_upc_gtin(got, upce=decoded.symbology is Symbology.UPCE)
        want_key = ean_upc_gtin(expected, upce=image.set_name.startswith("upce"))
        if got_key is None or want_key is None or got_key[0] != want_key[0]:
            return False
        # an add-on the expectation does not mention is extra information, not a misread
        return want_key[1] in ("", got_key[1])
    got_gs1 = _gs1_key(got)
    return got_gs1 is not None and got_gs1 == _gs1_key(expected)


def expected_gtin(image: CorpusImage) -> str | None:
    """The GTIN-14 an image's expectation names: EAN/UPC digits or GS1 AI (01); None otherwise."""
    if image.expected is None or image.part_of_message:
        return None
    text = image.expected.decode("utf-8", "replace")
    if image.set_name.startswith(("upc", "ean")):
        found = ean_upc_gtin(text, upce=image.set_name.startswith("upce"))
    else:
        gtin = dict(_gs1_key(text) or ()).get("01")
        found = ean_upc_gtin(gtin) if gtin else None
    return found[0] if found else None


def misread(image: CorpusImage, decoded: Decoded) -> bool:
    """A decode naming other content than ``image`` expects. A right EAN/UPC whose add-on was not
    read names the right product: it is neither a match nor a misread (see :func:`add_on_missing`)."""
    return image.expected is not None and not matches(image, decoded) and not add_on_missing(image, decoded)


def add_on_missing(image: CorpusImage, decoded: Decoded) -> bool:
    """The right GTIN, read without the add-on the expectation carries."""
    if image.expected is None or decoded.symbology not in EAN_UPC or image.part_of_message:
        return False
    got = ean_upc_gtin(decoded.text, upce=decoded.symbology is Symbology.UPCE)
    want = ean_upc_gtin(image.expected.decode("ascii", "replace"), upce=image.set_name.startswith("upce"))
    return got is not None and want is not None and got[0] == want[0] and not got[1] and bool(want[1])
