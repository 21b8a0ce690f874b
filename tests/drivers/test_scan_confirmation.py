"""Zero misreads: what a fallback step finds counts only once confirmed, on real corpus photos with the
real decoders; and the corpus scores every EAN/UPC form of the same product as that product."""

from __future__ import annotations

from pathlib import Path

from drivers.scan.chain import default_chain
from drivers.scan.confirm import ean_upc_gtin, identity, product_gtin
from drivers.scan.corpus import CorpusImage, add_on_missing, matches, misread
from drivers.scan.images import load_image
from drivers.scan.model import Decoded, Symbology


def test_a_fallback_symbol_no_second_library_reads_is_dropped(data_dir: Path) -> None:
    # zxing finds two EAN-13s after rotating this photo; only opencv agrees with the printed one
    image = load_image(data_dir / "barcodes" / "ean13-1" / "35.webp")
    result = default_chain(budget_ms=None).decode_traced(image)
    assert [s.text for s in result.symbols] == ["5030159003930"]
    assert result.rejected == 1 and result.step is not None and result.step.decoder == "opencv-barcode"


def test_the_catalog_holds_back_an_unknown_primary_ean_until_confirmed(data_dir: Path) -> None:
    path = data_dir / "barcodes" / "upca-4" / "1.webp"
    expected = CorpusImage("upca-4", path, (path.with_suffix(".txt")).read_bytes())
    known = {"00023942431015"}
    symbols = default_chain(budget_ms=None, known_product=known.__contains__).decode(load_image(path))
    assert symbols and all(matches(expected, s) for s in symbols)
    # without a catalog the primary step's own (wrong, check-digit-valid) reading stands
    alone = default_chain(budget_ms=None).decode(load_image(path))
    assert [s.text for s in alone] == ["9074932437075"] and misread(expected, alone[0])


def test_catalog_confirms_only_products_of_checked_symbologies() -> None:
    assert product_gtin(Decoded(Symbology.UPCE, "01264904")) == "00012000006494"
    assert product_gtin(Decoded(Symbology.DATABAR, "0102001234567893")) == "02001234567893"
    assert product_gtin(Decoded(Symbology.ITF, "00012345678905")) is None  # no check of its own
    assert product_gtin(Decoded(Symbology.EAN13, "9074932437076")) is None  # wrong check digit
    assert identity(Decoded(Symbology.UPCA, "023942431015")) == identity(
        Decoded(Symbology.EAN13, "0023942431015")
    )


def test_corpus_scores_upc_a_read_as_ean13_and_upc_e_forms(tmp_path: Path) -> None:
    upca = CorpusImage("upca-held-out", tmp_path / "a.png", b"023942431015")  # 12-digit UPC-A expectation
    assert matches(upca, Decoded(Symbology.EAN13, "0023942431015"))
    assert matches(upca, Decoded(Symbology.UPCA, "023942431015"))
    assert not matches(upca, Decoded(Symbology.EAN8, "62502122"))
    upce = CorpusImage("upce-held-out", tmp_path / "e.png", b"01264904")  # 8-digit UPC-E expectation
    assert matches(upce, Decoded(Symbology.UPCE, "0012000006494"))
    assert matches(upce, Decoded(Symbology.UPCA, "012000006494"))
    assert ean_upc_gtin("01264904", upce=True) == ("00012000006494", "")
    with_add_on = CorpusImage("upca-extension-1", tmp_path / "x.png", b"002701100695102601")
    partial = Decoded(Symbology.EAN13, "0027011006951")
    assert not matches(with_add_on, partial) and add_on_missing(with_add_on, partial)
    assert not misread(with_add_on, partial)
    assert misread(with_add_on, Decoded(Symbology.EAN13, "002701100695102602"))
