"""The manager's sync panel shows how far the store's bootstrap from the hub has come."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from edge.bootstrap import progress
from sync.bootstrap import Cursor
from tests.web.harness import MANAGER_PIN, open_page, running_edge

HEADER = {"hlc": "1700000000000.0000.cloud", "totals": {"catalog": 2000, "prices": 2000, "customers": 800}}


@pytest.mark.browser
def test_the_sync_panel_shows_the_bootstrap_phase_and_progress(
    browser: BrowserContext, tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
        page = open_page(browser, f"{edge.url}/manager", 1280, 900)
        page.fill("#pin", MANAGER_PIN)
        page.press("#pin", "Enter")
        expect(page.locator("#sync-state")).to_have_text("Not configured")
        expect(page.locator("#sync-bootstrap-row")).to_be_hidden()  # a seeded replica: never bootstrapped
        cursor = Cursor.opened(HEADER)
        cursor.advance("catalog", 2000, None)
        cursor.advance("prices", 2000, None)
        cursor.advance("stock", 0, None)
        cursor.advance("customers", 300, "C0000300")
        progress.ensure_table(edge.node.replica)
        with edge.node.replica.write() as tx:
            progress.save(tx, cursor)
        page.reload()  # still signed in
        expect(page.locator("#sync-bootstrap-row")).to_be_visible(timeout=15_000)
        expect(page.locator("#sync-bootstrap")).to_contain_text("customers 300/800")
        expect(page.locator("#sync-bootstrap")).to_contain_text("selling")
        assert page.errors == []  # type: ignore[attr-defined]
        page.close()
