"""The fleet view in Chromium, on real processes: the hub's API and worker, a Mosquitto, a store's edge.
The store's own report fills its backlog, skew, versions and bootstrap; it goes offline (its edge
stops) and comes back; the page follows without a reload."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from sync.broker import MosquittoProcess
from tests.console.harness import PASSWORDS, create_user, sign_in
from tests.recovery.processes import EdgeProc, HubProcs, wait
from tests.web.harness import screenshot


@pytest.mark.slow
def test_a_store_goes_offline_in_the_fleet_view_and_comes_back(
    browser: BrowserContext, tmp_path: Path, broker: MosquittoProcess
) -> None:
    hub = HubProcs(tmp_path, broker)
    edge: EdgeProc | None = None
    try:
        create_user(f"sqlite:///{hub.db}", "alan", *PASSWORDS["alan"])  # an analyst
        hub.start()
        hub.publish_catalog()
        edge = EdgeProc(tmp_path, "lyon", hub.provision("lyon"), broker)
        edge.start()
        wait(lambda: edge is not None and edge.health().get("ready") is not False, 60, "lyon bootstrapped")
        edge.receive_stock(10)
        url = f"http://127.0.0.1:{hub.port}"
        page = sign_in(browser, url, "alan")
        assert page.url == url + "/console/fleet"
        row = page.locator('#fleet tr[data-store="lyon"]')
        badge = row.locator(".badge")
        wait(lambda: badge.inner_text() == "online", 30, "lyon online in the fleet view")
        wait(lambda: "seq 0" not in row.inner_text(), 30, "lyon's receipts applied at the hub")
        # the store's own report: its backlog, skew, versions and bootstrap replace "not reported"
        wait(lambda: "not reported" not in row.inner_text(), 30, "lyon's status report in the fleet view")
        assert "0 ops" in row.inner_text()  # everything it wrote was acknowledged
        assert "0.1.0 / no model (popular here)" in row.inner_text()  # software / model
        assert "none (not bootstrapped from the hub)" in row.inner_text()  # provisioned without bootstrap
        screenshot(page, "hub-fleet.png")

        edge.stop()  # the edge says goodbye (retained presence "offline")
        wait(lambda: badge.inner_text() == "offline", 30, "lyon offline in the fleet view")
        assert page.locator("#fleet-online").inner_text() == "0 / 1"
        edge.start()
        wait(lambda: badge.inner_text() == "online", 30, "lyon back online in the fleet view")
        assert page.errors == []  # type: ignore[attr-defined]
        assert page.external == []  # type: ignore[attr-defined]

        row.get_by_role("link", name="lyon").click()
        page.wait_for_url(url + "/console/stores/lyon")
        assert page.locator("#store-state").inner_text() == "online"
        assert page.locator("#history tbody tr").count() >= 1
        versions = page.locator("#versions").inner_text()
        assert "From the store's report" in versions
        assert "not reported" not in versions
        screenshot(page, "hub-store.png")
    finally:
        if edge is not None:
            edge.close()
        hub.close()
