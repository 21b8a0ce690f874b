"""The hub's RPC methods (served over MQTT by sync.rpc.RpcServer), called directly, both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cloud import projections
from cloud.errors import InvalidInput, NotFound
from cloud.loyalty import authority
from cloud.rpc import hub_handlers
from sync.hlc import HybridClock
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
