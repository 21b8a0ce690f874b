"""Loyalty authority: pure decisions, then the services on both backends."""

from __future__ import annotations

from sqlalchemy import Engine

from cloud import customers, projections
from cloud.loyalty import authority, ledger
from sync import loyalty as decisions
from sync.hlc import HybridClock
from tests.cloud.helpers import StoreStream


def test_decisions_are_pure_and_bounded() -> None:
    assert decisions.authorise_redemption(100, 0, 0, 100).approved
    assert not decisions.authorise_redemption(100, 30, 0, 80).approved  # 30 leased to another store
    assert decisions.authorise_redemption(100, 30, 20, 70).approved
    assert not decisions.authorise_redemption(100, 0, 0, 0).approved
    assert decisions.allowance_size(100, 70, 50) == 30
    assert decisions.allowance_size(100, 120, 50) == 0
    assert decisions.expiring_points(100, 30) == 70
    assert decisions.expiring_points(100, 130) == 0


def _customer(engine: Engine, points: int) -> None:
    st = StoreStream("a")
    with engine.begin() as conn:
        customers.ensure(conn, "c1")
        projections.apply(
            conn,
            [
                st.op(
                    "loyalty.entry",
                    {
                        "entry_id": "seed",
                        "customer_id": "c1",
                        "kind": "earn",
                        "points": points,
                        "at": "2026-01-01T00:00:00Z",
                    },
                )
            ],
        )


def _stores(engine: Engine, *ids: str) -> None:
    with engine.begin() as conn:
        for sid in ids:
            conn.exec_driver_sql(
                "INSERT INTO stores (store_id, name, broker_username, broker_password_hash, api_token_hash, "
                "token_bundle_hashes, active, created_at) VALUES "
                f"('{sid}', '{sid}', 'u{sid}', 'h', 't{sid}', '{{}}', true, '2026-01-01T00:00:00Z')"
            )


def test_online_authorisation_writes_the_redeem_once(engine: Engine) -> None:
    _customer(engine, 100)
    clock = HybridClock("cloud")
    with engine.begin() as conn:
        ok = authority.authorise(conn, clock, store="a", customer_id="c1", points=60, entry_id="a:r1")
        again = authority.authorise(conn, clock, store="a", customer_id="c1", points=60, entry_id="a:r1")
        no = authority.authorise(conn, clock, store="b", customer_id="c1", points=60, entry_id="b:r1")
        assert ok["approved"] and again["approved"] and not no["approved"]
        assert ledger.balance(conn, "c1") == 40
    # the store's uplink of the same entry later is a no-op
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                StoreStream("a").op(
                    "loyalty.entry",
                    {
                        "entry_id": "a:r1",
                        "customer_id": "c1",
                        "kind": "redeem",
                        "points": -60,
                        "at": "2026-01-02T00:00:00Z",
                    },
                )
            ],
        )
        assert ledger.balance(conn, "c1") == 40


def test_allowances_bound_offline_spending_and_overdrafts_are_reported(engine: Engine) -> None:
    _customer(engine, 100)
    _stores(engine, "a", "b")
    clock = HybridClock("cloud")
    with engine.begin() as conn:
        la = authority.lease(conn, clock, store="a", customer_id="c1", points=70, ttl_hours=24)
        lb = authority.lease(conn, clock, store="b", customer_id="c1", points=70, ttl_hours=24)
        assert (la["points"], lb["points"]) == (70, 30)
        # online, the leased points are not spendable
        assert not authority.authorise(conn, clock, store="c", customer_id="c1", points=1, entry_id="x")[
            "approved"
        ]
    # both stores spend their allowance offline, then a buggy store overspends
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                StoreStream("a").op(
                    "loyalty.entry",
                    {
                        "entry_id": "a:o1",
                        "customer_id": "c1",
                        "kind": "redeem",
                        "points": -70,
                        "lease_id": la["lease_id"],
                        "at": "2026-01-03T00:00:00Z",
                    },
                ),
                StoreStream("b").op(
                    "loyalty.entry",
                    {
                        "entry_id": "b:o1",
                        "customer_id": "c1",
                        "kind": "redeem",
                        "points": -30,
                        "lease_id": lb["lease_id"],
                        "at": "2026-01-03T00:00:00Z",
                    },
                ),
            ],
        )
        assert ledger.balance(conn, "c1") == 0
        assert ledger.overdraft_report(conn) == []
        projections.apply(
            conn,
            [
                StoreStream("b").op(
                    "loyalty.entry",
                    {
                        "entry_id": "b:o2",
                        "customer_id": "c1",
                        "kind": "redeem",
                        "points": -10,
                        "at": "2026-01-03T00:00:00Z",
                    },
                )
            ],
        )
        report = ledger.overdraft_report(conn)
        assert [(r["entry_id"], r["balance_after"]) for r in report] == [("b:o2", -10)]


def test_point_expiry_is_fifo_and_idempotent(engine: Engine) -> None:
    st = StoreStream("a")
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                st.op(
                    "loyalty.entry",
                    {
                        "entry_id": "old",
                        "customer_id": "c9",
                        "kind": "earn",
                        "points": 100,
                        "at": "2024-01-01T00:00:00Z",
                    },
                ),
                st.op(
                    "loyalty.entry",
                    {
                        "entry_id": "spent",
                        "customer_id": "c9",
                        "kind": "redeem",
                        "points": -30,
                        "at": "2025-06-01T00:00:00Z",
                    },
                ),
                st.op(
                    "loyalty.entry",
                    {
                        "entry_id": "new",
                        "customer_id": "c9",
                        "kind": "earn",
                        "points": 50,
                        "at": "2025-12-01T00:00:00Z",
                    },
                ),
            ],
        )
        clock = HybridClock("cloud")
        first = authority.expire_points(conn, clock, now="2026-01-15T00:00:00Z")
        second = authority.expire_points(conn, clock, now="2026-01-15T00:00:00Z")
        assert first == {"customers": 1, "points": 70} and second["points"] == 0
        assert ledger.balance(conn, "c9") == 50
