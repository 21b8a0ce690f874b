"""The demo screenshots' choices (``sync.fleet.screenshots``), without starting the demo: every console
page of the navigation gets a picture, as a role that may open it; the report range covers the demo's
history; the customer 360 and the marketing preview show the richest data there is."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cloud.console.identity import ConsoleUser
from cloud.console.nav import NAV, entries_for
from sync.fleet.errors import FleetError
from sync.fleet.screenshots import (
    Demo,
    liveliest_preview,
    report_range,
    richest_customer,
    search_text,
    shots,
)
from tests.support.paths import REPO

DEMO = Demo("store-1", "cust 1", "Ann Lee", "2011-11-09", "2026-12-05", "not_seen", 120)


def test_every_nav_page_has_a_picture_taken_as_a_role_that_sees_it() -> None:
    plan = shots(DEMO)
    taken = {shot.path.split("?")[0] for shot in plan}
    # the users page would show only the demo's three accounts; every other page is pictured
    assert {path for path, _label, _roles in NAV} - taken == {"/console/users"}
    for shot in plan:
        if shot.role is None:
            continue
        allowed = [path for path, _label in entries_for(ConsoleUser("x", shot.role))]
        assert any(shot.path.startswith(path) for path in allowed), shot
    assert len({shot.name for shot in plan}) == len(plan)
    assert "/console/customers/cust%201" in [s.path for s in plan]
    assert "/console/reports?from=2011-11-09&to=2026-12-05" in [s.path for s in plan]
    assert "/console/marketing?trigger=not_seen&days=120" in [s.path for s in plan]


def test_the_pictures_replace_the_documented_ones() -> None:
    documented = {p.name for p in (REPO / "docs" / "screenshots").glob("hub-*.png")}
    assert {f"hub-{shot.name}.png" for shot in shots(DEMO)} == documented


def test_report_range_spans_the_imported_history_to_today() -> None:
    views: list[dict[str, Any]] = [
        {"sales": [{"at": "2011-12-01T10:00:00Z"}, {"at": "2026-12-05T09:00:00Z"}]},
        {"sales": [{"at": "2011-11-09T08:30:00Z"}]},
        {"sales": []},
    ]
    assert report_range(views, date(2026, 12, 5)) == ("2011-11-09", "2026-12-05")
    assert report_range([], date(2026, 12, 5)) == ("2026-12-05", "2026-12-05")


def test_richest_customer_has_most_channels_then_loyalty() -> None:
    plain = {"customer_id": "a", "channels": ["store"], "sales": [{}] * 9, "orders": []}
    omni = {"customer_id": "b", "channels": ["click_collect", "store"], "sales": [{}], "orders": [{}]}
    loyal = {**omni, "customer_id": "c", "ledger": [{}], "orders": []}
    assert richest_customer([plain, omni])["customer_id"] == "b"
    assert richest_customer([plain, omni, loyal])["customer_id"] == "c"
    with pytest.raises(FleetError, match="no demo customer with a purchase"):
        richest_customer([{"customer_id": "c", "channels": [], "sales": []}])


def test_search_text_is_what_head_office_would_type() -> None:
    assert search_text({"customer_id": "c1", "name": "Ann Lee", "card": "123"}) == "Ann Lee"
    assert search_text({"customer_id": "c1", "name": None, "card": "4000123"}) == "4000123"
    assert search_text({"customer_id": "12345"}) == "12345"


def test_liveliest_preview_has_the_largest_audience() -> None:
    previews = {
        ("not_seen", 120): {"count": 3, "without_consent": 9},
        ("post_purchase", 1): {"count": 7, "without_consent": 0},
    }
    assert liveliest_preview(previews) == ("post_purchase", 1)
    with pytest.raises(FleetError):
        liveliest_preview({})


def test_the_module_does_not_import_playwright_until_it_takes_pictures() -> None:
    import subprocess
    import sys

    code = "import sys, sync.fleet.screenshots; print('playwright' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert done.stdout.strip() == "False"
