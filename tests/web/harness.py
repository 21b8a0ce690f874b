"""A real edge for browser tests: replica seeded from a slice of the Online Retail data, served by uvicorn."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
import tty
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.sync_api import BrowserContext, Page

from edge.api.app import create_app
from edge.node import EdgeNode
from edge.seed import seed
from edge.settings import EdgeSettings
from edge.web.pins import hash_pin
from sync.broker import free_port
from sync.ops import CLOUD_ORIGIN, Op
from tests.support.paths import REPO
from tests.support.polling import wait_for as poll

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
# The documented screenshots (docs/screenshots) are refreshed only on request (`make screenshots`);
# an ordinary test run writes its pictures outside the work tree.
SCREENSHOTS = Path(
    os.environ.get("VITRINE_SCREENSHOTS_DIR") or Path(tempfile.gettempdir()) / "vitrine-screenshots"
)
# Invoices in the slice: every line of the first few weeks of the real Online Retail data.
SLICE_LINES = 12_000
SYNC_SLICE_LINES = 1_500


class LiveServer:
    """An ASGI app served by uvicorn on a free loopback port, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
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


KIOSK_TOKEN = "kiosk-token-0123456789abcdef"
STAFF_TOKEN = "staff-token-0123456789abcdef"
MANAGER_TOKEN = "manager-token-0123456789abcdef"
STAFF_PIN = "4821"
MANAGER_PIN = "7319"


@dataclass
class Edge:
    settings: EdgeSettings
    node: EdgeNode
    server: LiveServer
    app: Any

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, token: str = STAFF_TOKEN) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)


def staff_pins_env(monkeypatch: pytest.MonkeyPatch) -> None:
    pins = {
        "alice": {"role": "staff", "pin_hash": hash_pin(STAFF_PIN, iterations=20_000)},
        "maud": {"role": "manager", "pin_hash": hash_pin(MANAGER_PIN, iterations=20_000)},
    }
    monkeypatch.setenv("VITRINE_WEB_STAFF_PINS", json.dumps(pins))


@contextmanager
def running_edge(
    tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch, **overrides: Any
) -> Iterator[Edge]:
    """Seed a fresh replica from ``retail_slice`` and serve the edge app (with the web UIs) on loopback."""
    staff_pins_env(monkeypatch)
    settings = EdgeSettings(
        db_path=tmp_path / "edge.db",
        kiosk_token=KIOSK_TOKEN,
        staff_token=STAFF_TOKEN,
        manager_token=MANAGER_TOKEN,
        **overrides,
    )
    node = EdgeNode.open(settings.db_path, settings.store_id, default_zone=settings.default_zone)
    seed(node.replica, retail_slice)
    app = create_app(settings, node=node)
    try:
        with live_server(app) as server:
            yield Edge(settings, node, server, app)
    finally:
        node.close()


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


def cloud_ops(edge: Edge, *bodies: tuple[str, dict[str, Any]]) -> None:
    """Apply ops as the cloud's downlink would deliver them (next seqs of the ``cloud`` stream)."""
    inbox = edge.node.inbox
    mark = inbox.high_water_mark(CLOUD_ORIGIN)
    clock = edge.node.replica.clock
    # one HLC per op, as the hub stamps them (the inbox keeps one op per (origin, hlc))
    ops = [
        Op(origin=CLOUD_ORIGIN, seq=mark + i, hlc=str(clock.now()), type=kind, body=body)
        for i, (kind, body) in enumerate(bodies, 1)
    ]
    assert inbox.apply(CLOUD_ORIGIN, ops) == mark + len(ops)


def place_click_collect(edge: Edge, order_id: str, customer_id: str, lines: list[tuple[str, int]]) -> None:
    """A click & collect order placed online for this store, priced at the replica's list price."""
    with edge.api(STAFF_TOKEN) as client:
        priced = [
            (sku, qty, int(client.get(f"/api/v1/products/{sku}").json()["price_cents"])) for sku, qty in lines
        ]
    body = {
        "order_id": order_id,
        "kind": "click_collect",
        "customer_id": customer_id,
        "store": edge.settings.store_id,
        "lines": [{"sku": sku, "qty": qty, "unit_cents": cents} for sku, qty, cents in priced],
        "total_cents": sum(qty * cents for _sku, qty, cents in priced),
        "channel": "online",
        "at": "2026-01-01T00:00:00Z",
    }
    cloud_ops(edge, ("order.placed", body))


class VirtualSerialScanner:
    """A barcode scanner on a pseudo-terminal: the device hub opens the pty's device path like a
    USB-serial scanner, and :meth:`scan` types a code followed by CR LF, as the hardware does."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        self.path = os.ttyname(self._slave)

    def scan(self, text: str) -> None:
        os.write(self._master, text.encode("ascii") + b"\r\n")

    def close(self) -> None:
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


def scanner_profile(config_dir: Path, scanner: VirtualSerialScanner, session: str) -> None:
    """A device-hub scanner profile routing ``scanner`` to a kiosk/handheld ``session``."""
    folder = config_dir / "scanners"
    folder.mkdir(parents=True, exist_ok=True)
    kind = "handheld" if session.startswith("handheld") else "kiosk"
    (folder / f"{session}-serial.toml").write_text(
        f'id = "{session}-serial"\nkind = "serial"\nurl = "{scanner.path}"\ndedup_window_s = 0.3\n'
        f'route = "{kind}:{session}"\n\n[serial]\nbaudrate = 9600\nterminators = "\\r\\n"\n'
    )


def rfid_profiles(config_dir: Path) -> None:
    """The repo's simulated RFID readers (``vitrinesim://``) and site settings, for the device hub."""
    source = REPO / "firmware-config"
    (config_dir / "readers").mkdir(parents=True, exist_ok=True)
    for profile in (source / "readers").glob("*.toml"):
        (config_dir / "readers" / profile.name).write_text(profile.read_text())
    (config_dir / "rfid.toml").write_text((source / "rfid.toml").read_text())


def wait_for(pred: Callable[[], bool], timeout: float, what: str) -> None:
    """The shared bounded wait, polling every 0.1 s (each poll may drive the browser)."""
    poll(pred, timeout, what, interval=0.1)
