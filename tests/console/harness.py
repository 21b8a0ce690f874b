"""A real hub for console browser tests: SQLite (or a given database URL), uvicorn on a free loopback
port, users made with the ``vitrine-cloud user`` CLI, and a Playwright page signed in as a role."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import BrowserContext, Page
from typer.testing import CliRunner

from cloud.api import create_app
from cloud.cli import app as cloud_cli
from cloud.hub import Hub
from cloud.settings import CloudSettings
from cloud.storage import migrate
from tests.web.harness import LiveServer, live_server, open_page

ADMIN_TOKEN = "console-admin-token-0123456789"
SHOP_TOKEN = "console-shop-token-0123456789"
# One user per role, made by :func:`create_user` in :func:`running_hub`.
PASSWORDS = {
    "ada": ("admin", "ada-password-1"),
    "mona": ("marketing", "mona-password-1"),
    "alan": ("analyst", "alan-password-1"),
}
USER_OF_ROLE = {role: name for name, (role, _pw) in PASSWORDS.items()}


@dataclass
class ConsoleHub:
    settings: CloudSettings
    hub: Hub
    server: LiveServer

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, token: str = ADMIN_TOKEN) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    @contextmanager
    def session(self, username: str) -> Iterator[httpx.Client]:
        """An HTTP client signed in through the console form as ``username`` (cookie, no token)."""
        with httpx.Client(base_url=self.url, timeout=10) as client:
            response = client.post(
                "/console/sign-in", data={"username": username, "password": PASSWORDS[username][1]}
            )
            assert response.status_code == 303, response.text
            yield client


def cli(*args: str, stdin: str | None = None) -> Any:
    """Run ``vitrine-cloud ARGS`` in this process; the result (exit code, output) of the CLI."""
    result = CliRunner().invoke(cloud_cli, list(args), input=stdin)
    return result


def create_user(database_url: str, username: str, role: str, password: str) -> None:
    result = cli(
        "user", "create", username, "--role", role, "--password-stdin", "--db", database_url, stdin=password
    )
    assert result.exit_code == 0, result.output


def hub_settings(tmp_path: Path, database_url: str | None = None, **overrides: Any) -> CloudSettings:
    return CloudSettings(
        database_url=database_url or f"sqlite:///{tmp_path / 'hub.db'}",
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        shop_token=SHOP_TOKEN,  # type: ignore[arg-type]
        **overrides,
    )


@contextmanager
def running_hub(
    tmp_path: Path, database_url: str | None = None, *, with_users: bool = True, **overrides: Any
) -> Iterator[ConsoleHub]:
    """The hub's API and console on loopback (migrated; one user per role unless ``with_users`` is false)."""
    settings = hub_settings(tmp_path, database_url, **overrides)
    hub = Hub.from_settings(settings)
    try:
        migrate(hub.engine)
        if with_users:
            for name, (role, password) in PASSWORDS.items():
                create_user(settings.database_url, name, role, password)
        with live_server(create_app(settings, hub)) as server:
            yield ConsoleHub(settings, hub, server)
    finally:
        hub.close()


def console_page(context: BrowserContext, hub_url: str, path: str = "/console") -> Page:
    """A page (script errors in ``page.errors``, off-loopback requests aborted and kept in
    ``page.external``) opened at ``path``."""
    return open_page(context, hub_url + path, 1280, 800)


def sign_in(context: BrowserContext, hub_url: str, username: str, password: str | None = None) -> Page:
    """Sign ``username`` in through the form; the page is left where the console lands them."""
    page = console_page(context, hub_url, "/console/sign-in")
    # by keyboard only: the username field has the focus, Tab to the password, Enter submits
    page.get_by_label("Username").wait_for()
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(password if password is not None else PASSWORDS[username][1])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return page


def unlabelled_controls(page: Page) -> list[str]:
    """Visible form controls without a label (a keyboard or screen-reader user could not tell them)."""
    found: list[str] = page.evaluate(
        """() => [...document.querySelectorAll("input:not([type=hidden]), select, textarea")]
            .filter((el) => el.labels.length === 0 && !el.getAttribute("aria-label"))
            .map((el) => el.outerHTML)"""
    )
    return found
