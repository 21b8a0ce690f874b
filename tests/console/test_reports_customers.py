"""Reports and customers pages in Chromium over a real fleet: the hub (API, console, an ingest worker
on a test Mosquitto) and a store edge with its sync link (tests/cloud/two_stores.py).

* every report's chart and its CSV download carry the figures the admin API answers;
* a customer found by phone (typed another way) has a 360 view with the purchase made in the
  store; the profile the same person made online (with an online order) is merged into it through
  the page, after a confirmation, and the 360 view then holds both purchases;
* an analyst sees reports, not customers (page and API), and a marketer the reverse.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page
from sqlalchemy import select

from cloud.console import audit
from cloud.storage import make_engine, migrate
from cloud.storage import schema as s
from edge.services.selling import Basket, BasketLine
from edge.services.stock import CountItem
from sync.broker import MosquittoProcess
from tests.cloud.helpers import SHOP
from tests.cloud.two_stores import two_stores
from tests.console.harness import PASSWORDS, create_user, sign_in
from tests.support.polling import wait_for
from tests.web.harness import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.broker]


def _clean(page: Page) -> None:
    assert page.errors == []  # type: ignore[attr-defined]
    assert page.external == []  # type: ignore[attr-defined]


def _number(text: str) -> float:
    return float(text)


def test_reports_and_customer_360_in_the_console(
    browser: BrowserContext, tmp_path: Path, broker: MosquittoProcess
) -> None:
    db_url = f"sqlite:///{tmp_path / 'hub.db'}"
    engine = make_engine(db_url)
    migrate(engine)
    engine.dispose()
    for name, (role, password) in PASSWORDS.items():
        create_user(db_url, name, role, password)
    with two_stores(tmp_path, broker, db_url, "console") as fleet:
        api, a, url = fleet.api, fleet.nodes["a"], str(fleet.api.base_url).rstrip("/")
        a.stock.count([CountItem("TEE-1", 10), CountItem("MUG-1", 10)])
        ann = a.customers.enrol({"name": "Ann Lovelace", "phone": "06 12 34 56 78"})
        in_store = a.selling.sell(
            Basket([BasketLine("MUG-1", 2)], customer_id=ann.customer_id, payment_ref="P1")
        )
        a.selling.sell(Basket([BasketLine("CAP-1", 1)], payment_ref="P2"))
        fleet.links["a"].notify()
        wait_for(lambda: a.outbox.backlog() == 0, 20, "store A's ops at the hub")
        r = api.post(
            "/shop/v1/customers",
            json={"email": "ann@example.com", "name": "Ann L.", "consent_marketing": True,
                  "consent_wording": "marketing-v2"},
            headers=SHOP,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        online_id = r.json()["customer_id"]
        r = api.post(
            "/shop/v1/orders",
            json={"kind": "click_collect", "store": "a", "customer_id": online_id,
                  "lines": [{"sku": "TEE-1", "qty": 1}]},
            headers=SHOP,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        online = r.json()
        today = datetime.now(UTC).date().isoformat()

        # Reports (analyst): each chart and CSV download agree with the API's JSON.
        page = sign_in(browser, url, "alan")
        nav = page.get_by_role("navigation", name="Console")
        assert nav.get_by_role("link", name="Customers").count() == 0
        nav.get_by_role("link", name="Reports").click()
        page.get_by_label("From", exact=True).fill(today)
        page.get_by_label("To", exact=True).fill(today)
        page.get_by_role("button", name="Show").click()
        page.wait_for_url(f"**/console/reports?from={today}&to={today}")
        sections = page.locator("section.report")
        assert sections.count() == 7
        charted = 0
        for i in range(sections.count()):
            section = sections.nth(i)
            name = str(section.get_attribute("data-report"))
            key = str(section.get_attribute("data-value-key"))
            answer = page.request.get(f"{url}/admin/v1/reports/{name}?from={today}&to={today}")
            assert answer.ok, answer.text()
            rows = answer.json()["rows"]
            bars = section.locator("svg g.bar")
            assert bars.count() == len(rows), name
            assert [_number(str(bars.nth(j).get_attribute("data-value"))) for j in range(len(rows))] == [
                float(row[key]) for row in rows
            ], name
            with page.expect_download() as download:
                section.get_by_role("link", name="Download CSV").click()
            text = Path(download.value.path()).read_text()
            assert list(csv.DictReader(io.StringIO(text))) == [
                {k: str(v) for k, v in row.items()} for row in rows
            ]
            assert section.locator("tbody tr").count() == len(rows)
            charted += 1 if rows else 0
        assert charted >= 5  # revenue x2, basket, visits, loyalty, stock accuracy have rows today
        by_channel = page.locator("#report-revenue_by_channel svg g.bar")
        labels = {by_channel.nth(j).get_attribute("data-label") for j in range(by_channel.count())}
        assert labels == {"store", "click_collect"}
        _clean(page)
        screenshot(page, "hub-reports.png")
        page.goto(url + "/console/customers")
        assert "Not for your role" in page.locator("h1").inner_text()
        assert page.request.get(f"{url}/admin/v1/customers?q=Ann").status == 403
        page.close()

        # Customers (marketing): search by phone, the 360 view, merge with a confirmation.
        page = sign_in(browser, url, "mona")
        nav = page.get_by_role("navigation", name="Console")
        assert nav.get_by_role("link", name="Reports").count() == 0
        assert page.request.get(f"{url}/admin/v1/reports/loyalty_rate?from={today}&to={today}").status == 403
        nav.get_by_role("link", name="Customers").click()
        page.get_by_label("Name, card, e-mail or phone").fill("+33 6 12 34 56 78")
        page.get_by_role("button", name="Search").click()
        results = page.locator("#results tbody tr")
        assert results.count() == 1
        screenshot(page, "hub-customers.png")
        results.first.get_by_role("link").click()
        page.wait_for_url(f"**/console/customers/{ann.customer_id}")
        purchases = page.locator("#sales tbody tr")
        assert purchases.count() == 1 and purchases.first.get_attribute("data-receipt") == in_store.receipt_id

        page.get_by_label("Other profile (id, card, e-mail or phone)").fill("ann@example.com")
        page.get_by_role("button", name="Review merge").click()
        assert "Merge two profiles?" in page.locator("h1").inner_text()
        with fleet.engine.connect() as conn:  # nothing changed before the confirmation
            assert (
                conn.execute(
                    select(s.customers.c.merged_into).where(s.customers.c.customer_id == online_id)
                ).scalar()
                is None
            )
        page.get_by_role("button", name="Merge these two profiles").click()
        page.wait_for_url("**/console/customers/*?done=*")
        assert "Done: merged" in page.get_by_role("status").inner_text()
        bought = {
            (row.get_attribute("data-receipt"), row.get_attribute("data-channel"))
            for row in page.locator("#sales tbody tr").all()
        }
        assert bought == {(in_store.receipt_id, "store"), (online["order_id"], "click_collect")}
        assert "marketing-v2" in page.locator("#consent").inner_text()
        assert page.locator("#orders tbody tr").count() == 1
        assert page.locator("#stores").inner_text() == "a"  # enrolled there, whichever profile survived
        _clean(page)
        screenshot(page, "hub-customer-360.png")
        with fleet.engine.connect() as conn:
            [entry] = [e for e in audit.entries(conn) if e["action"] == "customer.merge"]
        assert entry["username"] == "mona" and {entry["detail"]["a"], entry["detail"]["b"]} == {
            ann.customer_id,
            online_id,
        }
