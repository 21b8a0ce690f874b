"""The hub's services through its API, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import Engine

from cloud import projections
from tests.cloud.helpers import ADMIN, SHOP, StoreStream, downlink, seed


def qty_by_store(client: httpx.Client, sku: str) -> list[dict[str, object]]:
    """The shop API's availability of ``sku`` without the ages (each figure carries ``as_of``)."""
    avail = client.get(f"/shop/v1/products/{sku}", headers=SHOP).json()["availability"]
    assert all(x["as_of"] and x["age_s"] >= 0 for x in avail), avail
    return [{"store": x["store"], "qty": x["qty"]} for x in avail]


def _count(engine: Engine, store: str, sku: str, qty: int, stream: StoreStream) -> None:
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                stream.op(
                    "stock.count",
                    {
                        "sku": sku,
                        "store": store,
                        "zone": "floor",
                        "qty": qty,
                        "session": "rfid-1",
                        "at": "2026-01-05T10:00:00Z",
                    },
                )
            ],
        )


def test_provisioning_pushes_checkpoints_and_hides_secrets(client: httpx.Client, engine: Engine) -> None:
    bundles = seed(client)
    a = bundles["a"]
    assert a["broker"]["username"] == "a" and len(a["broker"]["password"]) > 20
    assert set(a["edge_env"]) == {
        "VITRINE_EDGE_STORE_ID",
        "VITRINE_EDGE_KIOSK_TOKEN",
        "VITRINE_EDGE_STAFF_TOKEN",
        "VITRINE_EDGE_MANAGER_TOKEN",
        "VITRINE_EDGE_MQTT_HOST",
        "VITRINE_EDGE_MQTT_PORT",
        "VITRINE_EDGE_MQTT_USERNAME",
        "VITRINE_EDGE_MQTT_PASSWORD",
        "VITRINE_EDGE_MODEL_PUBLIC_KEY",  # what edges must trust before the first model release
    }
    assert a["edge_env"]["VITRINE_EDGE_MQTT_PASSWORD"] == a["broker"]["password"]
    listed = client.get("/admin/v1/stores", headers=ADMIN).json()
    assert "password" not in str(listed) and a["api_token"] not in str(listed)
    broker = client.get("/admin/v1/broker/dynamic-security", headers=ADMIN).json()
    (store_a,) = [c for c in broker["clients"] if c["username"] == "a"]
    assert store_a["clientid"] == "a" and store_a["iterations"] == 101
    assert a["broker"]["password"] not in str(broker)
    types = [op["type"] for op in downlink(engine, "a")]
    assert types[0] == "catalog.checkpoint"
    assert {"catalog.checkpoint", "price.checkpoint", "loyalty.rules"} <= set(types)
    seqs = [op["seq"] for op in downlink(engine, "a")]
    assert seqs == list(range(1, len(seqs) + 1))
    assert downlink(engine, "a")[-1]["body"]["multipliers"] == {"click_collect": 2.0}


def test_catalog_import_rejects_bad_gtin_without_partial_write(client: httpx.Client) -> None:
    seed(client)
    bad = "sku,gtin,name,category\nNEW-1,4006381333932,Broken,x\nNEW-2,4006381333931,Dup gtin,x\n"
    r = client.post("/admin/v1/catalog/import", content=bad, headers={**ADMIN, "Content-Type": "text/csv"})
    assert r.status_code == 422
    assert "check digit" in r.json()["detail"]
    assert client.get("/admin/v1/catalog/NEW-1", headers=ADMIN).status_code == 404
    r = client.post(
        "/admin/v1/catalog/import", content="sku,name\nX,y\n", headers={**ADMIN, "Content-Type": "text/csv"}
    )
    assert r.status_code == 422


def test_catalog_stores_gtin14_whatever_form_the_admin_gives(client: httpx.Client, engine: Engine) -> None:
    seed(client)  # MUG-1 imported as EAN-13 4006381333931, CAP-1 as EAN-8 96385074
    assert client.get("/admin/v1/catalog/MUG-1", headers=ADMIN).json()["gtin"] == "04006381333931"
    assert client.get("/admin/v1/catalog/CAP-1", headers=ADMIN).json()["gtin"] == "00000096385074"
    r = client.patch(
        "/admin/v1/catalog/TEE-1", json={"gtin": "https://id.gs1.org/01/036602301467"}, headers=ADMIN
    )
    assert r.status_code == 200 and r.json()["gtin"] == "00036602301467", r.text
    catalog = [op for op in downlink(engine, "a") if op["type"] == "catalog.checkpoint"][-1]["body"]["items"]
    assert {i["sku"]: i["gtin"] for i in catalog}["TEE-1"] == "00036602301467"
    for query in ("036602301467", "(01)00036602301467"):
        found = client.get("/admin/v1/catalog", params={"q": query}, headers=ADMIN).json()
        assert [item["sku"] for item in found] == ["TEE-1"]
        shop = client.get("/shop/v1/products", params={"q": query}, headers=SHOP).json()
        assert [item["sku"] for item in shop] == ["TEE-1"]
    r = client.patch("/admin/v1/catalog/TEE-1", json={"gtin": "(01)00036602301468"}, headers=ADMIN)
    assert r.status_code == 422 and "GTIN" in r.json()["detail"]


def test_effective_dated_prices_and_store_promotion(client: httpx.Client, engine: Engine) -> None:
    seed(client)
    r = client.post(
        "/admin/v1/price-lists",
        json={
            "name": "2099",
            "effective_from": "2099-01-01T00:00:00Z",
            "prices": [{"sku": "MUG-1", "cents": 1200}],
        },
        headers=ADMIN,
    )
    assert r.status_code == 201
    assert client.get("/admin/v1/prices/MUG-1", headers=ADMIN).json()["cents"] == 1000
    later = client.get("/admin/v1/prices/MUG-1", params={"at": "2099-06-01T00:00:00Z"}, headers=ADMIN).json()
    assert later["cents"] == 1200
    r = client.post(
        "/admin/v1/promotions",
        json={
            "sku": "MUG-1",
            "store": "b",
            "kind": "percent_off",
            "value": 25,
            "starts": "2020-01-01T00:00:00Z",
            "ends": "2098-01-01T00:00:00Z",
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    assert client.get("/admin/v1/prices/MUG-1", params={"store": "b"}, headers=ADMIN).json()["cents"] == 750
    assert client.get("/admin/v1/prices/MUG-1", params={"store": "a"}, headers=ADMIN).json()["cents"] == 1000
    promo_b = [op for op in downlink(engine, "b") if op["type"] == "price.checkpoint"][-1]["body"][
        "promotions"
    ]
    assert [p["store"] for p in promo_b] == ["b"]
    promo_a = [op for op in downlink(engine, "a") if op["type"] == "price.checkpoint"][-1]["body"][
        "promotions"
    ]
    assert promo_a == []


def test_click_collect_round_trip_and_return_in_another_store(client: httpx.Client, engine: Engine) -> None:
    seed(client)
    sa, sb = StoreStream("a"), StoreStream("b")
    _count(engine, "a", "TEE-1", 1, sa)
    _count(engine, "b", "TEE-1", 0, sb)
    cust = client.post(
        "/shop/v1/customers",
        json={
            "email": "eve@example.com",
            "name": "Eve",
            "consent_marketing": True,
            "consent_wording": "marketing-v1",
        },
        headers=SHOP,
    ).json()
    cid = cust["customer_id"]
    # not in stock at b → which store has it → order from a
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
    assert r.status_code == 409
    [alternative] = r.json()["alternatives"]["TEE-1"]
    assert (alternative["store"], alternative["qty"]) == ("a", 1) and alternative["age_s"] >= 0
    r = client.post(
        "/shop/v1/orders",
        json={
            "kind": "click_collect",
            "store": "a",
            "customer_id": cid,
            "lines": [{"sku": "TEE-1", "qty": 1}],
        },
        headers=SHOP,
    )
    assert r.status_code == 201, r.text
    order = r.json()
    oid = order["order_id"]
    assert order["total_cents"] == 2000
    placed = [op for op in downlink(engine, "a") if op["type"] == "order.placed"]
    assert placed and placed[0]["body"]["order_id"] == oid
    assert not [op for op in downlink(engine, "b") if op["type"] == "order.placed"]
    avail = qty_by_store(client, "TEE-1")
    assert {"store": "a", "qty": 0} in avail
    assert client.post("/admin/v1/stock/summaries", headers=ADMIN).json() == {"queued": 2}
    summary_b = [op["body"] for op in downlink(engine, "b") if op["type"] == "stock.summary"]
    assert summary_b == [{"store": "a", "items": []}]  # a's only tee is held for the order
    # store a picks and collects (its uplink ops)
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                sa.op(
                    "order.transition",
                    {
                        "order_id": oid,
                        "state": "picked",
                        "store": "a",
                        "at": "2026-01-05T11:00:00Z",
                        "by": "staff",
                    },
                ),
                sa.op(
                    "order.transition",
                    {
                        "order_id": oid,
                        "state": "collected",
                        "store": "a",
                        "at": "2026-01-05T12:00:00Z",
                        "by": "staff",
                    },
                ),
            ],
        )
    acct = client.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()
    assert acct["points"] == 40  # 2000 cents / 100 × click_collect 2
    earn_relay = [op for op in downlink(engine, "a") if op["type"] == "loyalty.entry"]
    assert earn_relay and earn_relay[-1]["body"]["points"] == 40
    # store b takes the return of the online order
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                sb.op(
                    "stock.delta",
                    {"sku": "TEE-1", "store": "b", "zone": "", "qty": 1, "reason": "return", "ref": "rb1"},
                ),
                sb.op(
                    "return.recorded",
                    {
                        "return_id": "rb1",
                        "receipt_id": oid,
                        "store": "b",
                        "channel": "store",
                        "at": "2026-01-06T10:00:00Z",
                        "lines": [{"sku": "TEE-1", "qty": 1, "refund_cents": 2000}],
                        "refund_cents": 2000,
                        "points_reversed": 0,
                    },
                ),
            ],
        )
    acct = client.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()
    assert acct["points"] == 0
    assert {e["kind"] for e in acct["ledger"]} == {"earn", "reverse"}
    avail = qty_by_store(client, "TEE-1")
    assert {"store": "b", "qty": 1} in avail
    assert client.get(f"/shop/v1/orders/{oid}", headers=SHOP).json()["state"] == "returned"
    # the transition from another store is refused (rolled back by the caller)
    with pytest.raises(Exception, match="may not move"), engine.begin() as conn:
        projections.apply(
            conn, [sb.op("order.transition", {"order_id": oid, "state": "cancelled", "store": "b"})]
        )


def test_online_redeem_cancel_and_identity_merge(client: httpx.Client, engine: Engine) -> None:
    seed(client)
    sa = StoreStream("a")
    _count(engine, "a", "MUG-1", 5, sa)
    # a store customer known by card with points earned in store
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                sa.op(
                    "customer.upsert", {"customer_id": "a-c1", "fields": {"card": "CARD-77", "name": "Sam"}}
                ),
                sa.op(
                    "loyalty.entry",
                    {
                        "entry_id": "a:e1",
                        "customer_id": "a-c1",
                        "kind": "earn",
                        "points": 300,
                        "channel": "store",
                        "store": "a",
                        "at": "2026-01-01T10:00:00Z",
                    },
                ),
            ],
        )
    web = client.post("/shop/v1/customers", json={"email": "sam@example.com"}, headers=SHOP).json()
    assert web["points"] == 0
    merged = client.post(
        f"/shop/v1/customers/{web['customer_id']}/identities",
        json={"kind": "card", "value": "CARD-77"},
        headers=SHOP,
    ).json()
    assert merged["customer_id"] == "a-c1" and merged["points"] == 300
    assert merged["email"] == "sam@example.com" and merged["name"] == "Sam"
    r = client.post(
        "/shop/v1/orders",
        json={
            "kind": "reserve_in_store",
            "store": "a",
            "customer_id": web["customer_id"],
            "lines": [{"sku": "MUG-1", "qty": 2}],
            "points_to_redeem": 500,
        },
        headers=SHOP,
    )
    assert r.status_code == 409  # more points than the balance
    r = client.post(
        "/shop/v1/orders",
        json={
            "kind": "reserve_in_store",
            "store": "a",
            "customer_id": "a-c1",
            "lines": [{"sku": "MUG-1", "qty": 2}],
            "points_to_redeem": 200,
        },
        headers=SHOP,
    )
    assert r.status_code == 201, r.text
    oid = r.json()["order_id"]
    assert r.json()["total_cents"] == 1800
    assert client.get("/shop/v1/customers/a-c1", headers=SHOP).json()["points"] == 100
    assert client.post(f"/shop/v1/orders/{oid}/cancel", headers=SHOP).json()["state"] == "cancelled"
    assert client.get("/shop/v1/customers/a-c1", headers=SHOP).json()["points"] == 300
    assert qty_by_store(client, "MUG-1") == [{"store": "a", "qty": 5}]
    assert client.post(f"/shop/v1/orders/{oid}/cancel", headers=SHOP).status_code == 409


def test_home_delivery_earns_and_online_return_restocks_warehouse(client: httpx.Client) -> None:
    seed(client)
    r = client.post(
        "/admin/v1/stock/counts", json={"sku": "CAP-1", "store": "warehouse", "qty": 10}, headers=ADMIN
    )
    assert r.status_code == 201
    cid = client.post("/shop/v1/customers", json={"phone": "+33 6 12 34 56 78"}, headers=SHOP).json()[
        "customer_id"
    ]
    r = client.post(
        "/shop/v1/orders",
        json={
            "kind": "home_delivery",
            "customer_id": cid,
            "address": "1 rue X",
            "lines": [{"sku": "CAP-1", "qty": 4}],
        },
        headers=SHOP,
    )
    assert r.status_code == 201, r.text
    oid = r.json()["order_id"]
    assert qty_by_store(client, "CAP-1") == [{"store": "warehouse", "qty": 6}]
    assert (
        client.post(
            f"/shop/v1/orders/{oid}/returns", json={"lines": [{"sku": "CAP-1", "qty": 1}]}, headers=SHOP
        ).status_code
        == 409
    )  # not shipped yet
    assert client.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()["points"] == 0
    assert client.post(f"/shop/v1/orders/{oid}/ship", headers=SHOP).json()["state"] == "shipped"
    assert client.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()["points"] == 20
    r = client.post(
        f"/shop/v1/orders/{oid}/returns", json={"lines": [{"sku": "CAP-1", "qty": 2}]}, headers=SHOP
    )
    assert r.status_code == 201, r.text
    assert r.json()["refund_cents"] == 1000
    acct = client.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()
    assert acct["points"] == 10
    assert qty_by_store(client, "CAP-1") == [{"store": "warehouse", "qty": 8}]
    bad = client.post(
        f"/shop/v1/orders/{oid}/returns", json={"lines": [{"sku": "MUG-1", "qty": 1}]}, headers=SHOP
    )
    assert bad.status_code == 422


def test_reports_api_json_and_csv(client: httpx.Client, engine: Engine) -> None:
    seed(client)
    sa = StoreStream("a")
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                sa.op(
                    "sale.recorded",
                    {
                        "receipt_id": "r1",
                        "store": "a",
                        "channel": "store",
                        "customer_id": None,
                        "at": "2026-01-03T10:00:00Z",
                        "lines": [{"sku": "MUG-1", "qty": 2, "unit_cents": 1000, "discount_cents": 0}],
                        "total_cents": 2000,
                    },
                )
            ],
        )
    r = client.get(
        "/admin/v1/reports/revenue_by_store",
        params={"start": "2026-01-01", "end": "2026-01-31"},
        headers=ADMIN,
    )
    assert r.status_code == 200 and r.json()["rows"] == [
        {"store": "a", "revenue_cents": 2000, "receipts": 1, "units": 2}
    ]
    r = client.get(
        "/admin/v1/reports/revenue_by_store",
        params={"start": "2026-01-01", "end": "2026-01-31", "format": "csv"},
        headers=ADMIN,
    )
    assert r.headers["content-type"].startswith("text/csv") and r.text.splitlines()[1] == "a,2000,1,2"
    bad = client.get(
        "/admin/v1/reports/revenue_by_store",
        params={"start": "2026-02-01", "end": "2026-01-01"},
        headers=ADMIN,
    )
    assert bad.status_code == 422
