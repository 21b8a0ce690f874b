"""Per-store broker credentials and their access rules, rendered for Mosquitto's dynamic-security plugin.

``python -m sync.credentials --stores store-1,store-2 --out DIR`` writes ``DIR/dynamic-security.json``
(clients with Mosquitto ``$7$`` PBKDF2-SHA512 hashes, each store bound to the client id equal to its
store id, one role per store rendered from ``firmware-config/mosquitto/dynamic-security.template.json``)
and one ``DIR/secrets/<user>.txt`` per user (mode 0600) to install on that store's edge box. Existing
secrets are kept, so re-running after adding a store does not rotate the others.

Why the plugin and not ``password_file``/``acl_file``: Mosquitto 2.0's ACL file never checks a
SUBSCRIBE, so a store's user could join the hub workers' shared subscription group and have the broker
hand it (then drop) other stores' batches; and nothing bound a user to its client id, so one store's
user could kick another store off. The plugin refuses both (``firmware-config/mosquitto/README.md``).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sync.errors import SyncError
from sync.topics import check_store_id

HUB_USER = "hub"
PBKDF2_ITERATIONS = 101  # mosquitto_passwd's default for $7$
SALT_BYTES = 12  # the only salt length the dynamic-security plugin accepts
CONFIG_NAME = "dynamic-security.json"
DEFAULT_TEMPLATE = (
    Path(__file__).resolve().parents[1] / "firmware-config" / "mosquitto" / "dynamic-security.template.json"
)


class CredentialsError(ValueError):
    """A password hash or the rules template cannot be rendered."""


def hash_password(password: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """A Mosquitto 2 password hash: ``$7$iterations$b64(salt)$b64(pbkdf2_sha512)``."""
    salt = salt or secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, dklen=64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def _client(username: str, encoded_hash: str, clientid: str | None, role: str) -> dict[str, Any]:
    try:
        _, kind, iterations, salt_b64, digest_b64 = encoded_hash.split("$")
        salt_len = len(base64.b64decode(salt_b64, validate=True))
    except ValueError as err:
        raise CredentialsError(f"the password hash of {username!r} is not a Mosquitto $7$ hash") from err
    if kind != "7" or salt_len != SALT_BYTES:
        raise CredentialsError(f"the password hash of {username!r} needs $7$ and a {SALT_BYTES}-byte salt")
    client: dict[str, Any] = {
        "username": username,
        "password": digest_b64,
        "salt": salt_b64,
        "iterations": int(iterations),
        "roles": [{"rolename": role}],
    }
    if clientid is not None:
        client["clientid"] = clientid
    return client


def _acls(rules: list[dict[str, Any]], store: str = "") -> list[dict[str, Any]]:
    return [
        {
            "acltype": r["acltype"],
            "topic": str(r["topic"]).replace("{{store}}", store),
            "priority": 0,
            "allow": bool(r["allow"]),
        }
        for r in rules
    ]


def render_dynamic_security(
    template: Mapping[str, Any], stores: Mapping[str, str], hub: tuple[str, str] | None = None
) -> dict[str, Any]:
    """The plugin's configuration: ``stores`` maps store id -> ``$7$`` hash, ``hub`` is (user, hash).

    A store's client may connect only with the client id equal to its store id and reaches only
    ``vitrine/v1/<store>/#`` (plus the hub's presence topics); the hub's user is not bound to a client
    id, so several workers share it."""
    clients: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    if hub is not None:
        clients.append(_client(hub[0], hub[1], None, "hub"))
        roles.append({"rolename": "hub", "acls": _acls(template["hub"])})
    for store, encoded in sorted(stores.items()):
        check_store_id(store)
        clients.append(_client(store, encoded, store, f"store-{store}"))
        roles.append({"rolename": f"store-{store}", "acls": _acls(template["store"], store)})
    return {
        "defaultACLAccess": dict(template["defaultACLAccess"]),
        "clients": clients,
        "groups": [],
        "roles": roles,
    }


def load_template(path: Path = DEFAULT_TEMPLATE) -> dict[str, Any]:
    try:
        loaded = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise CredentialsError(f"cannot read the rules template {path}: {err}") from err
    if not isinstance(loaded, dict) or not {"defaultACLAccess", "hub", "store"} <= loaded.keys():
        raise CredentialsError(f"{path} needs the keys defaultACLAccess, hub and store")
    return loaded


def generate(stores: list[str], out: Path, template: Path = DEFAULT_TEMPLATE) -> dict[str, str]:
    """Write dynamic-security.json and per-user secrets into ``out``; returns user -> password."""
    ids = [check_store_id(s) for s in stores]
    rules = load_template(template)
    out.mkdir(parents=True, exist_ok=True)
    secret_dir = out / "secrets"
    secret_dir.mkdir(mode=0o700, exist_ok=True)
    passwords: dict[str, str] = {}
    for user in [HUB_USER, *ids]:
        path = secret_dir / f"{user}.txt"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(24) + "\n")
            os.chmod(path, 0o600)
        passwords[user] = path.read_text().strip()
    config = render_dynamic_security(
        rules,
        {s: hash_password(passwords[s]) for s in ids},
        (HUB_USER, hash_password(passwords[HUB_USER])),
    )
    target = out / CONFIG_NAME
    target.write_text(json.dumps(config, indent=2) + "\n")
    os.chmod(target, 0o600)
    return passwords


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sync.credentials", description=__doc__)
    p.add_argument("--stores", required=True, help="comma-separated store ids")
    p.add_argument("--out", type=Path, default=Path("var/mosquitto"), help="output directory")
    p.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    args = p.parse_args(argv)
    try:
        users = generate([s for s in args.stores.split(",") if s], args.out, args.template)
    except (ValueError, OSError, SyncError) as err:
        sys.stderr.write(f"cannot generate credentials: {err}\n")
        return 1
    sys.stdout.write(f"wrote {args.out}/{CONFIG_NAME} and {len(users)} secrets\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
