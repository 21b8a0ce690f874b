from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from edge.settings import EdgeSettings
from edge.sync_link import SyncLinkConfig


def test_sync_link_config_from_edge_settings() -> None:
    settings = EdgeSettings(
        store_id="store-5",
        kiosk_token=SecretStr("kiosk-token-abcdefgh1"),
        staff_token=SecretStr("staff-token-abcdefgh2"),
        manager_token=SecretStr("manager-token-abcdef3"),
        mqtt_host="broker.example",
        mqtt_port=8883,
        mqtt_username="store-5",
        mqtt_password=SecretStr("pw-123456"),
        mqtt_tls_ca=Path("ca.crt"),
    )
    cfg = SyncLinkConfig.from_settings(settings)
    assert (cfg.store_id, cfg.broker_host, cfg.broker_port, cfg.username, cfg.password) == (
        "store-5",
        "broker.example",
        8883,
        "store-5",
        "pw-123456",
    )
    mqtt = cfg.mqtt()
    assert mqtt.client_id == "store-5" and mqtt.presence_topic == "vitrine/v1/store-5/presence"
    assert mqtt.tls_ca == Path("ca.crt")


def test_the_broker_user_must_be_the_store_id() -> None:
    """The broker binds a store's user to the client id equal to its store id, which the edge uses."""
    with pytest.raises(ValidationError, match="mqtt_username must be the store id"):
        EdgeSettings(
            store_id="store-5",
            kiosk_token=SecretStr("kiosk-token-abcdefgh1"),
            staff_token=SecretStr("staff-token-abcdefgh2"),
            manager_token=SecretStr("manager-token-abcdef3"),
            mqtt_host="broker.example",
            mqtt_username="store-6",
            mqtt_password=SecretStr("pw-123456"),
        )
