"""PIN lockout per device (never per address: behind the reverse proxy every device has one address),
a manager who unlocks a device, and a message that names who can help."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Playwright, expect

from tests.web.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MANAGER_PIN,
    MANAGER_TOKEN,
    STAFF_PIN,
    open_page,
    running_edge,
    screenshot,
)

HANDHELD = "dev-handheld-0001"
MANAGER_DESK = "dev-manager-desk-01"


def test_lockout_is_per_device_and_a_manager_unlocks(
    tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VITRINE_WEB_PIN_MAX_FAILURES", "3")
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge, edge.api("") as anon:
        anon.headers.pop("Authorization")
        for _ in range(3):  # every request comes from 127.0.0.1, as behind the proxy
            wrong = anon.post("/ui/sign-in", json={"pin": "0000", "device": HANDHELD})
            assert wrong.status_code == 401
        locked = anon.post("/ui/sign-in", json={"pin": STAFF_PIN, "device": HANDHELD})
        assert locked.status_code == 429
        detail = locked.json()["detail"]
        assert "maud" in detail and "this device" in detail  # who can help, and what is locked
        # the manager, on another device behind the same address, still signs in
        manager = anon.post("/ui/sign-in", json={"pin": MANAGER_PIN, "device": MANAGER_DESK})
        assert manager.status_code == 200 and manager.json()["role"] == "manager"
        with edge.api(MANAGER_TOKEN) as desk:
            listed = desk.get("/ui/manager/lockouts").json()
            assert [row["device"] for row in listed] == [HANDHELD]
            assert listed[0]["failures"] == 3 and listed[0]["retry_after_s"] > 0
            assert desk.post(f"/ui/manager/lockouts/{HANDHELD}/unlock").status_code == 204
            assert desk.get("/ui/manager/lockouts").json() == []
        with edge.api("") as staff_token_less:
            staff_token_less.headers.pop("Authorization")
            assert staff_token_less.post("/ui/manager/lockouts/x/unlock").status_code == 401
        again = anon.post("/ui/sign-in", json={"pin": STAFF_PIN, "device": HANDHELD})
        assert again.status_code == 200 and again.json()["name"] == "alice"


@pytest.mark.browser
def test_locked_handheld_names_the_manager_who_unlocks_it_from_the_manager_page(
    browser: BrowserContext,
    playwright_driver: Playwright,
    tmp_path: Path,
    retail_slice: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VITRINE_WEB_PIN_MAX_FAILURES", "3")
    desk_browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        with running_edge(tmp_path, retail_slice, monkeypatch) as edge:
            handheld = open_page(browser, f"{edge.url}/handheld?device=handheld-1", 400, 820)
            for pin in ("0000", "0000", "0000", STAFF_PIN):
                handheld.fill("#pin", pin)
                with handheld.expect_response("**/ui/sign-in"):
                    handheld.click("#pin-submit")
            notice = handheld.locator("#notice .notice.error")
            expect(notice).to_contain_text("maud")
            expect(notice).to_contain_text("handheld-1")
            screenshot(handheld, "handheld-locked.png")

            desk = desk_browser.new_context(viewport={"width": 1280, "height": 800})
            manager = open_page(desk, f"{edge.url}/manager", 1280, 800)
            manager.fill("#pin", MANAGER_PIN)
            manager.click("#pin-form button[type=submit]")
            row = manager.locator("#lockouts tr", has_text="handheld-1")
            expect(row).to_be_visible()
            row.get_by_role("button", name="Unlock").click()
            expect(manager.locator("#lockouts")).to_contain_text("No device is locked")

            handheld.fill("#pin", STAFF_PIN)
            handheld.click("#pin-submit")
            expect(handheld.locator("#who")).to_have_text("alice (staff)")
            assert not handheld.errors and not manager.errors  # type: ignore[attr-defined]
            handheld.close()
            desk.close()
    finally:
        desk_browser.close()
