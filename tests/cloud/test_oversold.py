"""An oversold store, as every side shows it (issue 13 walk), with a real Mosquitto, the hub and two
edges (tests/cloud/two_stores.py), on SQLite and PostgreSQL.

The rule (docs/edge.md, "Stock zones"): the book stays the fold (on hand −3 at the store), nothing
is ever *available* below 0 — the store's own ``available`` is 0, as the hub's figure for it — the
store shows ``oversold: 3``, the hub lists it in ``GET /admin/v1/stock/oversold``, and other
stores' ``elsewhere`` lists only stores that have some to give (as the hub's ``/stores``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.services.selling import Basket, BasketLine
from edge.services.stock import CountItem
from sync.broker import MosquittoProcess
from tests.cloud.helpers import ADMIN, SHOP
from tests.cloud.two_stores import two_stores
from tests.support.polling import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_an_oversold_store_is_shown_alike_and_reported(
    tmp_path: Path, broker: MosquittoProcess, db_url: str
) -> None:
    with two_stores(tmp_path, broker, db_url, "oversold") as fleet:
        api, nodes, links = fleet.api, fleet.nodes, fleet.links
        nodes["a"].stock.count([CountItem("TEE-1", 2)])
        nodes["b"].stock.count([CountItem("TEE-1", 4)])
        links["b"].notify()
        nodes["a"].selling.sell(Basket([BasketLine("TEE-1", 5)], payment_ref="T1"))  # 3 beyond the book
        links["a"].notify()

        def oversold() -> list[dict[str, object]]:
            r = api.get("/admin/v1/stock/oversold", headers=ADMIN)
            assert r.status_code == 200, r.text
            return list(r.json())

        wait_for(
            lambda: nodes["a"].outbox.backlog() == 0 and nodes["b"].outbox.backlog() == 0,
            20,
            "ops at the hub",
        )
        wait_for(lambda: len(oversold()) == 1, 20, "the oversold report")
        [row] = oversold()
        assert (row["store"], row["sku"], row["on_hand"], row["oversold"]) == ("a", "TEE-1", -3, 3)
        level = nodes["a"].stock.levels("TEE-1")
        assert (level.on_hand, level.available, level.oversold) == (-3, 0, 3)
        assert nodes["a"].catalog.product("TEE-1").available == 0
        figures = {
            x["store"]: x["qty"]
            for x in api.get("/shop/v1/products/TEE-1", headers=SHOP).json()["availability"]
        }
        assert figures["a"] == 0 and figures["b"] == 4
        where = api.get("/shop/v1/products/TEE-1/stores", headers=SHOP)
        assert where.status_code == 200, where.text
        assert [x["store"] for x in where.json()] == ["b"]
        wait_for(lambda: nodes["a"].stock.levels("TEE-1").other_stores == {"b": 4}, 20, "B's figure at A")
        assert "a" not in nodes["b"].stock.levels("TEE-1").other_stores
