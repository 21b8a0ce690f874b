"""Store provisioning: credentials issued once (only hashes are kept) and the first checkpoints.

With ``bootstrap=True`` (``vitrine-cloud provision-store``, the production path) the answer also
holds the store's provisioning bundle (:mod:`cloud.admin.bundle`) and nothing is queued on its
downlink: the edge bootstraps its replica from the hub (:mod:`cloud.bootstrap`). Without it, the
store receives, on its downlink stream, the current catalog, price and loyalty rule checkpoints.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from sqlalchemy import Connection, select, update

from cloud.admin import bundle as bundles
from cloud.admin import checkpoints
from cloud.admin.credentials import mosquitto_hash, new_secret, token_hash
from cloud.errors import ConfigError, Conflict, InvalidInput, NotFound
from cloud.settings import CloudSettings
from cloud.storage import schema as s
from cloud.timefmt import utc_now_text
from cloud.training import signing_key
from models.errors import ModelError
from models.signing import public_key_b64
from sync.credentials import CredentialsError, hash_password, load_template, render_dynamic_security
from sync.hlc import HybridClock

log = logging.getLogger(__name__)

STORE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
EDGE_ROLES = ("kiosk", "staff", "manager")
RESERVED_IDS = frozenset({"cloud", "hub", "warehouse"})


def provision(
    conn: Connection,
    clock: HybridClock,
    settings: CloudSettings,
    store_id: str,
    name: str,
    *,
    bootstrap: bool = False,
) -> dict[str, Any]:
    """Create a store; returns its broker credentials, cloud API token and edge token bundle (and,
    with ``bootstrap``, its provisioning bundle under ``bundle``). The secrets are in this answer only."""
    if not STORE_ID.match(store_id) or store_id in RESERVED_IDS:
        raise InvalidInput("store_id must match [a-z0-9][a-z0-9_-]{0,31} and not be a reserved name")
    if conn.execute(select(s.stores.c.store_id).where(s.stores.c.store_id == store_id)).first():
        raise Conflict(f"store {store_id} already exists")
    password, api_token = new_secret(), new_secret()
    edge_tokens = {role: new_secret() for role in EDGE_ROLES}
    conn.execute(
        s.stores.insert().values(
            store_id=store_id,
            name=name,
            broker_username=store_id,  # bound to client id store_id, confined to vitrine/v1/<store_id>/#
            broker_password_hash=mosquitto_hash(password),
            api_token_hash=token_hash(api_token),
            token_bundle_hashes=json.dumps({role: token_hash(t) for role, t in edge_tokens.items()}),
            active=True,
            created_at=utc_now_text(),
        )
    )
    if not bootstrap:
        checkpoints.send_all_to(conn, clock, store_id)
    answer = _secrets_answer(settings, store_id, name, password, api_token, edge_tokens)
    if bootstrap:
        answer["bundle"] = bundles.build(settings, store_id, name, password, edge_tokens)
        if "VITRINE_EDGE_MODEL_PUBLIC_KEY" in answer["edge_env"]:
            answer["bundle"]["edge_env"]["VITRINE_EDGE_MODEL_PUBLIC_KEY"] = answer["edge_env"][
                "VITRINE_EDGE_MODEL_PUBLIC_KEY"
            ]
    return answer


def _secrets_answer(  # noqa: PLR0917 - the secrets of one store
    settings: CloudSettings,
    store_id: str,
    name: str,
    password: str,
    api_token: str,
    edge_tokens: dict[str, str],
) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "store_id": store_id,
        "name": name,
        "broker": {
            "host": settings.broker_host,
            "port": settings.broker_port,
            "tls": settings.broker_tls,
            "username": store_id,
            "password": password,
            "topic_prefix": f"vitrine/v1/{store_id}/",
        },
        "api_token": api_token,
        "edge_env": {
            "VITRINE_EDGE_STORE_ID": store_id,
            "VITRINE_EDGE_MQTT_HOST": settings.broker_host,
            "VITRINE_EDGE_MQTT_PORT": str(settings.broker_port),
            "VITRINE_EDGE_MQTT_USERNAME": store_id,
            "VITRINE_EDGE_MQTT_PASSWORD": password,
            **{f"VITRINE_EDGE_{role.upper()}_TOKEN": token for role, token in edge_tokens.items()},
        },
    }
    model_key = model_public_key(settings)
    if model_key:
        answer["edge_env"]["VITRINE_EDGE_MODEL_PUBLIC_KEY"] = model_key
    return answer


def rotate(conn: Connection, settings: CloudSettings, store_id: str) -> dict[str, Any]:
    """New broker password, cloud API token and edge role tokens for ``store_id`` (the old ones stop
    working: reload the broker's dynamic-security file, restart the edge with the new settings).
    The secrets are in this answer only."""
    store = get(conn, store_id)
    if not store["active"]:
        raise Conflict(f"store {store_id} is deactivated: provision a new store instead")
    password, api_token = new_secret(), new_secret()
    edge_tokens = {role: new_secret() for role in EDGE_ROLES}
    conn.execute(
        update(s.stores)
        .where(s.stores.c.store_id == store_id)
        .values(
            broker_password_hash=mosquitto_hash(password),
            api_token_hash=token_hash(api_token),
            token_bundle_hashes=json.dumps({role: token_hash(t) for role, t in edge_tokens.items()}),
        )
    )
    return _secrets_answer(settings, store_id, str(store["name"]), password, api_token, edge_tokens)


def deactivate(conn: Connection, store_id: str) -> dict[str, Any]:
    """Stop serving ``store_id``: its API token and broker login stop working (once the broker's
    dynamic-security file is reloaded), nothing more is queued for it, its history stays."""
    get(conn, store_id)
    conn.execute(update(s.stores).where(s.stores.c.store_id == store_id).values(active=False))
    return get(conn, store_id)


def model_public_key(settings: CloudSettings) -> str | None:
    """The public half of the model-signing key (created now if missing), which every store must
    trust before the first release reaches it; None (logged) when the key cannot be read or made."""
    try:
        key, _ = signing_key(settings.model_signing_key)
    except (OSError, ModelError) as err:
        log.warning(
            "model-signing key %s unusable (%s): this store's bundle names no model key; set "
            "VITRINE_CLOUD_MODEL_SIGNING_KEY to a writable path",
            settings.model_signing_key,
            err,
        )
        return None
    return public_key_b64(key)


def get(conn: Connection, store_id: str) -> dict[str, Any]:
    row = conn.execute(select(s.stores).where(s.stores.c.store_id == store_id)).mappings().first()
    if row is None:
        raise NotFound(f"unknown store {store_id!r}")
    return {
        "store_id": row["store_id"],
        "name": row["name"],
        "active": bool(row["active"]),
        "broker_username": row["broker_username"],
        "created_at": row["created_at"],
    }


def list_stores(conn: Connection) -> list[dict[str, Any]]:
    ids = conn.execute(select(s.stores.c.store_id).order_by(s.stores.c.store_id)).scalars().all()
    return [get(conn, str(i)) for i in ids]


def store_for_token(conn: Connection, token: str) -> str | None:
    found = conn.execute(
        select(s.stores.c.store_id).where(
            s.stores.c.api_token_hash == token_hash(token), s.stores.c.active.is_(True)
        )
    ).scalar()
    return str(found) if found else None


def broker_config(conn: Connection, settings: CloudSettings) -> dict[str, Any]:
    """The broker's dynamic-security configuration: every active store (hash only, bound to its client
    id, confined to its own tree) and the hub workers' user when the settings name one."""
    rows = conn.execute(
        select(s.stores.c.broker_username, s.stores.c.broker_password_hash)
        .where(s.stores.c.active.is_(True))
        .order_by(s.stores.c.store_id)
    ).all()
    password = settings.broker_password.get_secret_value()
    hub = (settings.broker_username, hash_password(password)) if settings.broker_username else None
    try:
        return render_dynamic_security(load_template(), {str(u): str(h) for u, h in rows}, hub)
    except CredentialsError as err:
        raise ConfigError(f"cannot render the broker configuration: {err}") from err
