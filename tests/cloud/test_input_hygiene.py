"""Hostile input on the hub's real app under uvicorn (issue #14, "bad input → 500"): shop customers and
orders, loyalty rules and the catalog import answer a 4xx with a clear message on a connection that
stays open; ``true`` is not a quantity, cents or points; ``%`` and ``_`` in a search are literal."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from cloud.api import create_app
from cloud.settings import CloudSettings
from cloud.storage import make_engine, migrate
from sync.gtin import synthetic_gtin
from tests.cloud.helpers import ADMIN, SHOP, seed, serve
from tests.support.keepalive import KeepAlive

JSON = {"Content-Type": "application/json"}
CSV = {"Content-Type": "text/csv"}
RULES_OK = b'{"earn_per_unit_cents":100,"multipliers":{"click_collect":2},"expiry_days":365}'


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('hygiene') / 'cloud.db'}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    app = create_app(
        CloudSettings(
            database_url=url, admin_token="admin-secret-0123456789", shop_token="shop-secret-0123456789"
        )
    )
    with serve(app) as client:
        seed(client)
        yield str(client.base_url).rstrip("/")
    app.state.hub.engine.dispose()


HOSTILE = [
    ("/shop/v1/customers", SHOP, JSON, b'{"name":"\\ud800"}', 422),
    ("/shop/v1/customers", SHOP, JSON, b'{"name":"Ann","email":"ann\\udfff@example.com"}', 422),
    ("/shop/v1/customers", SHOP, JSON, b'{"name":"\xc3\x28"}', 400),
    ("/shop/v1/orders", SHOP, JSON, b'{"kind":"home_delivery","lines":[{"sku":"MUG-1","qty":1e309}]}', 422),
    ("/shop/v1/orders", SHOP, JSON, b'{"kind":"home_delivery","lines":[{"sku":"MUG-1","qty":NaN}]}', 422),
    (
        "/shop/v1/orders",
        SHOP,
        JSON,
        b'{"kind":"home_delivery","lines":[{"sku":"MUG-1","qty":1}],"address":"\\udfff"}',
        422,
    ),
    ("/shop/v1/orders", SHOP, JSON, b'{"kind":"home_delivery","lines":[{"sku":"\\ud800","qty":1}]}', 422),
    (
        "/admin/v1/loyalty/rules",
        ADMIN,
        JSON,
        b'{"earn_per_unit_cents":100,"multipliers":{"x":NaN},"expiry_days":10}',
        422,
    ),
    (
        "/admin/v1/loyalty/rules",
        ADMIN,
        JSON,
        b'{"earn_per_unit_cents":100,"multipliers":{"x":Infinity},"expiry_days":10}',
        422,
    ),
    ("/admin/v1/loyalty/rules", ADMIN, JSON, b'{"earn_per_unit_cents":1e400,"expiry_days":10}', 422),
    (
        "/admin/v1/catalog/import",
        ADMIN,
        CSV,
        b"sku,gtin,name,category\nX-1,4006381333931,\xff\xfe,home\n",
        400,
    ),
    (
        "/admin/v1/catalog/import",
        ADMIN,
        CSV,
        b"sku,gtin,name,category\nX-1,4006381333931,\xed\xa0\x80,x\n",
        400,
    ),
    ("/admin/v1/catalog/import", ADMIN, {"Content-Type": "text/csv; charset=latin-1"}, b"sku\n\xe9\n", 415),
]


@pytest.mark.parametrize(("path", "auth", "kind", "body", "status"), HOSTILE)
def test_hostile_body_is_a_clear_4xx_on_a_live_connection(
    hub_url: str, path: str, auth: dict[str, str], kind: dict[str, str], body: bytes, status: int
) -> None:
    with KeepAlive(hub_url, auth) as conn:
        answer = conn.send("POST", path, body, kind)
        assert answer.status == status, answer.body[:300]
        assert answer.content_type == "application/json"
        detail = answer.json()["detail"]
        assert isinstance(detail, str) and ("send" in detail or "save" in detail), detail
        assert conn.still_open(), "the server dropped the keep-alive connection"
        assert conn.send("GET", "/health").status == 200


def test_validation_error_echoing_unencodable_input_is_a_422(hub_url: str) -> None:
    with KeepAlive(hub_url, SHOP) as conn:
        answer = conn.send(
            "POST",
            "/shop/v1/customers",
            b'{"name":"\xff"}',
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status == 422, answer.body[:300]
        assert conn.still_open()
        answer = conn.send("POST", "/shop/v1/customers", b"\xff\xfe", {})
        assert answer.status == 422, answer.body[:300]
        assert conn.still_open()


@pytest.mark.parametrize(
    ("path", "auth", "body", "loc"),
    [
        (
            "/shop/v1/orders",
            SHOP,
            '{"kind":"click_collect","store":"a","lines":[{"sku":"MUG-1","qty":true}]}',
            ["body", "lines", 0, "qty"],
        ),
        (
            "/shop/v1/orders",
            SHOP,
            '{"kind":"click_collect","store":"a","lines":[{"sku":"MUG-1","qty":1}],"points_to_redeem":false}',
            ["body", "points_to_redeem"],
        ),
        (
            "/admin/v1/loyalty/rules",
            ADMIN,
            '{"earn_per_unit_cents":true,"expiry_days":10}',
            ["body", "earn_per_unit_cents"],
        ),
        (
            "/admin/v1/price-lists",
            ADMIN,
            '{"name":"x","effective_from":"2020-01-01","prices":[{"sku":"MUG-1","cents":true}]}',
            ["body", "prices", 0, "cents"],
        ),
        ("/admin/v1/stock/counts", ADMIN, '{"sku":"MUG-1","store":"a","qty":"3"}', ["body", "qty"]),
    ],
)
def test_quantities_cents_and_points_are_strict(
    hub_url: str, path: str, auth: dict[str, str], body: str, loc: list[object]
) -> None:
    with httpx.Client(base_url=hub_url, headers=auth, timeout=30) as client:
        r = client.post(path, content=body, headers=JSON)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == loc


def test_percent_and_underscore_are_literal_in_searches(hub_url: str) -> None:
    with httpx.Client(base_url=hub_url, timeout=30) as client:
        csv = (
            "sku,gtin,name,category\n"
            f"P50,{synthetic_gtin('P50')},50% off mug,kitchen\n"
            f"U_1,{synthetic_gtin('U_1')},Mug_blue,kitchen\n"
        )
        r = client.post("/admin/v1/catalog/import", content=csv, headers={**ADMIN, **CSV})
        assert r.status_code == 200, r.text

        def skus(path: str, auth: dict[str, str], q: str) -> list[str]:
            r = client.get(path, params={"q": q}, headers=auth)
            assert r.status_code == 200, r.text
            return [p["sku"] for p in r.json()]

        for path, auth in (("/shop/v1/products", SHOP), ("/admin/v1/catalog", ADMIN)):
            assert skus(path, auth, "%") == ["P50"]
            assert skus(path, auth, "_") == ["U_1"]
            assert skus(path, auth, "g_b") == ["U_1"]
            assert skus(path, auth, "m%g") == []
