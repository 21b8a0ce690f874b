"""Sign-in per role in Chromium: each role sees only its pages, and the API refuses the rest (403);
the hub on SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext

from tests.console.harness import PASSWORDS, running_hub, sign_in, unlabelled_controls
from tests.web.harness import screenshot


def test_each_role_sees_only_its_pages_and_the_api_agrees(
    browser: BrowserContext, tmp_path: Path, db_url: str
) -> None:
    with running_hub(tmp_path, db_url) as hub:
        # the hub's root is the console, and without a session the console is the sign-in page
        page = browser.new_page()
        page.goto(hub.url + "/")
        assert page.url == hub.url + "/console/sign-in"
        assert unlabelled_controls(page) == []
        assert page.evaluate("document.activeElement.id") == "username"
        screenshot(page, "hub-signin.png")
        page.close()

        page = sign_in(browser, hub.url, "alan")  # analyst
        nav = page.get_by_role("navigation", name="Console")
        assert nav.get_by_role("link", name="Fleet").count() == 1
        assert nav.get_by_role("link", name="Audit log").count() == 0
        page.goto(hub.url + "/console/audit")
        assert "Not for your role" in page.locator("h1").inner_text()
        assert page.errors == []  # type: ignore[attr-defined]
        assert page.external == []  # type: ignore[attr-defined]
        with hub.session("alan") as api:
            assert api.get("/admin/v1/stores").status_code == 200
            assert api.get("/admin/v1/customers/x").status_code == 403
            assert api.post("/admin/v1/stock/summaries").status_code == 403
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(hub.url + "/console/sign-in")
        page.goto(hub.url + "/console/fleet")
        assert "/console/sign-in" in page.url

        page = sign_in(browser, hub.url, "mona")  # marketing
        nav = page.get_by_role("navigation", name="Console")
        assert nav.get_by_role("link", name="Fleet").count() == 0
        with hub.session("mona") as api:
            assert api.get("/admin/v1/stores").status_code == 403
            assert (
                api.post("/admin/v1/customers/merge", json={"customer_a": "a", "customer_b": "b"}).status_code
                == 404
            )
        page.get_by_role("button", name="Sign out").click()

        with hub.session("ada") as api:  # an admin's changes through the API are audited under their name
            store = {"store_id": "lyon", "name": "Lyon Part-Dieu"}
            evil = {"Origin": "http://shop.example"}
            assert api.post("/admin/v1/stores", json=store, headers=evil).status_code == 403
            assert api.post("/admin/v1/stores", json=store).status_code == 201
        page = sign_in(browser, hub.url, "ada")  # admin
        nav = page.get_by_role("navigation", name="Console")
        nav.get_by_role("link", name="Audit log").click()
        rows = page.locator("#audit tbody tr")
        assert "sign-in" in rows.first.inner_text()
        assert "ada" in rows.first.inner_text()
        provision = rows.filter(has_text="store.provision")
        assert provision.count() == 1
        assert "Lyon Part-Dieu" in provision.inner_text()
        screenshot(page, "hub-audit.png")
        # no credentials: 401; a shop token: 403; the admin token still works for tools
        with hub.api("") as anonymous:
            assert anonymous.get("/admin/v1/stores", headers={"Authorization": ""}).status_code == 401
        assert set(PASSWORDS) == {"ada", "mona", "alan"}
