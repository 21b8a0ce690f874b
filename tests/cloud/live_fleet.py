"""A small fleet of real processes for end-to-end tests: Mosquitto, the hub's API and workers, edges.

Each part is the production command (``python -m cloud.cli serve|worker``, ``python -m edge.cli
serve``) in its own process group, configured through the environment exactly as in a deployment;
stores are provisioned through the hub's admin API and their edges started from the bundle.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sync.broker import MosquittoProcess, free_port
from sync.fleet.cluster import wait_http
from sync.fleet.procs import Service
from tests.cloud.helpers import ADMIN

ADMIN_TOKEN = ADMIN["Authorization"].removeprefix("Bearer ")
SHOP_TOKEN = "shop-secret-0123456789"


@dataclass
class Edge:
    store: str
    url: str
    tokens: dict[str, str]
    service: Service
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=10.0)

    def auth(self, role: str = "staff") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@dataclass
class LiveFleet:
    root: Path
    broker: MosquittoProcess
    db_url: str
    hub_env: dict[str, str] = field(default_factory=dict)
    services: list[Service] = field(default_factory=list)
    edges: dict[str, Edge] = field(default_factory=dict)
    hub: httpx.Client | None = None

    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VITRINE_")}
        return {**env, "PYTHONUNBUFFERED": "1", **extra}

    def _start(self, name: str, argv: list[str], env: dict[str, str]) -> Service:
        service = Service(name, [sys.executable, "-m", *argv], self._env(env), self.root / f"{name}.log")
        service.start()
        self.services.append(service)
        return service

    def cloud_env(self, worker_id: str, **extra: str) -> dict[str, str]:
        return {
            "VITRINE_CLOUD_DATABASE_URL": self.db_url,
            "VITRINE_CLOUD_ADMIN_TOKEN": ADMIN_TOKEN,
            "VITRINE_CLOUD_SHOP_TOKEN": SHOP_TOKEN,
            "VITRINE_CLOUD_BROKER_HOST": "127.0.0.1",
            "VITRINE_CLOUD_BROKER_PORT": str(self.broker.port),
            "VITRINE_CLOUD_MODEL_SIGNING_KEY": str(self.root / "model-signing.pem"),
            "VITRINE_CLOUD_WORKER_ID": worker_id,
            "VITRINE_CLOUD_NODE_ID": f"cloud-{worker_id}",
            **self.hub_env,
            **extra,
        }

    def start_hub(self, workers: int = 2) -> httpx.Client:
        port = free_port()
        service = self._start(
            "hub-api",
            ["cloud.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            self.cloud_env("api"),
        )
        self.hub = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0)
        wait_http(self.hub, "/health", service, interval=0.1)
        for n in range(1, workers + 1):
            args = ["cloud.cli", "worker", "--client-id", f"hub-{n}"] + (["--downlink"] if n == 1 else [])
            self._start(f"hub-worker-{n}", args, self.cloud_env(str(n)))
        return self.hub

    def start_edge(self, store: str, bundle: dict[str, Any]) -> Edge:
        port = free_port()
        env = {
            **bundle["edge_env"],
            "VITRINE_EDGE_DB_PATH": str(self.root / f"{store}.db"),
            "VITRINE_EDGE_HOST": "127.0.0.1",
            "VITRINE_EDGE_PORT": str(port),
        }
        tokens = {role: env[f"VITRINE_EDGE_{role.upper()}_TOKEN"] for role in ("kiosk", "staff", "manager")}
        service = self._start(
            f"edge-{store}", ["edge.cli", "serve", "--host", "127.0.0.1", "--port", str(port)], env
        )
        edge = Edge(store, f"http://127.0.0.1:{port}", tokens, service)
        wait_http(edge.client, "/health", service, interval=0.1)
        self.edges[store] = edge
        return edge

    def check_alive(self) -> None:
        for service in self.services:
            service.check_alive()

    def logs(self) -> str:
        return "\n".join(f"--- {s.name}\n{s.tail(30)}" for s in self.services)

    def stop(self) -> None:
        for edge in self.edges.values():
            edge.client.close()
        if self.hub is not None:
            self.hub.close()
        for service in reversed(self.services):
            service.stop()


@contextmanager
def live_fleet(root: Path, broker: MosquittoProcess, db_url: str, **hub_env: str) -> Iterator[LiveFleet]:
    fleet = LiveFleet(root, broker, db_url, dict(hub_env))
    try:
        yield fleet
    finally:
        fleet.stop()
