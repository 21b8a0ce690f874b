"""The hub and one store as real processes (``vitrine-cloud serve``/``worker``, ``vitrine-edge serve``)
on a test's Mosquitto, with the files an operator would back up and restore."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from sync.broker import MosquittoProcess, free_port
from sync.fleet.procs import Service, run_cli
from sync.gtin import synthetic_gtin
from tests.support.polling import wait_for

ADMIN_TOKEN = "admin-restore-test-0123456789"
SHOP_TOKEN = "shop-restore-test-0123456789"
SKUS = [f"SKU-{n:03d}" for n in range(1, 6)]


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VITRINE_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def wait(
    pred: Callable[[], bool], timeout: float, what: str, detail: Callable[[], Any] | None = None
) -> None:
    """:func:`wait_for` across process restarts (HTTP errors mean "not yet")."""
    wait_for(pred, timeout, what, 0.2, detail=detail, ignore=(httpx.HTTPError,))


class HubProcs:
    """API + one worker that also publishes the downlinks, over a SQLite file."""

    def __init__(self, root: Path, broker: MosquittoProcess) -> None:
        self.root = root
        self.db = root / "cloud.db"
        self.port = free_port()
        self.env = _env({
            "VITRINE_CLOUD_DATABASE_URL": f"sqlite:///{self.db}",
            "VITRINE_CLOUD_ADMIN_TOKEN": ADMIN_TOKEN,
            "VITRINE_CLOUD_SHOP_TOKEN": SHOP_TOKEN,
            "VITRINE_CLOUD_BROKER_HOST": "127.0.0.1",
            "VITRINE_CLOUD_BROKER_PORT": str(broker.port),
            "VITRINE_CLOUD_MODEL_SIGNING_KEY": str(root / "model-signing.pem"),
        })  # fmt: skip
        self.broker = broker
        self.services: list[Service] = []
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)
        run_cli([sys.executable, "-m", "cloud.cli", "migrate"], self.env, 60, "vitrine-cloud migrate")

    def start(self) -> None:
        logs = self.root / "logs"
        self.services = [
            Service("hub-api", [sys.executable, "-m", "cloud.cli", "serve", "--host", "127.0.0.1",
                                "--port", str(self.port)], self.env, logs / "hub-api.log"),
            Service("hub-worker", [sys.executable, "-m", "cloud.cli", "worker", "--client-id", "hub-1",
                                   "--downlink"], self.env, logs / "hub-worker.log"),
        ]  # fmt: skip
        for service in self.services:
            service.start()
        wait(lambda: self.http.get("/health").status_code == 200, 60, "the hub API")

    def stop(self) -> None:
        for service in reversed(self.services):
            service.stop()
        self.services = []

    def backup(self, to: Path) -> None:
        """An online backup of the database (SQLite's backup API: one consistent file)."""
        source, target = sqlite3.connect(self.db), sqlite3.connect(to)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()

    def restore(self, backup: Path) -> None:
        for suffix in ("-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        shutil.copy(backup, self.db)

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    @property
    def shop(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {SHOP_TOKEN}"}

    def provision(self, store_id: str) -> dict[str, str]:
        r = self.http.post(
            "/admin/v1/stores", json={"store_id": store_id, "name": store_id}, headers=self.admin
        )
        assert r.status_code == 201, r.text
        return dict(r.json()["edge_env"])

    def publish_catalog(self) -> None:
        rows = ["sku,gtin,name,category", *(f"{sku},{synthetic_gtin(sku)},Item {sku},test" for sku in SKUS)]
        r = self.http.post("/admin/v1/catalog/import", content="\n".join(rows) + "\n",
                           headers={**self.admin, "Content-Type": "text/csv"})  # fmt: skip
        assert r.status_code in (200, 201), r.text
        r = self.http.post("/admin/v1/price-lists", headers=self.admin, json={
            "name": "base", "effective_from": "2020-01-01T00:00:00Z",
            "prices": [{"sku": sku, "cents": 500} for sku in SKUS]})  # fmt: skip
        assert r.status_code in (200, 201), r.text

    def store(self, store_id: str) -> dict[str, Any]:
        r = self.http.get(f"/admin/v1/stores/{store_id}", headers=self.admin)
        r.raise_for_status()
        return dict(r.json())

    def close(self) -> None:
        self.stop()
        self.http.close()


class EdgeProc:
    """``vitrine-edge serve`` for one store, provisioned by the hub."""

    def __init__(self, root: Path, store_id: str, edge_env: dict[str, str], broker: MosquittoProcess) -> None:
        self.root = root
        self.store_id = store_id
        self.db = root / f"{store_id}.db"
        self.port = free_port()
        self.tokens = {role: edge_env[f"VITRINE_EDGE_{role.upper()}_TOKEN"] for role in ("staff", "manager")}
        env = {k: v for k, v in edge_env.items() if k.startswith("VITRINE_EDGE_") and "MQTT" not in k}
        env.update({
            "VITRINE_EDGE_STORE_ID": store_id,
            "VITRINE_EDGE_DB_PATH": str(self.db),
            "VITRINE_EDGE_MQTT_HOST": "127.0.0.1",
            "VITRINE_EDGE_MQTT_PORT": str(broker.port),
        })  # fmt: skip
        self.env = _env(env)
        self.service = Service(
            f"edge-{store_id}",
            [sys.executable, "-m", "edge.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            self.env,
            root / "logs" / f"edge-{store_id}.log",
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=30)

    def start(self) -> None:
        self.service.start()
        wait(lambda: self.http.get("/health").status_code == 200, 60, f"{self.store_id} to answer",
             self.service.tail)  # fmt: skip

    def stop(self) -> None:
        self.service.stop()

    def headers(self, role: str = "staff") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def receive_stock(self, qty: int = 100) -> None:
        for sku in SKUS:
            r = self.http.post(
                "/api/v1/stock/receipts", headers=self.headers(), json={"sku": sku, "qty": qty}
            )
            assert r.status_code == 201, r.text

    def sell(self, count: int) -> list[httpx.Response]:
        return [
            self.http.post("/api/v1/sales", headers=self.headers(),
                           json={"lines": [{"sku": SKUS[n % len(SKUS)], "qty": 1}], "payment_ref": f"T{n}"})
            for n in range(count)
        ]  # fmt: skip

    def outbox(self) -> dict[str, int]:
        r = self.http.get("/api/v1/admin/outbox", headers=self.headers("manager"))
        r.raise_for_status()
        return dict(r.json())

    def health(self) -> dict[str, Any]:
        return dict(self.http.get("/health").json())

    def model(self) -> dict[str, Any]:
        """The store's recommender status (model, previous, damaged artifacts, held releases)."""
        r = self.http.get("/api/v1/recommendations/model", headers=self.headers("manager"))
        r.raise_for_status()
        return dict(r.json())

    def close(self) -> None:
        self.stop()
        self.http.close()
