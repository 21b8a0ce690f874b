"""Lockout per account in Chromium, on SQLite and PostgreSQL: wrong passwords lock that account (whatever the address), the page
says who can help; an admin unlocks it on the Users page; the audit log shows who did it."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import BrowserContext

from tests.console.harness import running_hub, sign_in, unlabelled_controls


def test_wrong_passwords_lock_the_account_until_an_admin_unlocks_it(
    browser: BrowserContext, tmp_path: Path, db_url: str
) -> None:
    with running_hub(tmp_path, db_url, console_lockout_failures=3) as hub:
        page = sign_in(browser, hub.url, "mona", "not-her-password")
        assert "2 more failed attempts lock this account" in page.get_by_role("alert").inner_text()
        sign_in(browser, hub.url, "mona", "still-not-it").close()
        page = sign_in(browser, hub.url, "mona", "third-wrong-one")
        message = page.get_by_role("alert").inner_text()
        assert "locked after 3 failed sign-ins" in message
        assert "administrator can unlock it now" in message
        # locked: the right password is refused too, from another client as well
        page = sign_in(browser, hub.url, "mona")
        assert "locked" in page.get_by_role("alert").inner_text()
        assert page.url.endswith("/console/sign-in")
        # the lockout is the account's, not the address's: another user signs in from here
        admin = sign_in(browser, hub.url, "ada")
        admin.goto(hub.url + "/console/users")
        assert unlabelled_controls(admin) == []
        row = admin.locator("#user-mona")
        assert "locked until" in row.inner_text()
        row.get_by_role("button", name="Unlock").click()
        admin.wait_for_url("**/console/users?done=unlock")
        assert "active" in admin.locator("#user-mona").inner_text()
        admin.goto(hub.url + "/console/audit")
        assert "user.unlock" in admin.locator("#audit tbody tr").first.inner_text()
        assert admin.locator("#audit tbody tr", has_text="account.locked").count() == 1
        assert admin.errors == []  # type: ignore[attr-defined]

        with hub.session("mona") as client:
            assert client.get("/console/me").status_code == 200
