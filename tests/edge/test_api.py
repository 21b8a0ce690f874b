"""The HTTP API over a real uvicorn: roles (401/403), validation (404/409/422), happy paths."""

from __future__ import annotations

import pytest

from edge.errors import ConfigError
from edge.replica.migrations import LATEST_VERSION
from edge.settings import load_settings
from tests.edge.conftest import LiveServer

SALE = {"lines": [{"sku": "85123A", "qty": 1}]}

# (method, path, body, the lowest role allowed)
ENDPOINTS = [
    ("GET", "/api/v1/products/85123A", None, "kiosk"),
    ("GET", "/api/v1/products?q=LANTERN", None, "kiosk"),
    ("GET", "/api/v1/stock/85123A", None, "kiosk"),
    ("POST", "/api/v1/customers", {"name": "Kim"}, "kiosk"),
    ("POST", "/api/v1/sales", SALE, "staff"),
    ("POST", "/api/v1/stock/receipts", {"sku": "85123A", "qty": 5}, "staff"),
    ("POST", "/api/v1/stock/counts", {"items": [{"sku": "85123A", "qty": 9}]}, "staff"),
    ("GET", "/api/v1/orders", None, "staff"),
    ("GET", "/api/v1/reservations", None, "staff"),
    ("POST", "/api/v1/stock/adjustments", {"sku": "85123A", "qty": -1, "reason": "damage"}, "manager"),
    ("GET", "/api/v1/admin/outbox", None, "manager"),
    ("GET", "/api/v1/admin/integrity", None, "manager"),
]
RANK = {"kiosk": 1, "staff": 2, "manager": 3}


@pytest.mark.parametrize(("method", "path", "body", "lowest"), ENDPOINTS)
def test_roles(live: LiveServer, method: str, path: str, body: dict[str, object] | None, lowest: str) -> None:
    with live.client() as anonymous:
        assert anonymous.request(method, path, json=body).status_code == 401
    with live.client() as wrong:
        response = wrong.request(
            method, path, json=body, headers={"Authorization": "Bearer not-a-real-token-at-all"}
        )
        assert response.status_code == 401
    for role, rank in RANK.items():
        with live.client(role) as client:
            status = client.request(method, path, json=body).status_code
            if rank < RANK[lowest]:
                assert status == 403, (role, path)
            else:
                assert status in (200, 201), (role, path, status)


def test_health_and_metrics_are_open(live: LiveServer) -> None:
    with live.client() as client:
        health = client.get("/health").json()
        assert health["status"] == "ok" and health["schema_version"] == LATEST_VERSION
        with live.client("staff") as staff:
            assert staff.post("/api/v1/sales", json=SALE).status_code == 201
        text = client.get("/metrics").text
        assert 'vitrine_edge_sales_total{channel="store"} 1.0' in text
        assert "vitrine_edge_outbox_backlog" in text
        assert "vitrine_edge_sale_seconds_bucket" in text


def test_clear_errors_never_500(live: LiveServer) -> None:
    with live.client("manager") as client:
        unknown = client.get("/api/v1/products/NOSUCH")
        assert unknown.status_code == 404 and "unknown sku 'NOSUCH'" in unknown.json()["detail"]
        bad_gtin = client.get("/api/v1/products/gtin/5901234123458")
        assert bad_gtin.status_code == 422 and "check digit" in bad_gtin.json()["detail"]
        assert client.get("/api/v1/products/gtin/5901234123457").json()["sku"] == "22423"
        for qty in (0, -5, 1000, 10**30):
            assert (
                client.post("/api/v1/sales", json={"lines": [{"sku": "85123A", "qty": qty}]}).status_code
                == 422
            )
        assert client.post("/api/v1/sales", json={"lines": []}).status_code == 422
        assert client.post("/api/v1/sales", json={**SALE, "customer_id": "ghost"}).status_code == 404
        assert (
            client.post(
                "/api/v1/sales", content=b"{not json", headers={"Content-Type": "application/json"}
            ).status_code
            == 422
        )
        receipt = client.post("/api/v1/sales", json={"lines": [{"sku": "85123A", "qty": 2}]}).json()
        back = {"receipt_id": receipt["receipt_id"], "lines": [{"sku": "85123A", "qty": 2}]}
        assert client.post("/api/v1/returns", json=back).status_code == 201
        again = client.post("/api/v1/returns", json=back)
        assert again.status_code == 409 and "already returned" in again.json()["detail"]
        assert client.get(f"/api/v1/receipts/{receipt['receipt_id']}").json()["total_cents"] == 510


def test_kiosk_customer_journey(live: LiveServer) -> None:
    with live.client("kiosk") as kiosk:
        customer = kiosk.post("/api/v1/customers", json={"name": "Kim", "email": "kim@example.com"}).json()
        cid = customer["customer_id"]
        assert (
            kiosk.get(
                "/api/v1/customers/lookup", params={"kind": "email", "value": "KIM@example.com"}
            ).json()["customer_id"]
            == cid
        )
        assert kiosk.put(f"/api/v1/customers/{cid}/wishlist/22423").json()["skus"] == ["22423"]
        reservation = kiosk.post("/api/v1/reservations", json={"customer_id": cid, "sku": "22423", "qty": 1})
        assert reservation.status_code == 201
        assert kiosk.get("/api/v1/products/22423").json()["available"] == 4
        assert kiosk.patch(f"/api/v1/customers/{cid}", json={"consent_marketing": True}).json()[
            "consent_marketing"
        ]
        assert kiosk.get(f"/api/v1/customers/{cid}/loyalty").json()["balance"] == 0
        assert kiosk.post("/api/v1/sales", json=SALE).status_code == 403


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kiosk_token": ""}, "must be set"),
        ({"staff_token": "changeme"}, "placeholder"),
        ({"manager_token": "short-token"}, "at least 16"),
        ({"staff_token": "kiosk-token-0123456789"}, "must all differ"),
        ({"store_id": "Store/1"}, "store_id"),
    ],
)
def test_settings_refuse_unsafe_tokens(overrides: dict[str, str], message: str) -> None:
    base = {"kiosk_token": "kiosk-token-0123456789", "staff_token": "staff-token-0123456789",
            "manager_token": "manager-token-0123456789"}  # fmt: skip
    with pytest.raises(ConfigError, match=message):
        load_settings(**(base | overrides))
