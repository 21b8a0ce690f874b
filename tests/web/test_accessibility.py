"""Readable contrast (WCAG AA) of the palette, and labelled controls on every page, keyboard use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from edge.web.routes import STATIC_DIR
from tests.web.harness import KIOSK_TOKEN, open_page, running_edge

# (text colour, background colour) pairs the stylesheet actually uses for text
PAIRS = [
    ("ink", "paper"), ("ink", "canvas"), ("muted", "paper"), ("muted", "canvas"), ("brand-ink", "brand"),
    ("brand", "paper"), ("ok", "ok-bg"), ("warn", "warn-bg"), ("bad", "bad-bg"), ("brand-ink", "promo"),
    ("brand-ink", "bad"), ("ok", "paper"),
]  # fmt: skip


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_palette_meets_wcag_aa_for_text() -> None:
    css = (STATIC_DIR / "vitrine.css").read_text()
    palette = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    palette["brand-ink"] = palette.get("brand-ink", "#ffffff")
    for fg, bg in PAIRS:
        ratio = contrast(palette[fg], palette[bg])
        assert ratio >= 4.5, f"{fg} on {bg}: {ratio:.2f}:1"


UNLABELLED = """() => [...document.querySelectorAll('input, select, button, textarea')]
  .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !(el.textContent || '').trim() && el.type !== 'hidden')
  .map((el) => el.outerHTML)"""


@pytest.mark.browser
def test_every_control_is_labelled_and_the_kiosk_works_by_keyboard(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        for path in ("/handheld", "/manager"):
            page = open_page(browser, f"{edge.url}{path}", 1280, 800)
            assert page.evaluate(UNLABELLED) == [], path
            page.close()
        page = open_page(browser, f"{edge.url}/kiosk", 1280, 800)
        assert page.evaluate(UNLABELLED) == []
        # Set-up, search and opening a product with the keyboard alone.
        page.focus("#setup-device")
        page.keyboard.press("Tab")
        page.keyboard.type(KIOSK_TOKEN)
        page.keyboard.press("Enter")
        expect(page.locator("#idle")).to_be_visible()
        page.focus("#search-q")
        page.keyboard.type("NESTING BOXES")
        page.keyboard.press("Enter")
        expect(page.locator("#results-list .tile").first).to_be_visible()
        page.keyboard.press("Tab")  # the search button
        for _ in range(10):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('tile')"):
                break
        page.keyboard.press("Enter")
        expect(page.locator("#product-name")).to_contain_text("NESTING BOXES")
        assert page.errors == []  # type: ignore[attr-defined]
