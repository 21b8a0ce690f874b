"""The deployment files work as shipped: the fleet is started from the systemd units' own command
lines (ExecStartPre/ExecStart/ExecStartPost, Environment=, EnvironmentFile=) with the generated
example env files, filled in only where an operator must (secrets, addresses), on loopback.

A catalogue item created at the hub reaches the store (so one unit publishes the downlinks), staff
sign in with the PINs from the env file, and the backup unit writes a verified backup.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from edge.web.pins import hash_pin
from sync.broker import MosquittoProcess, free_port
from sync.fleet.procs import Service
from sync.gtin import synthetic_gtin
from tests.cloud.helpers import ADMIN, SHOP
from tests.edge.conftest import TOKENS
from tests.support.paths import REPO
from tests.support.polling import wait_for

UNITS = REPO / "firmware-config" / "systemd"
ENV_DIR = REPO / "firmware-config" / "env"
STORE = "store-9"
PIN = "5274"
BIN = "/opt/vitrine/.venv/bin/"
STATE = "/var/lib/vitrine"


def read_unit(name: str) -> dict[str, list[str]]:
    """The [Service] section of a unit: key → every value (systemd keys may repeat)."""
    section = ""
    keys: dict[str, list[str]] = {}
    for raw in (UNITS / name).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, value = line.split("=", 1)
            keys.setdefault(key, []).append(value)
    return keys


def read_env_file(path: Path) -> dict[str, str]:
    """systemd EnvironmentFile= semantics for the simple lines the examples use."""
    env = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    return env


def command(line: str, instance: str, state: Path) -> list[str]:
    """A unit's command line for this machine: the venv's entry points run as ``python -m``, the
    state directory is a temporary one, ``%i`` is the instance and ``%%`` a percent sign."""
    line = line.replace("%i", instance).replace("%%", "%").replace(STATE, str(state))
    line = line.replace(BIN + "vitrine-cloud", f"{sys.executable} -m cloud.cli")
    line = line.replace(BIN + "vitrine-edge", f"{sys.executable} -m edge.cli")
    return shlex.split(line)


class Unit:
    def __init__(self, name: str, instance: str, env_file: dict[str, str], state: Path) -> None:
        self.name, self.instance, self.state = name, instance, state
        self.keys = read_unit(name)
        assert [Path(f).name for f in self.keys["EnvironmentFile"]] in (["cloud.env"], ["edge.env"])
        self.env = dict(env_file)
        for assignment in self.keys.get("Environment", []):
            key, value = assignment.replace("%i", instance).split("=", 1)
            self.env.setdefault(key, value)  # an EnvironmentFile overrides Environment= in systemd
        self.cwd = Path(self.keys.get("WorkingDirectory", [STATE])[0].replace(STATE, str(state)))

    def run(self, key: str, log: Path) -> None:
        for line in self.keys.get(key, []):
            with log.open("ab") as out:
                done = subprocess.run(
                    command(line, self.instance, self.state), env=self.process_env(), cwd=self.cwd,
                    stdout=out, stderr=subprocess.STDOUT, timeout=90, check=False,
                )  # fmt: skip
            assert done.returncode == 0, f"{self.name} {key} failed:\n{log.read_text()[-3000:]}"

    def process_env(self) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("VITRINE_")}
        return base | self.env

    @contextmanager
    def started(self, log: Path) -> Iterator[subprocess.Popen[bytes]]:
        self.run("ExecStartPre", log)
        (start,) = self.keys["ExecStart"]
        service = Service(
            log.stem, command(start, self.instance, self.state), self.process_env(), log, self.cwd
        )
        service.start()
        try:
            assert service.proc is not None
            yield service.proc
        finally:
            service.stop()


def filled(example: Path, values: dict[str, str]) -> dict[str, str]:
    """The example env file with an operator's values; each of them must be a line of the example."""
    env = read_env_file(example)
    text = example.read_text(encoding="utf-8")
    missing = [key for key in values if f"{key}=" not in text]
    assert not missing, f"{example.name} lacks {missing}"
    return env | values


def test_exactly_one_unit_publishes_downlinks() -> None:
    publishers = [
        unit.name
        for unit in sorted(UNITS.glob("*.service"))
        if any("--downlink" in line for line in read_unit(unit.name).get("ExecStart", []))
    ]
    assert publishers == ["vitrine-cloud-downlink.service"]
    assert read_unit("vitrine-cloud-downlink.service")["ExecStart"] == [
        BIN + "vitrine-cloud worker --downlink"
    ]
    timer = (UNITS / "vitrine-edge-backup.timer").read_text(encoding="utf-8")
    assert (
        "OnCalendar=" in timer
        and "vitrine-edge backup" in (UNITS / "vitrine-edge-backup.service").read_text()
    )


def test_env_examples_match_the_settings_classes(tmp_path: Path) -> None:
    script = [sys.executable, str(REPO / "scripts" / "env_examples.py")]
    env = os.environ | {"PYTHONPATH": str(REPO)}
    check = subprocess.run(
        [*script, "--check"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert check.returncode == 0, check.stderr
    drifted = tmp_path / "env"
    drifted.mkdir()
    for example in ENV_DIR.glob("*.example"):
        text = example.read_text(encoding="utf-8")
        (drifted / example.name).write_text(text.replace("VITRINE_WEB_STAFF_PINS=", "X_STAFF_PINS="))
    stale = subprocess.run(
        [*script, "--check", "--dir", str(drifted)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert stale.returncode == 1 and "edge.env.example" in stale.stderr


@pytest.mark.slow
@pytest.mark.broker
def test_the_fleet_runs_from_the_shipped_units_and_env_files(
    tmp_path: Path, broker: MosquittoProcess
) -> None:
    cloud_state, edge_state = tmp_path / "cloud", tmp_path / "edge"
    cloud_state.mkdir()
    edge_state.mkdir()
    api_port, edge_port = free_port(), free_port()
    cloud_env = filled(ENV_DIR / "cloud.env.example", {
        "VITRINE_CLOUD_DATABASE_URL": f"sqlite:///{cloud_state / 'hub.db'}",
        "VITRINE_CLOUD_ADMIN_TOKEN": ADMIN["Authorization"].removeprefix("Bearer "),
        "VITRINE_CLOUD_SHOP_TOKEN": SHOP["Authorization"].removeprefix("Bearer "),
        "VITRINE_CLOUD_BROKER_PORT": str(broker.port),
        "VITRINE_CLOUD_API_PORT": str(api_port),
    })  # fmt: skip
    pins = {"camille": {"role": "staff", "pin_hash": hash_pin(PIN, iterations=20_000)}}
    edge_env = filled(ENV_DIR / "edge.env.example", {
        "VITRINE_EDGE_STORE_ID": STORE,
        "VITRINE_EDGE_DB_PATH": "var/edge/store-9.db",  # relative to the unit's WorkingDirectory
        "VITRINE_EDGE_PORT": str(edge_port),
        "VITRINE_EDGE_KIOSK_TOKEN": TOKENS["kiosk"],
        "VITRINE_EDGE_STAFF_TOKEN": TOKENS["staff"],
        "VITRINE_EDGE_MANAGER_TOKEN": TOKENS["manager"],
        "VITRINE_EDGE_MQTT_HOST": "127.0.0.1",
        "VITRINE_EDGE_MQTT_PORT": str(broker.port),
        "VITRINE_WEB_STAFF_PINS": json.dumps(pins),
        "VITRINE_DEVICES_TOKEN_KEYS": json.dumps({"k1": "units-test-key-0123456789abcdef"}),
    })  # fmt: skip
    sku, gtin = "UNIT-1", synthetic_gtin("UNIT-1")
    with ExitStack() as stack:
        api = stack.enter_context(
            Unit("vitrine-cloud-api.service", "", cloud_env, cloud_state).started(tmp_path / "api.log")
        )
        hub_url = f"http://127.0.0.1:{api_port}"
        wait_for(lambda: up(f"{hub_url}/health", api, tmp_path / "api.log"), 60, "the hub's API")
        hub = stack.enter_context(httpx.Client(base_url=hub_url, headers=ADMIN, timeout=10))
        assert hub.post("/admin/v1/stores", json={"store_id": STORE, "name": "Store 9"}).status_code == 201
        csv = f"sku,gtin,name,category\n{sku},{gtin},Shipped-units lamp,home\n"
        r = hub.post("/admin/v1/catalog/import", content=csv, headers={"Content-Type": "text/csv"})
        assert r.status_code == 200, r.text
        workers = [
            stack.enter_context(Unit(name, instance, cloud_env, cloud_state).started(tmp_path / f"{name}{instance}.log"))
            for name, instance in (("vitrine-cloud-worker@.service", "1"), ("vitrine-cloud-worker@.service", "2"),
                                   ("vitrine-cloud-downlink.service", ""))
        ]  # fmt: skip
        edge_unit = Unit("vitrine-edge.service", "", edge_env, edge_state)
        edge_proc = stack.enter_context(edge_unit.started(tmp_path / "edge.log"))
        edge_url = f"http://127.0.0.1:{edge_port}"
        wait_for(lambda: up(f"{edge_url}/health", edge_proc, tmp_path / "edge.log"), 60, "the edge's API")
        edge = stack.enter_context(httpx.Client(base_url=edge_url, timeout=10))

        def synced() -> bool:
            for proc in workers:
                assert proc.poll() is None, "a hub worker exited (see its log)"
            got = edge.get(f"/api/v1/products/{sku}", headers={"Authorization": f"Bearer {TOKENS['kiosk']}"})
            return got.status_code == 200

        wait_for(synced, 60, "the hub's catalogue at the store (downlink)")
        signed = edge.post("/ui/sign-in", json={"pin": PIN})
        assert signed.status_code == 200 and signed.json()["name"] == "camille"

        backup = Unit("vitrine-edge-backup.service", "", edge_env, edge_state)
        backup.run("ExecStartPre", tmp_path / "backup.log")
        backup.run("ExecStart", tmp_path / "backup.log")
        backup.run("ExecStartPost", tmp_path / "backup.log")
        assert len(list((edge_state / "backups").glob("replica-*.db"))) == 1


def up(url: str, proc: subprocess.Popen[bytes], log: Path) -> bool:
    if proc.poll() is not None:
        raise AssertionError(f"process exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False
