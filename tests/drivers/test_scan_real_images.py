"""Every retail-format image of the zxing-cpp corpus (../shared/data/barcodes) through the default chain.

Floors are the per-set counts measured with the shipped chain (bench/scan.py prints the same table),
with the store's catalog as confirmer (the products the corpus expects, as a store's catalog holds
the products on its shelves). The chain runs without its per-frame time budget here, so the result
does not depend on how busy the machine is; with the budget the benchmark's figure is within a few
images of this one. No image may decode to other content than it carries (zero misreads).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.scan.chain import DecoderChain, default_chain
from drivers.scan.corpus import expected_gtin, false_positive_sets, images_of, matches, misread, retail_sets
from drivers.scan.images import load_image

# set: (images decoded to the expected content, images) — measured, exact
MEASURED = {
    "code128-2": (14, 14),
    "code128-3": (2, 2),
    "databarltd-1": (2, 2),
    "datamatrix-1": (29, 30),
    "datamatrix-2": (13, 13),
    "datamatrix-3": (27, 28),
    "datamatrix-4": (21, 21),
    "datamatrix-5": (4, 5),
    "ean13-1": (15, 16),
    "ean13-extension-1": (4, 5),
    "itf-1": (14, 14),
    "itf-2": (6, 6),
    "microqrcode-1": (15, 16),
    "qrcode-7": (4, 4),
    "rss14-1": (12, 13),
    "rss14-2": (7, 7),
    "rssexpanded-1": (37, 37),
    "rssexpanded-2": (7, 7),
    "rssexpanded-3": (118, 118),
    "rssexpandedstacked-1": (62, 62),
    "rssexpandedstacked-2": (2, 2),
    "upca-1": (5, 5),
    "upca-3": (6, 6),
    "upca-4": (13, 13),
    "upca-5": (17, 20),
    "upca-extension-1": (3, 6),
    "upce-2": (15, 15),
    "upce-3": (10, 11),
}


@pytest.fixture(scope="module")
def corpus(data_dir: Path) -> Path:
    root = data_dir / "barcodes"
    assert root.is_dir(), f"missing barcode corpus at {root}"
    return root


def test_every_retail_set_is_measured(corpus: Path) -> None:
    assert set(retail_sets(corpus)) == set(MEASURED)
    assert false_positive_sets(corpus), "the false-positive sets are missing"


def _store_chain(corpus: Path) -> DecoderChain:
    catalog = {g for s in retail_sets(corpus) for im in images_of(corpus, s) if (g := expected_gtin(im))}
    return default_chain(budget_ms=None, known_product=catalog.__contains__)


def test_retail_sets_decode_at_least_the_measured_rate_without_misreads(corpus: Path) -> None:
    chain = _store_chain(corpus)
    shortfalls = {}
    misreads = {}
    for set_name, (floor, count) in MEASURED.items():
        images = list(images_of(corpus, set_name))
        assert len(images) == count, f"{set_name}: corpus changed ({len(images)} images, expected {count})"
        decoded = 0
        for image in images:
            symbols = chain.decode(load_image(image.path))
            decoded += any(matches(image, s) for s in symbols)
            wrong = [s.text for s in symbols if misread(image, s)]
            if wrong:
                misreads[f"{set_name}/{image.path.name}"] = wrong
        if decoded < floor:
            shortfalls[set_name] = f"{decoded}/{count} < {floor}/{count}"
    assert not shortfalls, shortfalls
    assert not misreads, misreads
    total = sum(f for f, _ in MEASURED.values()) / sum(n for _, n in MEASURED.values())
    assert total >= 0.97


def test_false_positive_sets_decode_nothing(corpus: Path) -> None:
    chain = _store_chain(corpus)
    found = {}
    for set_name in false_positive_sets(corpus):
        for image in images_of(corpus, set_name):
            symbols = chain.decode(load_image(image.path))
            if symbols:
                found[image.path.name] = symbols
    assert not found
