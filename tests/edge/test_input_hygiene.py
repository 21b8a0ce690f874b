"""Hostile input on the edge's real app under uvicorn (issue #14, "bad input → 500"): lone surrogates,
non-finite numbers and invalid UTF-8 are a 4xx with a clear message on a connection that stays open;
``true`` is not a quantity; ``%`` and ``_`` in a product search are literal characters."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.edge.conftest import TOKENS, LiveServer
from tests.edge.served import serve_edge
from tests.support.keepalive import KeepAlive

JSON = {"Content-Type": "application/json"}
MANAGER = {"Authorization": f"Bearer {TOKENS['manager']}"}
SALE_OK = b'{"lines":[{"sku":"71053","qty":1}]}'


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the module: every case here leaves the replica as it found it, or adds to it."""
    with serve_edge(tmp_path_factory.mktemp("hygiene")) as (url, node):
        yield LiveServer(url, node)


HOSTILE = [
    ("/api/v1/customers", b'{"name":"\\ud800"}', 422),
    ("/api/v1/customers", b'{"name":"Ann","email":"ann\\udfff@example.com"}', 422),
    ("/api/v1/customers", b'{"name":"Ann","phone":"\\ud800"}', 422),
    ("/api/v1/customers", b'{"name":"Ann","\\ud800":1}', 422),
    ("/api/v1/customers", b'{"name":"\xff\xfe"}', 400),
    ("/api/v1/sales", b'{"lines":[{"sku":"\\ud800","qty":1}]}', 422),
    ("/api/v1/sales", b'{"lines":[{"sku":"71053","qty":1e309}]}', 422),
    ("/api/v1/sales", b'{"lines":[{"sku":"71053","qty":-1e309}]}', 422),
    ("/api/v1/sales", b'{"lines":[{"sku":"71053","qty":NaN}]}', 422),
    ("/api/v1/sales", b'{"lines":[{"sku":"71053","qty":Infinity}]}', 422),
    ("/api/v1/sales", b'{"lines":[{"sku":"71053","qty":1}],"redeem_points":-Infinity}', 422),
    ("/api/v1/sales", b'{"lines":[{"sku":"71053","qty":1}],"payment_ref":"\\udc00"}', 422),
    ("/api/v1/sales", b'{"lines":[{"sku":"71053","qty":' + b"9" * 5000 + b"}]}", 422),
    ("/api/v1/sales", b"\xed\xa0\x80", 400),
]


@pytest.mark.parametrize(("path", "body", "status"), HOSTILE)
def test_hostile_body_is_a_clear_4xx_on_a_live_connection(
    shared: LiveServer, path: str, body: bytes, status: int
) -> None:
    with KeepAlive(shared.url, MANAGER) as conn:
        answer = conn.send("POST", path, body, JSON)
        assert answer.status == status, answer.body[:300]
        assert answer.content_type == "application/json"
        detail = answer.json()["detail"]
        assert isinstance(detail, str) and ("send" in detail or "save" in detail), detail
        assert conn.still_open(), "the server dropped the keep-alive connection"
        assert conn.send("GET", "/health").status == 200
        assert conn.send("POST", "/api/v1/sales", SALE_OK, JSON).status == 201


def test_validation_error_echoing_unencodable_input_is_a_422(shared: LiveServer) -> None:
    """Bodies that are not JSON at all reach the validator as bytes; its 422 must still be buildable."""
    with KeepAlive(shared.url, MANAGER) as conn:
        answer = conn.send(
            "POST", "/api/v1/sales", b"\xff\xfe{", {"Content-Type": "application/octet-stream"}
        )
        assert answer.status == 422, answer.body[:300]
        assert conn.still_open()
        answer = conn.send("POST", "/api/v1/sales", b'{"lines":[{"sku":"\xff","qty":1}]}', {})
        assert answer.status == 422, answer.body[:300]
        assert conn.still_open()


@pytest.mark.parametrize("qty", ["true", "false", '"1"', "1.0", "[1]"])
def test_a_quantity_is_an_integer_not_a_boolean_or_text(shared: LiveServer, qty: str) -> None:
    with shared.client("staff") as client:
        before = client.get("/api/v1/stock/71053").json()
        r = client.post("/api/v1/sales", content=f'{{"lines":[{{"sku":"71053","qty":{qty}}}]}}', headers=JSON)
        assert r.status_code == 422, r.text
        assert r.json()["detail"][0]["loc"] == ["body", "lines", 0, "qty"]
        assert client.get("/api/v1/stock/71053").json() == before


@pytest.mark.parametrize(
    "body",
    [
        '{"lines":[{"sku":"71053","qty":1}],"redeem_points":true}',
        '{"sku":"71053","qty":true}',
    ],
)
def test_points_and_receipt_quantities_are_strict(shared: LiveServer, body: str) -> None:
    path = "/api/v1/sales" if "lines" in body else "/api/v1/stock/receipts"
    with shared.client("manager") as client:
        assert client.post(path, content=body, headers=JSON).status_code == 422


def test_percent_and_underscore_are_literal_in_product_search(shared: LiveServer) -> None:
    with shared.node.replica.write() as tx:
        tx.execute("INSERT INTO catalog (sku, gtin, name, category) VALUES ('P50', NULL, '50% OFF MUG', 'x')")
        tx.execute("INSERT INTO catalog (sku, gtin, name, category) VALUES ('U1', NULL, 'MUG_BLUE', 'x')")
    with shared.client("kiosk") as client:

        def skus(q: str) -> list[str]:
            r = client.get("/api/v1/products", params={"q": q})
            assert r.status_code == 200, r.text
            return [p["sku"] for p in r.json()]

        assert skus("%") == ["P50"]
        assert skus("_") == ["U1"]
        assert skus("0%") == ["P50"]
        assert skus("G_B") == ["U1"]
        assert skus("W%E") == []
