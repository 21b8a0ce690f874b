"""The hub's bootstrap methods and the provisioning bundle, called directly, both backends."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import Engine, func, select, update

from cloud.admin import stores
from cloud.bootstrap.synthetic import HeadOffice, StorePlan, fill
from cloud.errors import InvalidInput, NotFound
from cloud.rpc import hub_handlers
from cloud.settings import CloudSettings
from cloud.storage import schema as s
from sync.bootstrap import Cursor, decode_page
from sync.hlc import HybridClock


def _page_all(methods: dict, store: str, limit: int) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    cursor = Cursor.opened(methods["bootstrap.open"](store, {}))
    got: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    while (request := cursor.request(limit)) is not None:
        answer = methods["bootstrap.page"](store, request)
        rows = decode_page(answer["rows"])
        got.setdefault(request["section"], []).extend(rows)
        cursor.advance(request["section"], len(rows), answer["next"])
    return got


def test_provision_with_a_bundle_and_page_the_snapshot(engine: Engine, settings: CloudSettings) -> None:
    fill(
        engine,
        HeadOffice(
            120, 50, [StorePlan("s1", range(0, 20), sales=30), StorePlan("s2", range(20, 50), sales=10)]
        ),
    )
    clock = HybridClock("cloud")
    with engine.begin() as conn:
        answer = stores.provision(conn, clock, settings, "s1", "S1", bootstrap=True)
        queued = conn.execute(select(func.count()).select_from(s.downlink_ops)).scalar_one()
    assert queued == 0  # the store bootstraps: no full checkpoints on its downlink
    bundle = answer["bundle"]
    assert bundle["format"] == "vitrine-bundle/1" and bundle["store_id"] == "s1"
    env = bundle["edge_env"]
    assert (
        env["VITRINE_EDGE_BOOTSTRAP"] == "true"
        and env["VITRINE_EDGE_MQTT_PASSWORD"] == answer["broker"]["password"]
    )
    assert set(json.loads(env["VITRINE_WEB_STAFF_PINS"])) == {"manager", "staff"}
    assert json.loads(env["VITRINE_DEVICES_TOKEN_KEYS"])
    methods = hub_handlers(engine, clock)
    got = _page_all(methods, "s1", limit=7)
    assert [r["sku"] for r in got["catalog"]] == sorted(r["sku"] for r in got["catalog"]) and len(
        got["catalog"]
    ) == 120
    assert len(got["prices"]) == 120 and len(got["stock"]) == 120
    assert len(got["sales"]) == 30 and {r["id"][:3] for r in got["sales"]} == {"s1-"}
    assert len(got["customers"]) == 20  # active here only: not s2's customers
    assert all(c["pts"] and c["ids"] for c in got["customers"])
    everyone = _page_all(hub_handlers(engine, clock, bootstrap_customers="all"), "s1", limit=1000)
    assert len(everyone["customers"]) == 50


def test_bootstrap_refuses_unknown_stores_and_bad_pages(engine: Engine, settings: CloudSettings) -> None:
    clock = HybridClock("cloud")
    with engine.begin() as conn:
        stores.provision(conn, clock, settings, "s1", "S1", bootstrap=True)
    methods = hub_handlers(engine, clock)
    with pytest.raises(NotFound):
        methods["bootstrap.open"]("nobody", {})
    for params in ({"section": "secrets", "after": "", "limit": 5}, {"section": "catalog", "after": "", "limit": 0},
                   {"section": "catalog", "after": 5, "limit": 5}):  # fmt: skip
        with pytest.raises(InvalidInput):
            methods["bootstrap.page"]("s1", params)
    with engine.begin() as conn:
        conn.execute(update(s.stores).values(active=False))
    with pytest.raises(NotFound, match="deactivated"):
        methods["bootstrap.page"]("s1", {"section": "catalog", "after": "", "limit": 5})
