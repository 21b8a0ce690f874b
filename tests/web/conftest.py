"""Browser-test fixtures: headless Chromium (Playwright, sync API) and a real uvicorn edge server."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

from sync.broker import free_port
from tests.support.paths import REPO

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "docs" / "screenshots"
# Invoices in the slice: every line of the first few weeks of the real Online Retail data.
SLICE_LINES = 12_000


class LiveServer:
    """An ASGI app served by uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="edge-uvicorn", daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("edge server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)
        assert not self.thread.is_alive(), "edge server did not stop"


@contextmanager
def live_server(app: Any) -> Iterator[LiveServer]:
    server = LiveServer(app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def retail_slice(retail_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first lines of the real Online Retail CSV (header kept), as a smaller .csv.gz."""
    out = tmp_path_factory.mktemp("retail") / "online_retail_slice.csv.gz"
    with (
        gzip.open(retail_csv, "rt", encoding="utf-8", newline="") as src,
        gzip.open(out, "wt", encoding="utf-8", newline="") as dst,
    ):
        for n, line in enumerate(src):
            if n > SLICE_LINES:
                break
            dst.write(line)
    return out


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def browser(playwright_driver: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    """A Chromium with a fresh profile for one test (nothing left over in localStorage)."""
    context = playwright_driver.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1280, "height": 800},
        locale="fr-FR",
        timezone_id="Europe/Paris",
    )
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def open_page(context: BrowserContext, url: str, width: int, height: int) -> Page:
    """A page of ``context`` recording script errors in ``page.errors`` and every request that
    would leave the edge in ``page.external`` (those are aborted: the UIs must work offline)."""
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": height})
    errors: list[str] = []
    external: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))

    def guard(route: Any) -> None:
        if route.request.url.startswith(("http://127.0.0.1:", "data:")):
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.errors = errors  # type: ignore[attr-defined]
    page.external = external  # type: ignore[attr-defined]
    page.goto(url)
    return page


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
