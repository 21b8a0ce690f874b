"""Authentication and isolation: 401 without/unknown token, 403 for the wrong role or store."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from cloud import projections
from cloud.settings import CloudSettings
from tests.cloud.helpers import ADMIN, SHOP, StoreStream, seed


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


def _tokens(bundles: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    return {store: {"Authorization": f"Bearer {b['api_token']}"} for store, b in bundles.items()}


def test_a_store_token_reads_another_stores_order_only_as_a_return_authority(
    client: httpx.Client, engine: Engine
) -> None:
    tok = _tokens(seed(client))
    sb = StoreStream("b")
    with engine.begin() as conn:
        projections.apply(
            conn,
            [sb.op("stock.count", {"sku": "TEE-1", "store": "b", "zone": "", "qty": 3, "session": "c1"})],
        )
    cid = client.post(
        "/shop/v1/customers", json={"email": "ann@example.com", "name": "Ann"}, headers=SHOP
    ).json()["customer_id"]
    r = client.post(
        "/shop/v1/orders",
        json={
            "kind": "click_collect",
            "store": "b",
            "customer_id": cid,
            "lines": [{"sku": "TEE-1", "qty": 1}],
        },
        headers=SHOP,
    )
    assert r.status_code == 201, r.text
    b_order = r.json()["order_id"]
    # b sees its own order whole
    own = client.get(f"/store/v1/b/orders/{b_order}", headers=tok["b"]).json()
    assert own["customer_id"] == cid and own["store"] == "b"
    # a learns only that b's pending order cannot be returned
    foreign = client.get(f"/store/v1/a/orders/{b_order}", headers=tok["a"])
    assert foreign.status_code == 200 and foreign.json() == {"order_id": b_order, "state": "placed"}
    # a shipped online order, returnable anywhere: what a refund needs, nothing about the customer
    client.post(
        "/admin/v1/stock/counts", json={"sku": "CAP-1", "store": "warehouse", "qty": 5}, headers=ADMIN
    )
    r = client.post(
        "/shop/v1/orders",
        json={
            "kind": "home_delivery",
            "customer_id": cid,
            "address": "1 rue X",
            "lines": [{"sku": "CAP-1", "qty": 2}],
        },
        headers=SHOP,
    )
    shipped = r.json()["order_id"]
    assert client.post(f"/shop/v1/orders/{shipped}/ship", headers=SHOP).json()["state"] == "shipped"
    answer = client.get(f"/store/v1/a/orders/{shipped}", headers=tok["a"]).json()
    assert answer == {
        "order_id": shipped,
        "kind": "home_delivery",
        "channel": "online",
        "state": "shipped",
        "lines": [{"sku": "CAP-1", "qty": 2, "unit_cents": 500}],
        "total_cents": 1000,
        "returned": {},  # what every channel took back so far (the store shows what is left)
    }
    assert cid not in str(answer) and "rue" not in str(answer)
    # the store's order list is its own
    assert [o["order_id"] for o in client.get("/store/v1/a/orders", headers=tok["a"]).json()] == []


def test_a_store_token_leases_allowances_only_for_its_own_customers(
    client: httpx.Client, engine: Engine
) -> None:
    tok = _tokens(seed(client))
    ids = [
        client.post("/shop/v1/customers", json={"email": f"{n}@example.com"}, headers=SHOP).json()[
            "customer_id"
        ]
        for n in ("regular", "stranger")
    ]
    regular, stranger = ids
    sa, sb = StoreStream("a"), StoreStream("b")
    earn = {"kind": "earn", "points": 300, "channel": "store", "at": "2026-01-05T10:00:00Z"}
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                sa.op(
                    "loyalty.entry",
                    {**earn, "entry_id": "a:e1", "customer_id": regular, "ref": "r1", "store": "a"},
                )
            ],
        )
        projections.apply(
            conn,
            [
                sb.op(
                    "loyalty.entry",
                    {**earn, "entry_id": "b:e1", "customer_id": stranger, "ref": "r2", "store": "b"},
                )
            ],
        )
    body = {"customer_id": regular, "points": 100}
    r = client.post("/store/v1/a/loyalty/allowances", json=body, headers=tok["a"])
    assert r.status_code == 201 and r.json()["points"] == 100, r.text
    # b's customer: a's token cannot hold back (and then spend offline) points it never served
    r = client.post(
        "/store/v1/a/loyalty/allowances", json={"customer_id": stranger, "points": 100}, headers=tok["a"]
    )
    assert r.status_code == 403 and "own customers" in r.json()["detail"]
    assert client.get(f"/shop/v1/customers/{stranger}", headers=SHOP).json()["points"] == 300
    r = client.post(
        "/store/v1/b/loyalty/allowances", json={"customer_id": stranger, "points": 100}, headers=tok["b"]
    )
    assert r.status_code == 201, r.text
    # head office (admin token) may lease any customer's points to a store, as the hub does for regulars
    r = client.post(
        "/store/v1/a/loyalty/allowances", json={"customer_id": stranger, "points": 50}, headers=ADMIN
    )
    assert r.status_code == 201 and r.json()["points"] == 50, r.text
