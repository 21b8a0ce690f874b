"""Interactive API docs on the hub and the edge render in Chromium with every request that would
leave 127.0.0.1 blocked (Swagger UI comes from a package, served by the app; strict CSP holds)."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import BrowserContext

from edge.api.app import create_app as create_edge_app
from edge.settings import EdgeSettings
from tests.console.harness import running_hub
from tests.web.harness import KIOSK_TOKEN, MANAGER_TOKEN, STAFF_TOKEN, live_server, open_page


def _docs_render(browser: BrowserContext, url: str, title: str) -> None:
    violations: list[str] = []
    page = open_page(browser, url + "/docs", 1280, 800)
    page.on(
        "console", lambda msg: violations.append(msg.text) if "Content Security Policy" in msg.text else None
    )
    page.locator(".swagger-ui .info .title").wait_for()
    assert title in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock").count() > 5  # the operations are listed
    page.locator(".opblock-summary").first.click()  # and open
    page.locator(".opblock-body").first.wait_for()
    assert page.errors == []  # type: ignore[attr-defined]
    assert page.external == []  # type: ignore[attr-defined]
    assert violations == []
    page.close()


def test_api_docs_work_offline_on_the_hub_and_the_edge(browser: BrowserContext, tmp_path: Path) -> None:
    with running_hub(tmp_path, with_users=False) as hub:
        _docs_render(browser, hub.url, "Vitrine cloud hub")
        assert httpx.get(hub.url + "/docs/swagger-editor.js").status_code == 404  # only what the page needs
    settings = EdgeSettings(
        db_path=tmp_path / "edge.db",
        kiosk_token=KIOSK_TOKEN,
        staff_token=STAFF_TOKEN,
        manager_token=MANAGER_TOKEN,
    )
    with live_server(create_edge_app(settings)) as edge:
        _docs_render(browser, edge.url, "Vitrine edge")
