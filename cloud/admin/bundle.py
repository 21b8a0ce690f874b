"""The provisioning bundle: one file that starts a store's edge and bootstraps it from the hub.

``vitrine-edge serve --bundle FILE`` reads it (docs/edge.md "Provisioning bundle"). It holds
secrets (broker password, role tokens, the sign-in PINs' hashes, the card-signing key): hand it to
the store's IT over a private channel and keep it mode 0600.

Shape (``format`` = :data:`FORMAT`)::

    {"format", "store_id", "name", "issued_at",
     "hub": {"node_id", "presence_topic", "broker": {host, port, tls, username, topic_prefix}},
     "edge_env": {VITRINE_EDGE_* / VITRINE_WEB_* / VITRINE_DEVICES_* settings},
     "sign_in": {"manager": {"name", "pin"}, "staff": {"name", "pin"}}}

``edge_env`` turns on ``VITRINE_EDGE_BOOTSTRAP``; the PINs are in clear only under ``sign_in``
(for the person who sets the store up), the edge reads their hashes. The PIN hash format is the
edge's (``pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>``, edge/web/pins.py).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from cloud.settings import CloudSettings
from cloud.timefmt import utc_now_text
from sync.topics import HUB_PRESENCE

FORMAT = "vitrine-bundle/1"
PIN_ITERATIONS = 200_000


def pin_hash(pin: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, PIN_ITERATIONS)
    return f"pbkdf2_sha256${PIN_ITERATIONS}${salt.hex()}${digest.hex()}"


def new_pin() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def build(
    settings: CloudSettings,
    store_id: str,
    name: str,
    broker_password: str,
    edge_tokens: dict[str, str],
) -> dict[str, Any]:
    pins = {"manager": ("manager", new_pin()), "staff": ("staff", new_pin())}
    staff_pins = {who: {"role": role, "pin_hash": pin_hash(pin)} for who, (role, pin) in pins.items()}
    edge_env = {
        "VITRINE_EDGE_STORE_ID": store_id,
        "VITRINE_EDGE_DB_PATH": f"var/edge/{store_id}.db",
        "VITRINE_EDGE_MQTT_HOST": settings.broker_host,
        "VITRINE_EDGE_MQTT_PORT": str(settings.broker_port),
        "VITRINE_EDGE_MQTT_USERNAME": store_id,
        "VITRINE_EDGE_MQTT_PASSWORD": broker_password,
        "VITRINE_EDGE_BOOTSTRAP": "true",
        **{f"VITRINE_EDGE_{role.upper()}_TOKEN": token for role, token in edge_tokens.items()},
        "VITRINE_WEB_STAFF_PINS": json.dumps(staff_pins),
        # Cards signed with this key verify in this store only: give every store the fleet's key
        # set (same ids and keys) for cards valid everywhere (docs/edge.md).
        "VITRINE_DEVICES_TOKEN_KEYS": json.dumps({store_id: secrets.token_urlsafe(32)}),
    }
    return {
        "format": FORMAT,
        "store_id": store_id,
        "name": name,
        "issued_at": utc_now_text(),
        "hub": {
            "node_id": settings.node_id,
            "presence_topic": HUB_PRESENCE,
            "broker": {
                "host": settings.broker_host,
                "port": settings.broker_port,
                "tls": settings.broker_tls,
                "username": store_id,
                "topic_prefix": f"vitrine/v1/{store_id}/",
            },
        },
        "edge_env": edge_env,
        "sign_in": {who: {"name": who, "pin": pin} for who, (_role, pin) in pins.items()},
    }
