"""A hub (database + one worker process), a broker and edge processes started from provisioning
bundles: the production path of a store's bootstrap, for tests and ``bench/bootstrap.py``."""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sync.broker import free_port
from sync.fleet.procs import Service, run_cli
from sync.fleet.proxy import LinkProxy

ADMIN_TOKEN = "rig-admin-" + "x7Kq2Lm9Pz4Rt8Vw"
SHOP_TOKEN = "rig-shop-" + "b3Nc6Hy1Jd5Fs0Gu"


@dataclass
class Edge:
    store_id: str
    port: int
    proxy: LinkProxy
    service: Service
    bundle: dict[str, Any]
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=10.0)

    def headers(self, role: str = "staff") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.bundle['edge_env'][f'VITRINE_EDGE_{role.upper()}_TOKEN']}"}

    def bootstrap(self) -> dict[str, Any] | None:
        """The bootstrap status from ``/health`` (None while the edge does not answer)."""
        try:
            r = self.client.get("/health")
        except httpx.HTTPError:
            return None
        if r.status_code != 200:
            return None
        status: dict[str, Any] | None = r.json().get("bootstrap")
        return status


@dataclass
class Rig:
    root: Path
    database_url: str
    broker_port: int
    customer_scope: str = "active"
    worker: Service | None = None
    edges: list[Edge] = field(default_factory=list)

    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VITRINE_")}
        env.update(PYTHONUNBUFFERED="1", **extra)
        return env

    def cloud_env(self) -> dict[str, str]:
        return self._env({
            "VITRINE_CLOUD_DATABASE_URL": self.database_url,
            "VITRINE_CLOUD_ADMIN_TOKEN": ADMIN_TOKEN,
            "VITRINE_CLOUD_SHOP_TOKEN": SHOP_TOKEN,
            "VITRINE_CLOUD_BROKER_HOST": "127.0.0.1",
            "VITRINE_CLOUD_BROKER_PORT": str(self.broker_port),
            "VITRINE_CLOUD_MODEL_SIGNING_KEY": str(self.root / "model-signing.pem"),
            "VITRINE_CLOUD_BOOTSTRAP_CUSTOMERS": self.customer_scope,
        })  # fmt: skip

    def migrate(self) -> None:
        run_cli(
            [sys.executable, "-m", "cloud.cli", "migrate"], self.cloud_env(), 120, "vitrine-cloud migrate"
        )

    def provision(self, store_id: str) -> Path:
        path = self.root / f"{store_id}.bundle.json"
        run_cli(
            [sys.executable, "-m", "cloud.cli", "provision-store", store_id, "--bundle", str(path)],
            self.cloud_env(), 120, f"provision {store_id}",
        )  # fmt: skip
        return path

    def start_worker(self) -> Service:
        self.worker = Service(
            "hub-worker",
            [sys.executable, "-m", "cloud.cli", "worker", "--downlink", "--client-id", "hub-rig"],
            self.cloud_env(),
            self.root / "logs" / "hub-worker.log",
        )
        self.worker.start()
        return self.worker

    def start_edge(
        self, store_id: str, bundle: Path, page_rows: int = 5000, proxy: LinkProxy | None = None
    ) -> Edge:
        link = proxy or LinkProxy(self.broker_port, name=store_id).start()
        port = free_port()
        env = self._env({
            "VITRINE_EDGE_DB_PATH": str(self.root / f"{store_id}.db"),
            "VITRINE_EDGE_MQTT_HOST": "127.0.0.1",
            "VITRINE_EDGE_MQTT_PORT": str(link.port),
            "VITRINE_EDGE_BOOTSTRAP_PAGE_ROWS": str(page_rows),
        })  # fmt: skip
        service = Service(
            f"edge-{store_id}",
            [sys.executable, "-m", "edge.cli", "serve", "--bundle", str(bundle), "--host", "127.0.0.1",
             "--port", str(port)],
            env,
            self.root / "logs" / f"edge-{store_id}.log",
        )  # fmt: skip
        service.start()
        edge = Edge(store_id, port, link, service, json.loads(bundle.read_text()))
        self.edges.append(edge)
        return edge

    def wait(self, edge: Edge, what: str, timeout: float, done: Any) -> dict[str, Any]:
        """Poll the edge's bootstrap status until ``done(status)``; fails with the edge's log."""
        deadline = time.monotonic() + timeout
        status: dict[str, Any] | None = None
        while time.monotonic() < deadline:
            edge.service.check_alive()
            status = edge.bootstrap()
            if status is not None and done(status):
                return status
            time.sleep(0.1)
        raise AssertionError(
            f"{edge.store_id}: {what} not reached in {timeout}s: {status}\n{edge.service.tail(30)}"
        )

    def stop(self) -> None:
        for edge in self.edges:
            edge.service.stop()
            edge.client.close()
            edge.proxy.stop()
        if self.worker is not None:
            self.worker.stop()
