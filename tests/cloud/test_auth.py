"""Authentication and isolation: 401 without/unknown token, 403 for the wrong role or store."""

from __future__ import annotations

import httpx
import pytest

from cloud.settings import CloudSettings
from tests.cloud.helpers import ADMIN, SHOP, seed


def test_admin_api_needs_the_admin_token(client: httpx.Client) -> None:
    assert client.get("/admin/v1/stores").status_code == 401
    assert client.get("/admin/v1/stores", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/admin/v1/stores", headers=SHOP).status_code == 403
    assert client.get("/admin/v1/stores", headers=ADMIN).status_code == 200
    assert client.get("/shop/v1/products").status_code == 401
    assert client.get("/shop/v1/products", headers=SHOP).status_code == 200


def test_a_store_token_only_touches_its_store(client: httpx.Client) -> None:
    bundles = seed(client)
    tok_a = {"Authorization": f"Bearer {bundles['a']['api_token']}"}
    assert client.get("/store/v1/a/orders", headers=tok_a).status_code == 200
    assert client.get("/store/v1/b/orders", headers=tok_a).status_code == 403
    body = {"customer_id": "x", "points": 1}
    assert client.post("/store/v1/b/loyalty/allowances", json=body, headers=tok_a).status_code == 403
    assert client.get("/admin/v1/stores", headers=tok_a).status_code == 403
    assert client.get("/shop/v1/products", headers=tok_a).status_code == 403
    assert client.get("/store/v1/a/orders", headers=SHOP).status_code == 403


def test_settings_reject_unknown_database() -> None:
    with pytest.raises(ValueError, match="database_url"):
        CloudSettings(database_url="mysql://x")
