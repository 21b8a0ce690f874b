"""Reservations as the hub folds them, and customer search edge cases, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from cloud import customer_view, customers, projections, reservations
from cloud.errors import InvalidInput
from cloud.ingest.apply import StreamApplier
from cloud.storage import schema as s
from tests.cloud.helpers import StoreStream


def _reservation(st: StoreStream, state: str, customer: str = "c1") -> object:
    body = {"reservation_id": "RS-1", "customer_id": customer, "sku": "X", "qty": 1, "store": st.store,
            "expires_at": "2030-01-01T00:00:00Z", "state": state}  # fmt: skip
    return st.op("reservation.set", body)


def _states(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        r = s.reservations
        return [(str(a), str(b)) for a, b in conn.execute(select(r.c.state, r.c.customer_id))]


def test_the_newest_reservation_state_wins_and_old_ops_are_backfilled(engine: Engine) -> None:
    st = StoreStream("a")
    active, fulfilled = _reservation(st, "active"), _reservation(st, "fulfilled")
    # The ingest without projections (as a hub before migration 10 kept these ops): then the backfill.
    StreamApplier(engine).apply("a", [active, fulfilled])  # type: ignore[list-item]
    assert _states(engine) == []
    with engine.begin() as conn:
        reservations.backfill(conn)
    assert _states(engine) == [("fulfilled", "c1")]
    with engine.begin() as conn:  # an older state arriving late, or again, changes nothing
        projections.apply(conn, [active, fulfilled])  # type: ignore[list-item]
        customers.ensure(conn, "c0")
        conn.execute(s.customers.update().where(s.customers.c.customer_id == "c0").values(created_at="2000"))
        customers.merge(conn, "c1", "c0")  # the reservation follows its customer
    assert _states(engine) == [("fulfilled", "c0")]


def test_search_needs_two_characters_and_takes_wildcards_literally(engine: Engine) -> None:
    with engine.begin() as conn:
        customers.upsert_fields(conn, "c1", {"name": "Ann 100% Smith", "email": "ann@example.com"}, "0001")
        customers.upsert_fields(conn, "c2", {"name": "Bob", "phone": "+44 20 7946 0000"}, "0001")
    with engine.connect() as conn:
        with pytest.raises(InvalidInput):
            customer_view.search(conn, "a")
        assert [c["customer_id"] for c in customer_view.search(conn, "0%")] == ["c1"]
        assert customer_view.search(conn, "__") == []
        assert [c["customer_id"] for c in customer_view.search(conn, "ANN@example.com")] == ["c1"]
        assert [c["customer_id"] for c in customer_view.search(conn, "+44 (20) 7946-0000")] == ["c2"]
        assert [c["customer_id"] for c in customer_view.search(conn, "c2")] == ["c2"]
        view = customer_view.view(conn, "c1")
        assert view["sales"] == [] and view["consent"] == {"marketing": False, "proofs": [], "imported": []}
