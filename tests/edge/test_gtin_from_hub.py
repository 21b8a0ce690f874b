"""One GS1 vocabulary across the fleet, on real processes: Mosquitto, the hub's API and its ingest
worker (downlink on), and a store's edge, each started from its CLI.

Products are created at the hub through the admin API with 14-digit GTINs; they reach the edge by
the sync link; then every form a scanner or a person produces (UPC-A, UPC-E with the scanner's
symbology, EAN-8, EAN-13, GTIN-14, GS1 Digital Link, AI (01) element string with and without
parentheses) finds the product on the edge's product API, through its scan API (the kiosk's and
the handheld's path), and on the hub's shop API.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from sync.broker import MosquittoProcess, free_port
from sync.fleet.procs import Service
from tests.cloud.helpers import ADMIN, SHOP
from tests.edge.conftest import TOKENS
from tests.support.polling import wait_for

STORE = "store-7"
KIOSK = {"Authorization": f"Bearer {TOKENS['kiosk']}"}
CATALOG = (
    "sku,gtin,name,category\n"
    "UPC-1,00042100005264,Zero-suppressible can,grocery\n"
    "EAN8-1,00000096385074,Small pack,grocery\n"
    "RCN-1,02058095229132,Imported at head office,home\n"
)
# (form, what is sent, symbology the scanner reports or None, sku)
FORMS = [
    ("UPC-A", "042100005264", None, "UPC-1"),
    ("UPC-E", "04252614", "upce", "UPC-1"),
    ("EAN-13", "0042100005264", None, "UPC-1"),
    ("GTIN-14", "00042100005264", None, "UPC-1"),
    ("Digital Link", "https://id.gs1.org/01/00042100005264", None, "UPC-1"),
    (
        "Digital Link, 12 digits, qualifiers",
        "https://shop.example.com/01/042100005264/21/S1?17=271231",
        None,
        "UPC-1",
    ),
    ("AI 01 with parentheses", "(01)00042100005264(10)LOT-1", None, "UPC-1"),
    ("AI 01 without parentheses", "0100042100005264", None, "UPC-1"),
    ("EAN-8", "96385074", None, "EAN8-1"),
    ("GTIN-14 of an EAN-8", "00000096385074", None, "EAN8-1"),
    ("EAN-13", "2058095229132", None, "RCN-1"),
    ("GTIN-14", "02058095229132", None, "RCN-1"),
    ("Digital Link", "https://id.gs1.org/01/2058095229132", None, "RCN-1"),
    ("AI 01 with parentheses", "(01)02058095229132", None, "RCN-1"),
    ("AI 01 without parentheses", "0102058095229132" + "\x1d" + "10AB12", None, "RCN-1"),
]


@contextmanager
def process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``python ARGS`` as a :class:`Service` (own process group, stopped on exit), output to ``log``."""
    service = Service(log.stem, [sys.executable, *args], env, log)
    service.start()
    try:
        assert service.proc is not None
        yield service.proc
    finally:
        service.stop()


def up(url: str, proc: subprocess.Popen[bytes], log: Path) -> bool:
    if proc.poll() is not None:
        raise AssertionError(f"process exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def gtin_path(prefix: str, code: str, symbology: str | None) -> str:
    return f"{prefix}/{quote(code, safe='')}" + (f"?symbology={symbology}" if symbology else "")


@pytest.mark.slow
@pytest.mark.broker
def test_every_gtin_form_finds_a_hub_product_at_the_store_and_on_the_shop_api(
    tmp_path: Path, broker: MosquittoProcess
) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("VITRINE_CLOUD_", "VITRINE_EDGE_"))}
    cloud_env = base | {
        "VITRINE_CLOUD_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "VITRINE_CLOUD_ADMIN_TOKEN": ADMIN["Authorization"].removeprefix("Bearer "),
        "VITRINE_CLOUD_SHOP_TOKEN": SHOP["Authorization"].removeprefix("Bearer "),
        "VITRINE_CLOUD_BROKER_PORT": str(broker.port),
    }
    edge_env = base | {
        "VITRINE_EDGE_STORE_ID": STORE,
        "VITRINE_EDGE_DB_PATH": str(tmp_path / "store.db"),
        "VITRINE_EDGE_KIOSK_TOKEN": TOKENS["kiosk"],
        "VITRINE_EDGE_STAFF_TOKEN": TOKENS["staff"],
        "VITRINE_EDGE_MANAGER_TOKEN": TOKENS["manager"],
        "VITRINE_EDGE_MQTT_HOST": "127.0.0.1",
        "VITRINE_EDGE_MQTT_PORT": str(broker.port),
    }
    hub_port, edge_port = free_port(), free_port()
    hub_url, edge_url = f"http://127.0.0.1:{hub_port}", f"http://127.0.0.1:{edge_port}"
    edge_cli = "import sys; from edge.cli import app; sys.argv[0] = 'vitrine-edge'; app()"
    with ExitStack() as stack:
        hub_log = tmp_path / "hub-api.log"
        api = stack.enter_context(
            process(["-m", "cloud.cli", "serve", "--port", str(hub_port)], cloud_env, hub_log)
        )
        wait_for(lambda: up(f"{hub_url}/health", api, hub_log), 60, "the hub's API")
        hub = stack.enter_context(httpx.Client(base_url=hub_url, timeout=10))
        r = hub.post("/admin/v1/stores", json={"store_id": STORE, "name": "Store 7"}, headers=ADMIN)
        assert r.status_code == 201, r.text
        r = hub.post(
            "/admin/v1/catalog/import", content=CATALOG, headers={**ADMIN, "Content-Type": "text/csv"}
        )
        assert r.status_code == 200, r.text

        worker_log = tmp_path / "hub-worker.log"
        worker = stack.enter_context(
            process(["-m", "cloud.cli", "worker", "--downlink"], cloud_env, worker_log)
        )
        edge_log = tmp_path / "edge.log"
        edge_proc = stack.enter_context(
            process(["-c", edge_cli, "serve", "--port", str(edge_port)], edge_env, edge_log)
        )
        wait_for(lambda: up(f"{edge_url}/health", edge_proc, edge_log), 60, "the edge's API")
        edge = stack.enter_context(httpx.Client(base_url=edge_url, headers=KIOSK, timeout=10))

        def synced() -> bool:
            assert worker.poll() is None, worker_log.read_text()[-3000:]
            return edge.get("/api/v1/products/RCN-1").status_code == 200

        wait_for(synced, 60, "the hub's catalog at the edge")
        stored = {
            sku: edge.get(f"/api/v1/products/{sku}").json()["gtin"] for sku in ("UPC-1", "EAN8-1", "RCN-1")
        }
        assert stored == {"UPC-1": "00042100005264", "EAN8-1": "00000096385074", "RCN-1": "02058095229132"}

        # The kiosk scans with its own device token, issued by the manager (docs/security.md §1).
        issued = edge.post(
            "/api/v1/devices/sessions/kiosk-1/kiosk-token",
            headers={"Authorization": f"Bearer {TOKENS['manager']}"},
        )
        assert issued.status_code == 200, issued.text
        device = {"Authorization": f"Bearer {issued.json()['token']}"}
        misses = []
        for form, code, symbology, sku in FORMS:
            found = edge.get(gtin_path("/api/v1/products/gtin", code, symbology))
            if found.status_code != 200 or found.json()["sku"] != sku:
                misses.append(f"edge product API, {form} {code!r}: {found.status_code} {found.text[:200]}")
            scan = edge.post(
                "/api/v1/devices/sessions/kiosk-1/scans",
                json={"text": code, **({"symbology": symbology} if symbology else {})},
                headers=device,
            )
            gtin = scan.json().get("gtin") if scan.status_code == 200 else None
            looked_up = edge.get(f"/api/v1/products/gtin/{gtin}") if gtin else None
            if looked_up is None or looked_up.status_code != 200 or looked_up.json()["sku"] != sku:
                misses.append(f"edge scan, {form} {code!r}: {scan.status_code} {scan.text[:200]}")
            shop = hub.get(gtin_path("/shop/v1/products/gtin", code, symbology), headers=SHOP)
            if shop.status_code != 200 or shop.json()["sku"] != sku:
                misses.append(f"hub shop API, {form} {code!r}: {shop.status_code} {shop.text[:200]}")
        assert not misses, "\n".join(misses)

        bad = edge.get("/api/v1/products/gtin/0042100005265")
        assert bad.status_code == 422 and "check digit" in bad.json()["detail"]
        bad = hub.get("/shop/v1/products/gtin/0042100005265", headers=SHOP)
        assert bad.status_code == 422 and "check digit" in bad.json()["detail"]
        assert hub.get("/shop/v1/products/gtin/4006381333931", headers=SHOP).status_code == 404
