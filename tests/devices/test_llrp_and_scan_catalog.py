"""The device hub with an LLRP fixed reader (the library's simulator over loopback TCP) and camera
scanners confirmed by the store's catalog, inside the real edge app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from drivers.rfid.llrp_sim import SIMULATORS
from edge.node import EdgeNode
from edge.settings import EdgeSettings
from tests.devices.conftest import PRODUCTS, serve, wait_for

SKUS = {sku for sku, _, _ in PRODUCTS}
CAMERA = """id = "till-cam"
kind = "camera"
url = "sim-codes://?format=EAN13&code=5901234123457&size=640x480&blank=2&loop=1"
"""


def test_llrp_reader_feeds_the_hub_and_scanners_use_the_catalog(
    tmp_path: Path, node: EdgeNode, edge_settings: EdgeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = "hub-llrp-dock"
    config = tmp_path / "firmware-config"
    (config / "readers").mkdir(parents=True)
    (config / "scanners").mkdir()
    (config / "scanners" / "till-cam.toml").write_text(CAMERA)
    (config / "readers" / "dock.toml").write_text(
        f'id = "dock"\nprotocol = "llrp"\nurl = "llrp-sim://{name}?antennas=2&exit_antenna=0&tags=15&rate=800&seed=4"\n'
        'power_dbm = 25.0\n[llrp]\nkeepalive_ms = 200\n[antennas]\n1 = "stockroom"\n2 = "dock"\n'
    )
    try:
        with serve(edge_settings, node, monkeypatch, config) as live:
            manager, staff = live.client("manager"), live.client("staff")

            def reader() -> dict[str, Any]:
                devices = manager.get("/api/v1/devices/health").json()["devices"]
                return next(d for d in devices if d["device_id"] == "dock")

            assert wait_for(lambda: reader()["connected"] and reader()["total_reads"] > 100, 15)
            assert reader()["protocol"] == "llrp" and reader()["last_error"] is None
            assert wait_for(lambda: staff.get("/api/v1/devices/tags").json()["total"] >= 5, 15)
            tags = staff.get("/api/v1/devices/tags").json()
            assert {t["zone"] for t in tags["tags"]} <= {"stockroom", "dock"}
            assert {t["sku"] for t in tags["tags"]} <= SKUS  # the simulator carries the catalogue's GTINs
            server = SIMULATORS.server(name)
            assert server is not None
            assert wait_for(lambda: server.reader.keepalives_acked >= 1, 5)  # keepalive every 200 ms

            hub = live.hub
            assert hub.skus.knows_gtin("05901234123457")
            assert not hub.skus.knows_gtin("04012345678901")
            (worker,) = [w for w in hub._scanners if w.profile.id == "till-cam"]
            assert worker._known_product == hub.skus.knows_gtin
    finally:
        SIMULATORS.close(name)
