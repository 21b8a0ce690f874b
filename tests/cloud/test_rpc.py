"""The hub's RPC methods (served over MQTT by sync.rpc.RpcServer), called directly, both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cloud import projections
from cloud.admin import pricing
from cloud.errors import InvalidInput, NotFound
from cloud.loyalty import authority
from cloud.rpc import hub_handlers
from sync.hlc import HybridClock
from sync.rpc import RpcRefusal
from tests.cloud.helpers import StoreStream


def _setup(engine: Engine) -> None:
    st = StoreStream("a")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO stores (store_id, name, broker_username, broker_password_hash, api_token_hash, "
            "token_bundle_hashes, active, created_at) VALUES ('a', 'a', 'store-a', 'h', 't', '{}', true, "
            "'2026-01-01T00:00:00Z')"
        )
        projections.apply(
            conn,
            [
                st.op(
                    "sale.recorded",
                    {
                        "receipt_id": "r1",
                        "store": "a",
                        "channel": "store",
                        "customer_id": "c1",
                        "at": "2099-01-01T10:00:00Z",
                        "lines": [],
                        "total_cents": 100,
                    },
                ),
                st.op(
                    "loyalty.entry",
                    {
                        "entry_id": "e1",
                        "customer_id": "c1",
                        "kind": "earn",
                        "points": 120,
                        "at": "2026-01-01T00:00:00Z",
                    },
                ),
            ],
        )


def test_rpc_methods_validate_and_answer(engine: Engine) -> None:
    _setup(engine)
    methods = hub_handlers(engine, HybridClock("cloud"))
    assert methods["loyalty.balance"]("a", {"customer_id": "c1"}) == {"customer_id": "c1", "points": 120}
    with pytest.raises(InvalidInput):
        methods["loyalty.authorise"]("a", {"customer_id": "c1", "points": "lots"})
    with pytest.raises(InvalidInput):
        methods["loyalty.allowance"]("a", {"customer_id": "c1", "points": True})
    lease = methods["loyalty.allowance"]("a", {"customer_id": "c1", "points": 100})
    assert lease["store"] == "a" and lease["points"] == 100
    # the leased points are reserved for store a: another store cannot spend them online
    assert methods["loyalty.authorise"]("b", {"customer_id": "c1", "points": 50})["approved"] is False
    assert methods["loyalty.authorise"]("a", {"customer_id": "c1", "points": 50, "entry_id": "a:x"})[
        "approved"
    ]
    with pytest.raises(NotFound):
        methods["orders.lookup"]("a", {"order_id": "o-missing"})
    with pytest.raises(InvalidInput):
        methods["orders.lookup"]("a", {"order_id": 7})


def test_lease_for_regulars(engine: Engine) -> None:
    _setup(engine)
    with engine.begin() as conn:
        clock = HybridClock("cloud")
        assert authority.lease_for_regulars(conn, clock, store="a", points=80, ttl_hours=24) == 1
        assert (
            authority.lease_for_regulars(conn, clock, store="a", points=80, ttl_hours=24) == 0
        )  # already leased


def test_orders_place_for_a_kiosk(engine: Engine) -> None:
    _setup(engine)
    st = StoreStream("a")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO catalog (sku, gtin, name, category, attributes, active, updated_at) VALUES "
            "('MUG-1', '04006381333931', 'Mug', 'kitchen', '{}', true, '2026-01-01T00:00:00Z')"
        )
        pricing.create_price_list(
            conn, HybridClock("cloud"), "base", "2020-01-01", [{"sku": "MUG-1", "cents": 900}]
        )
        projections.apply(conn, [st.op("stock.count", {"sku": "MUG-1", "store": "a", "zone": "", "qty": 2})])
    methods = hub_handlers(engine, HybridClock("cloud"))
    order = methods["orders.place"](
        "b",
        {"kind": "click_collect", "store": "a", "customer_id": "c1", "lines": [{"sku": "MUG-1", "qty": 2}]},
    )
    assert order["store"] == "a" and order["total_cents"] == 1800 and order["state"] == "placed"
    with pytest.raises(RpcRefusal, match="not available in any store") as refused:
        methods["orders.place"](
            "b",
            {
                "kind": "click_collect",
                "store": "a",
                "customer_id": "c1",
                "lines": [{"sku": "MUG-1", "qty": 1}],
            },
        )
    assert refused.value.code == "out_of_stock"
    with pytest.raises(RpcRefusal, match="does not sell") as refused:
        methods["orders.place"](
            "b",
            {
                "kind": "click_collect",
                "store": "a",
                "customer_id": "c1",
                "lines": [{"sku": "NOPE", "qty": 1}],
            },
        )
    assert refused.value.code == "unknown_product"
    with pytest.raises(RpcRefusal, match="Try again in a minute") as refused:
        methods["orders.place"](
            "b",
            {
                "kind": "click_collect",
                "store": "a",
                "customer_id": "new",
                "lines": [{"sku": "MUG-1", "qty": 1}],
            },
        )
    assert refused.value.code == "retry"
    with pytest.raises(InvalidInput):
        methods["orders.place"](
            "b", {"kind": "home_delivery", "store": "a", "customer_id": "c1", "lines": []}
        )
