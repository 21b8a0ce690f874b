"""PIN hashing and lockout, QR SVG generation: the small pure pieces behind the pages."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from edge.errors import ConfigError
from edge.web.pins import Lockout, PinFormatError, hash_pin, main, verify_pin
from edge.web.qr import MAX_QR_TEXT, qr_svg
from edge.web.settings import load_web_settings


def test_pin_hash_verifies_only_the_right_pin() -> None:
    entry = hash_pin("4821", iterations=1000)
    assert entry.startswith("pbkdf2_sha256$1000$")
    assert verify_pin("4821", entry)
    assert not verify_pin("4822", entry)
    assert hash_pin("4821", iterations=1000) != entry  # salted


def test_malformed_pin_hash_is_rejected_with_its_expected_form() -> None:
    with pytest.raises(PinFormatError, match="pbkdf2_sha256"):
        verify_pin("1234", "md5$abc")
    with pytest.raises(ConfigError, match="staff_pins"):
        load_web_settings(staff_pins={"bob": {"role": "staff", "pin_hash": "plain-1234"}})
    with pytest.raises(ConfigError, match="role"):
        load_web_settings(staff_pins={"bob": {"role": "owner", "pin_hash": hash_pin("1234", iterations=10)}})


def test_lockout_after_failures_and_window_expiry() -> None:
    now = [0.0]
    lock = Lockout(max_failures=3, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        assert lock.retry_after("10.0.0.5") == 0
        lock.failed("10.0.0.5")
    assert lock.retry_after("10.0.0.5") == pytest.approx(60)
    assert lock.retry_after("10.0.0.6") == 0  # per client
    now[0] = 30
    assert lock.retry_after("10.0.0.5") == pytest.approx(30)
    now[0] = 61
    assert lock.retry_after("10.0.0.5") == 0
    lock.failed("10.0.0.5")
    lock.succeeded("10.0.0.5")
    assert lock.retry_after("10.0.0.5") == 0


def test_pin_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["123"]) == 2
    assert main(["98765"]) == 0
    assert verify_pin("98765", capsys.readouterr().out.strip())


def test_qr_svg_decodes_back_to_its_text() -> None:
    text = "VTR1.card.0123456789abcdef"
    svg = qr_svg(text)
    assert svg.startswith("<svg") and "viewBox" in svg and "<?xml" not in svg
    root = ElementTree.fromstring(svg)
    assert root.tag.endswith("svg") and root.get("viewBox")
    with pytest.raises(ValueError):
        qr_svg("")
    with pytest.raises(ValueError):
        qr_svg("x" * (MAX_QR_TEXT + 1))
