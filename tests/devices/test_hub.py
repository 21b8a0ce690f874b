"""The device hub inside a real edge app: simulated reader + camera from firmware-config profiles."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from drivers import epc
from drivers.rfid.events import TagRead
from drivers.rfid.simulator import BUS
from edge.api.auth import kiosk_device_token
from edge.devices.hub import DeviceHub
from edge.devices.settings import DeviceSettings
from edge.errors import ConfigError
from edge.node import EdgeNode
from edge.services.selling import Basket, BasketLine
from edge.settings import EdgeSettings
from tests.devices.conftest import PRODUCTS, STORE, TOKENS, populate, serve, wait_for, write_config

SKUS = {sku for sku, _, _ in PRODUCTS}
CAMERA = """id = "kiosk-cam"
kind = "camera"
url = "sim-codes://?format=EAN13&code=4006381333931&size=640x480&blank=2&loop=1"
dedup_window_s = 0.5
route = "kiosk:kiosk-7"
"""
READER_QUERY = "tags=20&rate=600&move_every_s=1&exit_every_s=1&exit_dwell_s=0.5&seed=3"


def sse_events(client: httpx.Client, url: str) -> list[tuple[str, dict[str, Any]]]:
    """Read a (bounded: ?limit / ?timeout_s) event stream to its end."""
    out: list[tuple[str, dict[str, Any]]] = []
    name = "message"
    with client.stream("GET", url) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                out.append((name, json.loads(line[5:])))
    return out


def test_edge_runs_simulated_devices_end_to_end(
    tmp_path: Path,
    node: EdgeNode,
    edge_settings: EdgeSettings,
    sim_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = write_config(tmp_path, sim_name, READER_QUERY, {"kiosk-cam": CAMERA})
    with serve(edge_settings, node, monkeypatch, config) as live:
        manager, staff, kiosk = live.client("manager"), live.client("staff"), live.client("kiosk")

        # health: the reader from the profile is connected and reading, the scanner is routed
        def reader() -> dict[str, Any]:
            devices = manager.get("/api/v1/devices/health").json()["devices"]
            return next(d for d in devices if d["device_id"] == "floor")

        assert wait_for(lambda: reader()["connected"] and reader()["reads_per_s"] > 50)
        devices = manager.get("/api/v1/devices/health").json()
        assert devices["enabled"] and devices["running"]
        camera = next(d for d in devices["devices"] if d["device_id"] == "kiosk-cam")
        assert camera["session_id"] == "kiosk-7" and camera["kind"] == "scanner-camera"

        # live tag states per zone, EPCs labelled with the catalogue's GTINs
        assert wait_for(lambda: staff.get("/api/v1/devices/tags").json()["total"] >= 10)
        tags = staff.get("/api/v1/devices/tags").json()
        assert {t["sku"] for t in tags["tags"]} <= SKUS and {t["zone"] for t in tags["tags"]} >= {"shelf-a"}
        assert set(tags["zones"]) >= {"shelf-a", "shelf-b", "backroom", "exit"}
        shelf_a = staff.get("/api/v1/devices/tags", params={"zone": "shelf-a"}).json()
        assert shelf_a["tags"] and all(t["zone"] == "shelf-a" for t in shelf_a["tags"])

        # the camera's scans reach kiosk-7's live feed, read with kiosk-7's own device token
        kiosk.headers["Authorization"] = "Bearer " + kiosk_device_token(TOKENS["kiosk"], "kiosk-7")
        scans = sse_events(kiosk, "/api/v1/devices/sessions/kiosk-7/scans?limit=1&timeout_s=10")
        assert scans[0][0] == "scan"
        assert scans[0][1]["kind"] == "gtin" and scans[0][1]["gtin"] == "04006381333931"
        assert scans[0][1]["device_id"] == "kiosk-cam"

        # a typed scan is classified and routed to its own session only
        got: list[list[tuple[str, dict[str, Any]]]] = []
        listener = threading.Thread(
            target=lambda: got.append(
                sse_events(staff, "/api/v1/devices/sessions/handheld-9/events?limit=1&timeout_s=10")
            )
        )
        listener.start()
        assert wait_for(lambda: live.hub.topics.subscriber_count("session:handheld-9") == 1)
        posted = staff.post("/api/v1/devices/sessions/handheld-9/scans", json={"text": "not a code"})
        assert posted.status_code == 200 and posted.json()["kind"] == "unknown"
        listener.join(12)
        assert got and got[0][0][1]["kind"] == "unknown" and got[0][0][1]["session_id"] == "handheld-9"

        # a cycle count over all non-exit zones becomes stock.count ops
        started = staff.post("/api/v1/devices/counts", json={"zone": ""})
        assert started.status_code == 201
        count_id = started.json()["session_id"]
        assert "exit" not in started.json()["zones"]
        progress = sse_events(staff, f"/api/v1/devices/counts/{count_id}/events?limit=3&timeout_s=5")
        assert [name for name, _ in progress] == ["progress"] * 3 and progress[-1][1]["tags"] > 0
        result = staff.post(f"/api/v1/devices/counts/{count_id}/finish").json()
        assert result["lines"] and {line["sku"] for line in result["lines"]} <= SKUS
        assert len(result["op_ids"]) == len(result["lines"])
        rows = (
            node.replica.reader()
            .execute("SELECT sku, zone, qty FROM stock_counts WHERE session = ?", (count_id,))
            .fetchall()
        )
        assert sorted((r[0], r[1], r[2]) for r in rows) == sorted(
            (line["sku"], line["zone"], line["qty"]) for line in result["lines"]
        )
        assert staff.post(f"/api/v1/devices/counts/{count_id}/finish").status_code == 409

        # items leaving through the exit with no sale → stored alerts for the manager
        assert wait_for(lambda: len(manager.get("/api/v1/devices/alerts").json()["alerts"]) >= 1)
        alert = manager.get("/api/v1/devices/alerts").json()["alerts"][0]
        assert alert["zone"] == "exit" and alert["sku"] in SKUS and alert["name"]
        ack = manager.post(f"/api/v1/devices/alerts/{alert['alert_id']}/acknowledge")
        assert ack.status_code == 200
        assert manager.post("/api/v1/devices/alerts/999999/acknowledge").status_code == 404

        # reader unplugged, then plugged back: recovered without restarting the edge
        BUS.unplug(sim_name)
        assert wait_for(lambda: not reader()["connected"])
        assert "disconnected" in (reader()["last_error"] or "") or "unplugged" in (
            reader()["last_error"] or ""
        )
        reads_before = live.hub.processor.reads
        BUS.plug(sim_name)
        assert wait_for(lambda: reader()["connected"])
        assert wait_for(lambda: live.hub.processor.reads > reads_before + 200)
        assert reader()["reconnects"] >= 1

        # roles
        assert kiosk.get("/api/v1/devices/health").status_code == 403
        assert live.client().get("/api/v1/devices/sessions/kiosk-7/scans").status_code == 401
        assert kiosk.post("/api/v1/devices/counts", json={}).status_code == 403
        assert staff.post("/api/v1/devices/counts", json={"zone": "nowhere"}).status_code == 422
        assert staff.get("/api/v1/devices/counts/count-none").status_code == 404


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_loss_prevention_against_real_sales(tmp_path: Path, sim_name: str) -> None:
    clock = Clock(1_790_000_000.0)
    node = EdgeNode.open(tmp_path / "lp.db", STORE, wall=clock)
    populate(node)
    config = write_config(tmp_path, sim_name, READER_QUERY)
    hub = DeviceHub(node, DeviceSettings(config_dir=config), state_db=tmp_path / "alerts.db")
    try:
        lantern = [epc.encode_sgtin96("04006381333931", serial, 7) for serial in (1, 2)]

        def leave(tag: str) -> list[Any]:
            hub.processor.process("floor", [TagRead(tag, 4, -50, 0x3000)], clock.now)
            clock.now += 2.0
            return hub.tick()

        node.selling.sell(Basket([BasketLine("71053", 1)]))
        assert leave(lantern[0]) == [], "covered by the sale"
        alerts = leave(lantern[1])
        assert [(a.sku, a.name, a.zone) for a in alerts] == [("71053", "WHITE METAL LANTERN", "exit")]
        unknown = leave("E2004074850A0103163070E1")
        assert unknown[0].sku is None
        hub.processor.process("floor", [TagRead(lantern[0], 1, -50, 0x3000)], clock.now)
        clock.now += 2.0
        assert hub.tick() == [], "a departure from a shelf zone is not a loss"
        assert [a.epc for a in hub.alerts.recent()] == ["E2004074850A0103163070E1", lantern[1]]
    finally:
        hub.close()
        node.close()


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        ('id = "r"\nprotocol = "llrp"\nurl = "x"\n[antennas]\n1 = "a"\n', "protocol"),
        ('id = "r"\nprotocol = "mercury"\nurl = "x"\n[antennas]\n1 = "Shelf A"\n', "zone"),
        ('id = "r"\nprotocol = "mercury"\nurl = "x"\ncolour = 1\n[antennas]\n1 = "a"\n', "unknown keys"),
        ('id = "r"\nprotocol = "mercury"\nurl = "x"\n[antennas]\n99 = "a"\n', "antenna port"),
        ("id = [", "cannot read"),
    ],
)
def test_bad_device_profiles_fail_at_start_up(
    tmp_path: Path, node: EdgeNode, profile: str, message: str
) -> None:
    (tmp_path / "cfg" / "readers").mkdir(parents=True)
    (tmp_path / "cfg" / "readers" / "bad.toml").write_text(profile)
    with pytest.raises(ConfigError, match=message):
        DeviceHub(node, DeviceSettings(config_dir=tmp_path / "cfg"))


def test_missing_config_dir_and_bad_site_settings(tmp_path: Path, node: EdgeNode) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        DeviceHub(node, DeviceSettings(config_dir=tmp_path / "nope"))
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "rfid.toml").write_text("[tags]\nrssi_alpha = 2\n")
    with pytest.raises(ConfigError, match="rssi_alpha"):
        DeviceHub(node, DeviceSettings(config_dir=tmp_path / "cfg"))


def test_edge_without_device_config_still_answers(
    node: EdgeNode, edge_settings: EdgeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(edge_settings, node, monkeypatch, None) as live:
        manager = live.client("manager")
        body = manager.get("/api/v1/devices/health").json()
        assert body == {"enabled": False, "running": True, "devices": []}
        assert manager.get("/api/v1/devices/alerts").json() == {"alerts": []}
        started = manager.post("/api/v1/devices/counts", json={})
        assert started.status_code == 422 and "no reader" in started.text
        assert manager.post("/api/v1/devices/counts", json={"zone": "Bad Zone"}).status_code == 422
        assert manager.post("/api/v1/devices/sessions/k1/scans", json={"text": ""}).status_code == 422


def test_simulated_stock_is_labelled_with_a_catalogue_the_bootstrap_brings_after_start(
    tmp_path: Path, edge_settings: EdgeSettings, sim_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make demo``'s path: the edge starts from its bundle with an empty replica and its devices
    up; the catalogue arrives from the hub a moment later. The simulated readers' tags must still
    carry catalogue products (else every tag is "not in the catalogue", and a full-store count
    zeroes the whole book)."""
    settings = edge_settings.model_copy(update={"bootstrap": True})
    empty = EdgeNode.open(tmp_path / "store.db", STORE)
    config = write_config(tmp_path, sim_name, READER_QUERY)
    try:
        with serve(settings, empty, monkeypatch, config) as live:
            staff = live.client("staff")
            time.sleep(0.5)
            populate(empty)  # the bootstrap's catalogue pages land
            assert wait_for(lambda: staff.get("/api/v1/devices/tags").json()["total"] >= 10, 15)
            tags = staff.get("/api/v1/devices/tags").json()["tags"]
            assert {t["sku"] for t in tags} <= SKUS, tags[:3]
    finally:
        empty.close()
