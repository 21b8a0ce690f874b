"""The web router's JSON endpoints over a real uvicorn edge (no browser): sign-in lockout, roles,
card QR, pickup orders without a cloud link, and the dashboard's figures against the sales made."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.harness import KIOSK_TOKEN, MANAGER_PIN, MANAGER_TOKEN, STAFF_PIN, STAFF_TOKEN, running_edge


def test_web_endpoints(tmp_path: Path, retail_slice: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VITRINE_WEB_PIN_MAX_FAILURES", "3")
    with running_edge(tmp_path, retail_slice, monkeypatch) as edge, edge.api("") as anon:
        anon.headers.pop("Authorization")
        for page in ("/kiosk", "/handheld", "/manager"):
            resp = anon.get(page)
            assert resp.status_code == 200 and "default-src 'self'" in resp.headers["content-security-policy"]
            assert KIOSK_TOKEN not in resp.text and MANAGER_TOKEN not in resp.text
        assert anon.get("/static/kiosk.js").status_code == 200

        staff = anon.post("/ui/sign-in", json={"pin": STAFF_PIN}).json()
        assert staff == {"token": STAFF_TOKEN, "role": "staff", "name": "alice"}
        assert anon.post("/ui/sign-in", json={"pin": MANAGER_PIN}).json()["role"] == "manager"
        assert anon.post("/ui/sign-in", json={"pin": "12"}).status_code == 422
        for _ in range(3):
            assert anon.post("/ui/sign-in", json={"pin": "0000"}).status_code == 401
        locked = anon.post("/ui/sign-in", json={"pin": STAFF_PIN})  # even the right PIN, for a while
        assert locked.status_code == 429 and "Wait" in locked.json()["detail"]
        assert int(locked.headers["retry-after"]) > 0

        assert anon.get("/ui/whoami").status_code == 401
        with edge.api(KIOSK_TOKEN) as kiosk:
            assert kiosk.get("/ui/whoami").json() == {"role": "kiosk", "store": "store-1"}
            assert kiosk.get("/ui/manager/dashboard").status_code == 403
            card = kiosk.post("/ui/kiosk/card.svg", json={"customer_id": "17850"})
            assert card.status_code == 200 and card.headers["content-type"] == "image/svg+xml"
            assert kiosk.post("/ui/kiosk/card.svg", json={"customer_id": "nobody"}).status_code == 404
            order = {"customer_id": "17850", "sku": "85123A", "qty": 1, "store": "lyon"}
            no_link = kiosk.post("/ui/kiosk/pickup-orders", json=order)
            assert no_link.status_code == 503 and "head office" in no_link.json()["detail"]
            assert (
                kiosk.post("/ui/kiosk/pickup-orders", json={**order, "store": "store-1"}).status_code == 422
            )
            assert kiosk.post("/ui/kiosk/pickup-orders", json={**order, "sku": "NOPE"}).status_code == 404

        with edge.api(STAFF_TOKEN) as client:
            totals = []
            for channel, customer in (("store", "17850"), ("kiosk", None), ("store", None)):
                body = {"channel": channel, "lines": [{"sku": "85123A", "qty": 2}]}
                sale = client.post(
                    "/api/v1/sales", json=body | ({"customer_id": customer} if customer else {})
                )
                assert sale.status_code == 201, sale.text
                totals.append((channel, sale.json()["total_cents"]))
        with edge.api(MANAGER_TOKEN) as manager:
            today = manager.get("/ui/manager/dashboard").json()["today"]
            sync = manager.get("/ui/manager/sync").json()
        revenue = sum(t for _, t in totals)
        assert today["sales"] == 3 and today["revenue_cents"] == revenue
        assert today["average_basket_cents"] == revenue // 3
        assert today["loyalty_rate"] == pytest.approx(1 / 3)
        assert today["revenue_per_channel_cents"] == {
            "store": totals[0][1] + totals[2][1],
            "kiosk": totals[1][1],
        }
        assert sum(today["sales_per_hour"]) == 3
        assert sync["configured"] is False and sync["online"] is False
        assert sync["backlog"] == edge.node.outbox.last_seq() - edge.node.outbox.acked_seq() > 0
