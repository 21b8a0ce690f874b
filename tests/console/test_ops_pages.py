"""The console's operations pages in Chromium.

* Marketing (in-process hub, real SMTP sink): a trigger's audience preview, the run, a consent
  withdrawn between queue and delivery (that message is cancelled, never sent), the delivery log and
  the per-trigger figures, and the once-per-trigger-and-period rule shown in the next preview.
* Models, prices, catalog, stores on real processes (hub API + worker, two stores' edges on one host):
  a canary released from the Models page stays on its store (also across the other's restart) until
  promoted; a price list published on the Prices page is the price the store's API answers.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page

from cloud import customers, projections
from cloud.rollout import artifacts
from cloud.storage import make_engine
from models.signing import load_private_key
from sync.broker import MosquittoProcess
from tests.cloud.helpers import StoreStream
from tests.cloud.sinks import smtp_sink
from tests.console.harness import PASSWORDS, SHOP_TOKEN, create_user, running_hub, sign_in
from tests.models.conftest import make_artifact
from tests.recovery.processes import SKUS, EdgeProc, HubProcs, wait
from tests.web.harness import screenshot


def _clean(page: Page) -> None:
    assert page.errors == []  # type: ignore[attr-defined]
    assert page.external == []  # type: ignore[attr-defined]


def test_trigger_preview_run_withdrawal_and_delivery_log(browser: BrowserContext, tmp_path: Path) -> None:
    bought = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT10:00:00Z")
    with smtp_sink() as sink, running_hub(tmp_path, marketing_sender="smtp", smtp_port=sink.port) as hub:
        st = StoreStream("a")
        with hub.hub.engine.begin() as conn:
            for cid, consent in (("ines", True), ("jon", True), ("kim", False)):
                fields = {"email": f"{cid}@example.com", "consent_marketing": consent}
                customers.upsert_fields(conn, cid, fields, "0000000000100.0000.cloud")
                sale = {"receipt_id": f"r-{cid}", "store": "a", "channel": "store", "customer_id": cid,
                        "at": bought, "lines": [{"sku": "X", "qty": 1, "unit_cents": 100}], "total_cents": 100}  # fmt: skip
                projections.apply(conn, [st.op("sale.recorded", sale)])

        page = sign_in(browser, hub.url, "mona")  # marketing
        page.get_by_role("navigation", name="Console").get_by_role("link", name="Marketing").click()
        page.get_by_label("N").and_(page.locator("#days-post_purchase")).fill("3")
        page.get_by_role("button", name="Preview Follow-up N days after a purchase").click()
        assert page.locator("#preview-count").inner_text() == "2"
        assert page.locator("#preview-no-consent").inner_text() == "1"  # kim: consent filter applied
        assert page.locator("#sample tbody tr").count() == 2
        page.get_by_role("button", name="Run post_purchase_3").click()
        assert "queued 2 message(s) for post_purchase_3" in page.locator("#done").inner_text()

        # jon withdraws consent on the web shop before the messages go out
        with httpx.Client(base_url=hub.url, headers={"Authorization": f"Bearer {SHOP_TOKEN}"}) as shop:
            r = shop.patch(
                "/shop/v1/customers/jon", json={"consent_marketing": False, "consent_wording": "v2"}
            )
            assert r.status_code == 200, r.text
        page.get_by_role("button", name="Deliver queued messages").click()
        assert "sent 1" in page.locator("#done").inner_text()
        assert [m["to"] for m in sink.messages] == [["ines@example.com"]]

        figures = page.locator('#figures tr[data-trigger="post_purchase_3"]')
        assert (
            figures.locator(".sent").inner_text() == "1" and figures.locator(".cancelled").inner_text() == "1"
        )
        assert page.locator('#log-table tr[data-customer="ines"] .state').inner_text() == "sent"
        jon = page.locator('#log-table tr[data-customer="jon"]')
        assert jon.locator(".state").inner_text() == "cancelled" and "consent withdrawn" in jon.inner_text()

        page.locator("#days-post_purchase").fill("3")
        page.get_by_role("button", name="Preview Follow-up N days after a purchase").click()
        assert page.locator("#preview-count").inner_text() == "0"
        assert page.locator("#preview-already").inner_text() == "1"  # ines: never twice per period
        screenshot(page, "hub-marketing.png")
        _clean(page)

        page.goto(hub.url + "/console/models")  # not a marketing page: the role does not include it
        assert "Not for your role" in page.locator("h1").inner_text()
        with hub.session("mona") as api:
            assert api.get("/admin/v1/marketing/deliveries").status_code == 200
            assert api.post("/admin/v1/models/rollback", json={"stores": ["a"]}).status_code == 403
        with hub.session("alan") as api:  # analysts see figures, not whom we wrote to
            assert api.get("/admin/v1/marketing/figures").status_code == 200
            assert api.get("/admin/v1/marketing/deliveries").status_code == 403


def _model_of(edge: EdgeProc) -> str | None:
    return edge.model()["model_id"]  # type: ignore[no-any-return]


@pytest.mark.slow
def test_canary_stays_on_its_store_and_a_price_reaches_the_store(
    browser: BrowserContext, tmp_path: Path, broker: MosquittoProcess
) -> None:
    hub = HubProcs(tmp_path, broker)
    edges: dict[str, EdgeProc] = {}
    try:
        create_user(f"sqlite:///{hub.db}", "ada", *PASSWORDS["ada"])
        hub.start()
        hub.publish_catalog()
        for store in ("a", "b"):
            edges[store] = EdgeProc(tmp_path, store, hub.provision(store), broker)
            edges[store].start()
        a, b = edges["a"], edges["b"]
        key = load_private_key(tmp_path / "model-signing.pem")
        made = make_artifact(key, tuple(SKUS), seed=3)
        model = made.manifest.model_id
        engine = make_engine(f"sqlite:///{hub.db}")  # what `vitrine-cloud train --no-release` keeps
        with engine.begin() as conn:
            artifacts.keep(conn, made)
        engine.dispose()
        url = f"http://127.0.0.1:{hub.port}"

        page = sign_in(browser, url, "ada")
        page.goto(url + "/console/models")
        row = page.locator(f'#versions tr[data-model="{model}"]')
        row.get_by_label("a", exact=True).check()
        row.get_by_role("button", name=f"Release {model} to the chosen stores").click()
        assert f"{model} released to a (canary)" in page.locator("#done").inner_text()
        wait(lambda: _model_of(a) == model, 30, "the canary at a")
        b.stop()
        b.start()
        assert _model_of(b) is None  # the canary stayed on its store
        assert row.locator(".stores").inner_text() == "a"
        assert row.locator(".items").inner_text() == str(len(SKUS))
        page.locator(f'#versions tr[data-model="{model}"]').get_by_role(
            "button", name=f"Promote {model} to every store"
        ).click()
        assert f"{model} promoted to b" in page.locator("#done").inner_text()
        wait(lambda: _model_of(b) == model, 30, "the promoted model at b")
        assert page.locator("#history tbody tr .action").all_inner_texts() == ["promote", "canary"]
        screenshot(page, "hub-models.png")

        page.get_by_role("navigation", name="Console").get_by_role("link", name="Prices & promotions").click()
        page.get_by_label("Name").fill("winter")
        page.get_by_label("Effective from (UTC)").fill("2021-01-01T00:00:00Z")
        page.get_by_label("Prices: one SKU,price per line").fill(f"{SKUS[0]},7.25\n{SKUS[1]},3")
        page.get_by_role("button", name="Publish price list").click()
        assert "(2 prices)" in page.locator("#done").inner_text()
        wait(
            lambda: (
                a.http.get(f"/api/v1/products/{SKUS[0]}", headers=a.headers()).json()["price_cents"] == 725
            ),
            30,
            "the new price at store a",
        )
        page.locator("#pr-sku").fill(SKUS[2])
        page.locator("#pr-store").select_option("b")
        page.locator("#pr-value").fill("50")
        page.locator("#pr-starts").fill("2021-01-01T00:00:00Z")
        page.locator("#pr-ends").fill("2099-01-01T00:00:00Z")
        page.get_by_role("button", name="Publish promotion").click()
        assert "promotion promo-" in page.locator("#done").inner_text()
        page.locator("#q-sku").fill(SKUS[2])
        page.locator("#q-store").select_option("b")
        page.get_by_role("button", name="Show price").click()
        assert "2.50" in page.locator("#quote").inner_text()  # the hub's price at b, promotion applied
        wait(
            lambda: (
                b.http.get(f"/api/v1/products/{SKUS[2]}", headers=b.headers()).json()["effective_cents"]
                == 250
            ),
            30,
            "the store promotion at b",
        )
        assert a.http.get(f"/api/v1/products/{SKUS[2]}", headers=a.headers()).json()["effective_cents"] == 500
        page.locator("#q-store").select_option("")
        page.locator("#q-sku").fill(SKUS[0])
        page.get_by_role("button", name="Show price").click()
        assert "7.25" in page.locator("#quote").inner_text()
        screenshot(page, "hub-prices.png")

        page.goto(url + "/console/catalog?q=" + SKUS[1])
        page.get_by_role("link", name=SKUS[1]).click()
        page.get_by_label("Name").fill("Blue mug, large")
        page.get_by_role("button", name="Save and publish to the stores").click()
        assert page.locator("#done").inner_text() == "saved"
        wait(
            lambda: (
                b.http.get(f"/api/v1/products/{SKUS[1]}", headers=b.headers()).json()["name"]
                == "Blue mug, large"
            ),
            30,
            "the renamed product at store b",
        )
        page.goto(url + "/console/catalog")
        screenshot(page, "hub-catalog.png")

        page.goto(url + "/console/stores")
        page.get_by_label("Store id (a-z, 0-9, - and _)").fill("c")
        page.get_by_label("Name", exact=True).fill("Store C")
        page.get_by_role("button", name="Provision").click()
        assert '"store_id": "c"' in page.locator("#secrets-text").inner_text()
        page.get_by_role("button", name="Rotate credentials of c").click()
        assert "VITRINE_EDGE_MQTT_PASSWORD" in page.locator("#secrets-text").inner_text()
        page.get_by_label("Type c to confirm").fill("c")
        page.get_by_role("button", name="Deactivate c").click()
        assert page.locator('#stores tr[data-store="c"] .state').inner_text() == "deactivated"
        screenshot(page, "hub-stores.png")
        _clean(page)
        audit = hub.http.get("/console/audit", headers=hub.admin).text
        for action in ("model.release", "model.promote", "price-list.create", "catalog.edit", "store.rotate"):
            assert action in audit
    finally:
        for edge in edges.values():
            edge.close()
        hub.close()
