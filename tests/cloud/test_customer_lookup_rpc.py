"""``customers.lookup``: the hub's answer to a store that never saw a customer, both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cloud import customers, projections
from cloud.customer_lookup import UNSTAMPED
from cloud.errors import InvalidInput, NotFound
from cloud.rpc import hub_handlers
from cloud.shop import accounts
from sync.hlc import HybridClock, Timestamp
from tests.cloud.helpers import StoreStream


def _register(engine: Engine, clock: HybridClock, **fields: object) -> str:
    with engine.begin() as conn:
        return str(accounts.register(conn, clock, dict(fields))["customer_id"])


def test_lookup_by_identity_and_id_answers_that_customer_only(engine: Engine) -> None:
    clock = HybridClock("cloud")
    ann = _register(
        engine,
        clock,
        name="Ann",
        email="Ann@Example.com",
        card="VC-ANN1",
        consent_marketing=True,
        consent_wording="marketing-v1",
    )
    _register(engine, clock, name="Bob", email="bob@example.com", card="VC-BOB1")
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                StoreStream("a").op(
                    "loyalty.entry",
                    {"entry_id": "e1", "customer_id": ann, "kind": "earn", "points": 120, "at": "2026-01-01"},
                )
            ],
        )
    lookup = hub_handlers(engine, clock)["customers.lookup"]
    before = str(clock.now())
    by_card = lookup("store-9", {"kind": "card", "value": "VC-ANN1"})
    assert by_card["customer_id"] == ann
    assert by_card["fields"] == {
        "name": "Ann",
        "email": "ann@example.com",
        "card": "VC-ANN1",
        "consent_marketing": True,
    }
    assert set(by_card["field_hlc"]) == set(by_card["fields"])
    assert all(Timestamp.parse(h) and UNSTAMPED < h < before for h in by_card["field_hlc"].values())
    assert by_card["identities"] == [
        {"kind": "card", "value": "VC-ANN1"},
        {"kind": "email", "value": "ann@example.com"},
    ]
    assert by_card["loyalty"]["points"] == 120 and by_card["loyalty"]["as_of_hlc"] > before
    assert "bob" not in repr(by_card).lower()  # nothing about anyone else
    by_email = lookup("store-9", {"kind": "email", "value": " ANN@example.com "})
    by_id = lookup("store-9", {"customer_id": ann})
    for answer in (by_email, by_id):
        assert {k: v for k, v in answer.items() if k != "loyalty"} == {
            k: v for k, v in by_card.items() if k != "loyalty"
        }


def test_merged_customer_answers_the_canonical_id(engine: Engine) -> None:
    clock = HybridClock("cloud")
    online = _register(engine, clock, name="Cy", email="cy@example.com")
    in_store = _register(engine, clock, card="VC-CY1")
    assert online != in_store
    with engine.begin() as conn:  # registering both identities again is a 409: the merge is explicit
        merged = str(accounts.add_identity(conn, clock, online, "card", "VC-CY1")["customer_id"])
    with engine.connect() as conn:
        survivor = customers.canonical(conn, in_store)
    assert merged == survivor and survivor in (online, in_store)
    gone = in_store if survivor == online else online
    lookup = hub_handlers(engine, clock)["customers.lookup"]
    for params in (
        {"customer_id": gone},
        {"kind": "card", "value": "VC-CY1"},
        {"kind": "email", "value": "cy@example.com"},
    ):
        answer = lookup("a", params)
        assert answer["customer_id"] == survivor, params
        assert {(i["kind"], i["value"]) for i in answer["identities"]} == {
            ("email", "cy@example.com"),
            ("card", "VC-CY1"),
        }
        assert answer["fields"]["name"] == "Cy"


BAD_PARAMS: list[dict[str, object]] = [
    {},
    {"kind": "card"},
    {"value": "VC-1"},
    {"kind": "passport", "value": "X1"},
    {"kind": "email", "value": "not-an-email"},
    {"kind": "phone", "value": "12"},
    {"kind": "card", "value": ""},
    {"kind": "card", "value": 7},
    {"customer_id": ""},
    {"customer_id": 7},
    {"customer_id": "c-1", "kind": "card", "value": "VC-1"},
    {"customer_id": "x" * 200},
]


def test_bad_input_is_refused(engine: Engine) -> None:
    lookup = hub_handlers(engine, HybridClock("cloud"))["customers.lookup"]
    for params in BAD_PARAMS:
        with pytest.raises(InvalidInput):
            lookup("a", dict(params))


def test_unknown_customer_is_not_found(engine: Engine) -> None:
    lookup = hub_handlers(engine, HybridClock("cloud"))["customers.lookup"]
    with pytest.raises(NotFound, match="no customer with card 'VC-NOBODY'"):
        lookup("a", {"kind": "card", "value": "VC-NOBODY"})
    with pytest.raises(NotFound, match="unknown customer"):
        lookup("a", {"customer_id": "c-nobody"})
