"""Security sweep (issue #8): secrets never reach a log record, an error message or a repr, and every
entry point refuses empty, placeholder or short tokens and keys at start-up with a clear message.

The edge and the hub are served by real uvicorn servers at DEBUG level with the access log on and
no logging config of uvicorn's own, so every record (ours, uvicorn's, the access log) reaches caplog.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from typer.testing import CliRunner

from cloud.api import create_app as create_cloud_app
from cloud.cli import app as cloud_cli
from cloud.errors import ConfigError as CloudConfigError
from cloud.ingest.worker import main as worker_main
from cloud.settings import CloudSettings
from drivers.tokens import Keyring, issue_loyalty_token
from edge.api.app import create_app as create_edge_app
from edge.api.presence import CARD_HEADER
from edge.cli import app as edge_cli
from edge.devices.settings import load_device_settings
from edge.errors import ConfigError as EdgeConfigError
from edge.recommend import load_recommend_settings
from edge.settings import load_settings
from edge.sync_link import SyncLinkConfig
from edge.web.pins import hash_pin
from edge.web.settings import load_web_settings
from models.signing import generate_private_key, public_key_b64
from tests.support.server import served

EDGE_TOKENS = {
    "kiosk": "kiosk-Zq8vW3nR5tY7uI9oP1aS",
    "staff": "staff-Xc4bN6mK8jH2gF0dS3aQ",
    "manager": "manager-Lp9oK7iJ5uH3yG1tF4rE",
}
MQTT_PASSWORD = "mqtt-Vb6nM8kL0jH2gF4dS6aZ"
CARD_KEY = "card-key-Wq3eR5tY7uI9oP1aS3dF"
PIN = "4821"
WRONG_BEARER = "wrong-Tg5yH7uJ9iK1oL3pQ5wE"
ADMIN_TOKEN = "admin-Rf4tG6yH8uJ0iK2oL4pM"
SHOP_TOKEN = "shop-Ed3rF5tG7yH9uJ1iK3oL"
HUB_BROKER_PASSWORD = "hub-Ws2eD4rF6tG8yH0uJ2iK"
PG_PASSWORD = "pg-Qa1sW3dE5rF7tG9yH1uJ"


@contextmanager
def _serve(app: FastAPI) -> Iterator[str]:
    """``app`` on a real uvicorn at DEBUG, access log on, records propagating to the root logger."""
    with served(app, log_config=None, log_level="debug", access_log=True) as url:
        yield url


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    parts = []
    for record in caplog.records:
        parts.append(record.getMessage())
        if record.exc_info:
            parts.append("".join(traceback.format_exception(*record.exc_info)))
        if record.exc_text:
            parts.append(record.exc_text)
    return "\n".join(parts)


def _error_text(err: BaseException) -> str:
    """The message and the whole chained traceback, as a log line with ``exc_info`` would show it."""
    return str(err) + "\n" + "".join(traceback.format_exception(err))


def _assert_absent(secrets: list[str], text: str, where: str) -> None:
    leaked = [s for s in secrets if s in text]
    assert leaked == [], f"secrets leaked into {where}: {leaked}"


def _edge_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k1": CARD_KEY}))
    pins = {"alice": {"role": "staff", "pin_hash": hash_pin(PIN, iterations=1000)}}
    monkeypatch.setenv("VITRINE_WEB_STAFF_PINS", json.dumps(pins))
    monkeypatch.setenv("VITRINE_EDGE_MODEL_PUBLIC_KEY", public_key_b64(generate_private_key()))


def test_edge_never_logs_or_shows_its_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _edge_env(monkeypatch, tmp_path)
    caplog.set_level(logging.DEBUG)
    settings = load_settings(
        db_path=tmp_path / "store.db",
        kiosk_token=EDGE_TOKENS["kiosk"],
        staff_token=EDGE_TOKENS["staff"],
        manager_token=EDGE_TOKENS["manager"],
        mqtt_username="store-1",
        mqtt_password=MQTT_PASSWORD,
    )
    keyring = load_device_settings().keyring()
    assert keyring is not None
    web = load_web_settings()
    pin_hash = web.staff_pins["alice"].pin_hash
    secrets = [*EDGE_TOKENS.values(), MQTT_PASSWORD, CARD_KEY, WRONG_BEARER, pin_hash.split("$")[-1]]
    link = SyncLinkConfig.from_settings(settings)
    for shown in (settings, load_device_settings(), web, keyring, link, link.mqtt()):
        _assert_absent(secrets, repr(shown) + str(shown), f"repr of {type(shown).__name__}")

    app = create_edge_app(settings)
    with _serve(app) as url, httpx.Client(base_url=url, timeout=10) as client:
        for role, token in EDGE_TOKENS.items():
            me = client.get("/ui/whoami", headers={"Authorization": f"Bearer {token}"})
            assert me.json()["role"] == role
        assert (
            client.get("/ui/whoami", headers={"Authorization": f"Bearer {WRONG_BEARER}"}).status_code == 401
        )
        assert client.post("/ui/sign-in", json={"pin": "9999"}).status_code == 401  # a failed login
        assert client.post("/ui/sign-in", json={"pin": PIN}).json()["token"] == EDGE_TOKENS["staff"]
        staff = {"Authorization": f"Bearer {EDGE_TOKENS['staff']}"}
        customer = client.post("/api/v1/customers", json={"name": "Kim"}, headers=staff).json()
        card = issue_loyalty_token(keyring, customer["card"], issued_at=int(time.time()), ttl_s=600)
        secrets.append(card)
        kiosk = {"Authorization": f"Bearer {EDGE_TOKENS['kiosk']}", CARD_HEADER: card}
        assert client.get(f"/api/v1/customers/{customer['customer_id']}", headers=kiosk).status_code == 200
        forged = {**kiosk, CARD_HEADER: card[:-4] + "AAAA"}
        assert client.get(f"/api/v1/customers/{customer['customer_id']}", headers=forged).status_code == 403
    logged = _everything_logged(caplog)
    assert any(r.name == "uvicorn.access" for r in caplog.records), "the access log was not captured"
    assert "/ui/sign-in" in logged and "GET /ui/whoami" in logged
    _assert_absent(secrets, logged, "the edge's log records")


def test_hub_never_logs_or_shows_its_secrets(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    settings = CloudSettings(
        database_url=f"sqlite:///{tmp_path / 'cloud.db'}",
        admin_token=ADMIN_TOKEN,  # type: ignore[arg-type]
        shop_token=SHOP_TOKEN,  # type: ignore[arg-type]
        broker_username="hub",
        broker_password=HUB_BROKER_PASSWORD,  # type: ignore[arg-type]
    )
    secrets = [ADMIN_TOKEN, SHOP_TOKEN, HUB_BROKER_PASSWORD, WRONG_BEARER, PG_PASSWORD]
    pg = CloudSettings(database_url=f"postgresql+psycopg://vitrine:{PG_PASSWORD}@db.example/vitrine")
    for shown in (settings, pg):
        _assert_absent(secrets, repr(shown) + str(shown), "repr of CloudSettings")

    from cloud.storage import make_engine, migrate

    migrate(make_engine(settings.database_url))
    with _serve(create_cloud_app(settings)) as url, httpx.Client(base_url=url, timeout=10) as client:
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        assert (
            client.get("/admin/v1/stores", headers={"Authorization": f"Bearer {WRONG_BEARER}"}).status_code
            == 401
        )
        assert (
            client.get("/admin/v1/stores", headers={"Authorization": f"Bearer {SHOP_TOKEN}"}).status_code
            == 403
        )
        created = client.post("/admin/v1/stores", json={"store_id": "lyon", "name": "Lyon"}, headers=admin)
        assert created.status_code == 201, created.text
        issued = created.json()
        secrets += [issued["broker"]["password"], issued["api_token"], *issued["edge_env"].values()]
        assert client.get("/admin/v1/stores", headers=admin).status_code == 200
    logged = _everything_logged(caplog)
    assert any(r.name == "uvicorn.access" for r in caplog.records), "the access log was not captured"
    _assert_absent([s for s in secrets if len(s) >= 12], logged, "the hub's log records")


GOOD_EDGE = {f"{role}_token": token for role, token in EDGE_TOKENS.items()}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kiosk_token": ""}, "must be set"),
        ({"staff_token": "changeme"}, "placeholder"),
        ({"manager_token": "aaaaaaaaaaaaaaaaaaaa"}, "placeholder"),
        ({"kiosk_token": "Short-Token-1"}, "at least 16"),
        ({"mqtt_username": "store-1"}, "mqtt_password must be set"),
        ({"mqtt_username": "store-1", "mqtt_password": "password"}, "placeholder"),
    ],
)
def test_edge_settings_refuse_unsafe_secrets(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(EdgeConfigError, match=message) as refused:
        load_settings(**(GOOD_EDGE | overrides))
    _assert_absent([v for v in overrides.values() if len(v) > 8], _error_text(refused.value), "the error")


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"k1": "Sh0rt-k3y"}, "shorter than 16 bytes"),
        ({"k1": "a" * 32}, "placeholder"),
        ({"k1": "changeme-changeme-1234"}, "placeholder"),
        ({"k1": CARD_KEY, "k2": CARD_KEY + "x"}, "token_active_key"),
    ],
)
def test_device_token_keys_refuse_weak_keys(keys: dict[str, str], message: str) -> None:
    with pytest.raises(EdgeConfigError, match=message) as refused:
        load_device_settings(token_keys=keys)
    _assert_absent(list(keys.values()), _error_text(refused.value), "the error")


def test_model_public_key_refuses_garbage_and_placeholders() -> None:
    with pytest.raises(EdgeConfigError, match="public key"):
        load_recommend_settings(public_key="not-base64!")
    with pytest.raises(EdgeConfigError, match="placeholder"):
        load_recommend_settings(public_key=base64.b64encode(bytes(32)).decode())
    with pytest.raises(EdgeConfigError, match="PIN hash"):
        load_web_settings(staff_pins={"bob": {"pin_hash": "1234"}})


def test_edge_cli_refuses_to_serve_with_unsafe_tokens(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VITRINE_EDGE_DB_PATH", str(tmp_path / "store.db"))
    for role, token in EDGE_TOKENS.items():
        monkeypatch.setenv(f"VITRINE_EDGE_{role.upper()}_TOKEN", token)
    monkeypatch.setenv("VITRINE_EDGE_STAFF_TOKEN", "changeme")
    result = CliRunner().invoke(edge_cli, ["serve"])
    assert result.exit_code == 2
    assert "staff_token" in result.output and "placeholder" in result.output
    monkeypatch.setenv("VITRINE_EDGE_STAFF_TOKEN", EDGE_TOKENS["staff"])
    monkeypatch.setenv("VITRINE_DEVICES_TOKEN_KEYS", json.dumps({"k1": "b" * 24}))
    result = CliRunner().invoke(edge_cli, ["serve"])
    assert result.exit_code == 2 and "placeholder" in result.output


@pytest.mark.parametrize(
    ("admin", "shop", "message"),
    [
        ("", SHOP_TOKEN, "VITRINE_CLOUD_ADMIN_TOKEN is empty"),
        (ADMIN_TOKEN, "", "VITRINE_CLOUD_SHOP_TOKEN is empty"),
        ("changeme", SHOP_TOKEN, "placeholder"),
        ("admin-secret", SHOP_TOKEN, "placeholder"),
        (ADMIN_TOKEN, "shop-Short1", "shorter than 16"),
        (ADMIN_TOKEN, ADMIN_TOKEN, "must differ"),
    ],
)
def test_hub_app_refuses_unsafe_api_tokens(tmp_path: Path, admin: str, shop: str, message: str) -> None:
    settings = CloudSettings(
        database_url=f"sqlite:///{tmp_path / 'cloud.db'}",
        admin_token=admin,  # type: ignore[arg-type]
        shop_token=shop,  # type: ignore[arg-type]
    )
    with pytest.raises(CloudConfigError, match=message) as refused:
        create_cloud_app(settings)
    _assert_absent([t for t in (admin, shop) if len(t) > 8], _error_text(refused.value), "the error")


def test_hub_entry_points_refuse_missing_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VITRINE_CLOUD_DATABASE_URL", f"sqlite:///{tmp_path / 'cloud.db'}")
    monkeypatch.setenv("VITRINE_CLOUD_ADMIN_TOKEN", ADMIN_TOKEN)
    monkeypatch.setenv("VITRINE_CLOUD_SHOP_TOKEN", "")
    result = CliRunner().invoke(cloud_cli, ["serve"])
    assert result.exit_code == 1 and "VITRINE_CLOUD_SHOP_TOKEN is empty" in result.output

    with pytest.raises(ValidationError, match="broker_password must be set") as refused:
        CloudSettings(broker_username="hub")
    assert "input_value" not in str(refused.value)
    monkeypatch.setenv("VITRINE_CLOUD_SHOP_TOKEN", SHOP_TOKEN)
    monkeypatch.setenv("VITRINE_CLOUD_BROKER_USERNAME", "hub")
    result = CliRunner().invoke(cloud_cli, ["worker"])
    assert result.exit_code == 2 and "broker_password must be set" in result.output

    assert worker_main(["--username", "hub", "--db", f"sqlite:///{tmp_path / 'w.db'}"]) == 2
    assert Keyring.__dataclass_fields__["keys"].repr is False


def test_a_rotated_staff_token_is_refused_after_restart(tmp_path: Path) -> None:
    """Stolen handheld: IT sets a new VITRINE_EDGE_STAFF_TOKEN and restarts the edge; the old one is dead."""
    rotated = "staff-rotated-Hy7uJ9iK1oL3pQ5w"
    settings = load_settings(db_path=tmp_path / "store.db", **(GOOD_EDGE | {"staff_token": rotated}))
    with _serve(create_edge_app(settings)) as url, httpx.Client(base_url=url, timeout=10) as client:
        stolen = client.get("/ui/whoami", headers={"Authorization": f"Bearer {EDGE_TOKENS['staff']}"})
        assert stolen.status_code == 401
        assert (
            client.get("/ui/whoami", headers={"Authorization": f"Bearer {rotated}"}).json()["role"] == "staff"
        )
