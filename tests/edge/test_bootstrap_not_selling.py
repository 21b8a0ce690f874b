"""Until the catalog is in, an unknown product says the store is still loading it from the hub."""

from __future__ import annotations

from typing import Any

import httpx

from edge.api.app import create_app
from edge.bootstrap.agent import BootstrapAgent
from edge.node import EdgeNode
from edge.settings import EdgeSettings
from sync.rpc import RpcTimeout
from tests.edge.conftest import TOKENS
from tests.support.server import served


def _no_hub(_method: str, _params: dict[str, Any], _timeout: float) -> Any:
    raise RpcTimeout("offline")


def test_an_unknown_product_during_the_bootstrap_says_to_wait(settings: EdgeSettings, node: EdgeNode) -> None:
    app = create_app(settings, node=node)
    app.state.bootstrap = BootstrapAgent(node.replica, _no_hub, lambda: False)  # not started: no link yet
    with (
        served(app) as url,
        httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKENS['staff']}"}) as c,
    ):
        missing = c.get("/api/v1/products/NOT-YET")
        assert missing.status_code == 404
        assert "still loading its catalog from the hub" in missing.json()["detail"]
        sold = c.post("/api/v1/sales", json={"lines": [{"sku": "NOT-YET", "qty": 1}]})
        assert sold.status_code == 404 and "try again in a moment" in sold.json()["detail"]
        assert c.get("/health").json()["bootstrap"]["selling"] is False
