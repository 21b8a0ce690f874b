"""Shared helpers for cloud tests: a seeded hub through its API, store-side ops."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
from sqlalchemy import Engine, select

from cloud.storage import schema as s
from sync.ops import Op
from tests.support.server import served

ADMIN = {"Authorization": "Bearer admin-secret-0123456789"}
SHOP = {"Authorization": "Bearer shop-secret-0123456789"}

CATALOG_CSV = (
    "sku,gtin,name,category,colour\n"
    "MUG-1,4006381333931,Blue mug,kitchen,blue\n"
    "TEE-1,5901234123457,Plain tee,clothing,white\n"
    "CAP-1,96385074,Cap,clothing,\n"
)


def seed(client: httpx.Client, stores: tuple[str, ...] = ("a", "b")) -> dict[str, dict[str, Any]]:
    bundles = {}
    for store in stores:
        r = client.post("/admin/v1/stores", json={"store_id": store, "name": f"Store {store}"}, headers=ADMIN)
        assert r.status_code == 201, r.text
        bundles[store] = r.json()
    r = client.post(
        "/admin/v1/catalog/import", content=CATALOG_CSV, headers={**ADMIN, "Content-Type": "text/csv"}
    )
    assert r.status_code == 200, r.text
    r = client.post(
        "/admin/v1/price-lists",
        json={
            "name": "base",
            "effective_from": "2020-01-01T00:00:00Z",
            "prices": [
                {"sku": "MUG-1", "cents": 1000},
                {"sku": "TEE-1", "cents": 2000},
                {"sku": "CAP-1", "cents": 500},
            ],
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    r = client.post(
        "/admin/v1/loyalty/rules",
        json={
            "earn_per_unit_cents": 100,
            "multipliers": {"click_collect": 2},
            "expiry_days": 365,
            "effective_from": "2020-01-01T00:00:00Z",
        },
        headers=ADMIN,
    )
    assert r.status_code == 201, r.text
    return bundles


def downlink(engine: Engine, store: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.downlink_ops).where(s.downlink_ops.c.store == store).order_by(s.downlink_ops.c.seq)
        ).mappings()
        return [{**r, "body": json.loads(r["body"])} for r in rows]


class StoreStream:
    """Ops a store would send up, with contiguous seqs and increasing HLCs."""

    def __init__(self, store: str) -> None:
        self.store = store
        self.seq = 0
        self.wall = int(time.time() * 1000)

    def op(self, kind: str, body: dict[str, Any]) -> Op:
        self.seq += 1
        self.wall = max(self.wall + 1, int(time.time() * 1000))
        return Op(
            origin=self.store, seq=self.seq, hlc=f"{self.wall:013d}.0000.{self.store}", type=kind, body=body
        )


@contextlib.contextmanager
def serve(app: Any) -> Iterator[httpx.Client]:
    """Run ``app`` under a real uvicorn on a free loopback port; yields an httpx client for it."""
    with served(app, lifespan="off") as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client
