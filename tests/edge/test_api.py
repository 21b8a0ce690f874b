"""The HTTP API over a real uvicorn: roles (401/403), validation (404/409/422), happy paths."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from drivers.tokens import Keyring, LoyaltyClaims, issue_loyalty_token, issue_pickup_token, verify_token
from edge.api.presence import CARD_HEADER
from edge.errors import ConfigError
from edge.replica.migrations import LATEST_VERSION
from edge.settings import load_settings
from tests.edge.conftest import STORE, LiveServer

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


CARD_KEY = "edge-test-card-key-0123456789"


@pytest.fixture
def card_keys(monkeypatch: pytest.MonkeyPatch) -> Keyring:
    """The deployment's card-token keyring; request it before ``live`` so the app is built with it."""
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k1": CARD_KEY}))
    return Keyring({"k1": CARD_KEY.encode()}, "k1")


def _card(customer: dict[str, Any]) -> dict[str, str]:
    return {CARD_HEADER: customer["card_token"]}


def test_kiosk_customer_journey(card_keys: Keyring, live: LiveServer) -> None:
    with live.client("kiosk") as kiosk:
        customer = kiosk.post("/api/v1/customers", json={"name": "Kim", "email": "kim@example.com"}).json()
        cid, card = customer["customer_id"], _card(customer)
        claims = verify_token(customer["card_token"], card_keys, now=time.time())
        assert isinstance(claims, LoyaltyClaims) and claims.card_id == customer["card"]
        found = kiosk.get(
            "/api/v1/customers/lookup", params={"kind": "card", "value": customer["card"]}, headers=card
        )
        assert found.json()["customer_id"] == cid
        by_email = kiosk.get("/api/v1/customers/lookup", params={"kind": "email", "value": "KIM@example.com"})
        assert by_email.status_code == 403 and "staff" in by_email.json()["detail"]
        assert kiosk.put(f"/api/v1/customers/{cid}/wishlist/22423", headers=card).json()["skus"] == ["22423"]
        reservation = kiosk.post(
            "/api/v1/reservations", json={"customer_id": cid, "sku": "22423", "qty": 1}, headers=card
        )
        assert reservation.status_code == 201
        held = f"/api/v1/reservations/{reservation.json()['reservation_id']}"
        assert kiosk.get(held).status_code == 403  # reservation ids follow the clock: the card is needed
        assert kiosk.get(held, headers=card).json()["customer_id"] == cid
        assert kiosk.post(f"{held}/cancel").status_code == 403
        assert kiosk.get("/api/v1/reservations/RS-nope", headers=card).status_code == 403
        assert kiosk.get("/api/v1/products/22423").json()["available"] == 4
        patched = kiosk.patch(
            f"/api/v1/customers/{cid}",
            json={"consent_marketing": True, "consent_wording": "kiosk-1"},
            headers=card,
        )
        assert patched.json()["consent_marketing"]
        assert kiosk.get(f"/api/v1/customers/{cid}/loyalty", headers=card).json()["balance"] == 0
        assert kiosk.post("/api/v1/sales", json=SALE).status_code == 403
        chosen = kiosk.post("/api/v1/customers", json={"name": "Eve", "card": "VC-CHOSEN1"})
        assert chosen.status_code == 403, "a kiosk cannot pick a card number (and get it signed)"
    with live.client("staff") as staff:
        assert (
            staff.get(
                "/api/v1/customers/lookup", params={"kind": "email", "value": "KIM@example.com"}
            ).json()["customer_id"]
            == cid
        )


def _customer_calls(cid: str, card: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every customer-specific call a kiosk can make, about customer ``cid`` (card ``card``)."""
    return [
        ("GET", f"/api/v1/customers/{cid}", None),
        ("PATCH", f"/api/v1/customers/{cid}", {"consent_marketing": True, "consent_wording": "kiosk-1"}),
        ("GET", f"/api/v1/customers/{cid}/loyalty", None),
        ("GET", f"/api/v1/customers/{cid}/wishlist", None),
        ("PUT", f"/api/v1/customers/{cid}/wishlist/22423", None),
        ("DELETE", f"/api/v1/customers/{cid}/wishlist/22423", None),
        ("GET", f"/api/v1/customers/lookup?kind=card&value={card}", None),
        ("POST", "/api/v1/reservations", {"customer_id": cid, "sku": "85123A", "qty": 1}),
        ("GET", f"/api/v1/recommendations/customer/{cid}", None),
        ("POST", "/api/v1/recommendations/basket", {"skus": ["85123A"], "customer_id": cid}),
        ("POST", "/ui/kiosk/card.svg", {"customer_id": cid}),
    ]


def _token_case(case: str, keyring: Keyring, victim_card: str, other_card: str) -> str | None:
    now = int(time.time())
    forger = Keyring({"k1": b"attacker-guessed-key-000000"}, "k1")
    return {
        "none": None,
        "garbage": "not-a-token",
        "forged": issue_loyalty_token(forger, victim_card, issued_at=now, ttl_s=3600),
        "expired": issue_loyalty_token(keyring, victim_card, issued_at=now - 7200, ttl_s=3600),
        "other-customer": issue_loyalty_token(keyring, other_card, issued_at=now, ttl_s=3600),
        "pickup-token": issue_pickup_token(keyring, "o-1", STORE, issued_at=now, ttl_s=3600),
    }[case]


@pytest.mark.parametrize("case", ["none", "garbage", "forged", "expired", "other-customer", "pickup-token"])
def test_kiosk_customer_data_needs_the_customers_card(
    card_keys: Keyring, live: LiveServer, case: str
) -> None:
    """Personal data on a kiosk: without the customer's own valid card token every call is 403; staff
    and manager are unaffected; with the right token the same calls succeed."""
    with live.client("staff") as staff:
        victim = staff.post("/api/v1/customers", json={"name": "Vic", "email": "vic@example.com"}).json()
        other = staff.post("/api/v1/customers", json={"name": "Oth"}).json()
        token = _token_case(case, card_keys, victim["card"], other["card"])
        calls = _customer_calls(victim["customer_id"], victim["card"])
        with live.client("kiosk") as kiosk:
            headers = {} if token is None else {CARD_HEADER: token}
            for method, path, body in calls:
                refused = kiosk.request(method, path, json=body, headers=headers)
                assert refused.status_code == 403, (case, method, path, refused.status_code, refused.text)
                assert "Vic" not in refused.text and "vic@example.com" not in refused.text
            right = {
                CARD_HEADER: issue_loyalty_token(
                    card_keys, victim["card"], issued_at=int(time.time()), ttl_s=60
                )
            }
            for method, path, body in calls:
                allowed = kiosk.request(method, path, json=body, headers=right)
                assert allowed.status_code in (200, 201), (method, path, allowed.status_code, allowed.text)
        for method, path, body in calls:
            assert staff.request(method, path, json=body).status_code in (200, 201), (method, path)


def test_kiosk_without_token_keys_opens_no_customer(live: LiveServer) -> None:
    """No keyring configured: no card can be verified, so a kiosk reaches no customer (and says why)."""
    with live.client("staff") as staff:
        customer = staff.post("/api/v1/customers", json={"name": "Kim"}).json()
    assert customer["card_token"] is None
    token = issue_loyalty_token(
        Keyring({"k1": CARD_KEY.encode()}, "k1"), customer["card"], issued_at=int(time.time()), ttl_s=60
    )
    with live.client("kiosk") as kiosk:
        refused = kiosk.get(f"/api/v1/customers/{customer['customer_id']}", headers={CARD_HEADER: token})
    assert refused.status_code == 403 and "no_keyring" in refused.json()["detail"]


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
