"""Per-store broker credentials and the ACL, generated from ``firmware-config/mosquitto/acl.template``.

``python -m sync.credentials --stores store-1,store-2 --out DIR`` writes ``DIR/passwd`` (Mosquitto
``$7$`` PBKDF2-SHA512 hashes, the format ``mosquitto_passwd`` writes), ``DIR/acl`` and one
``DIR/secrets/<user>.txt`` per user (mode 0600) to install on that store's edge box. Existing
secrets are kept, so re-running after adding a store does not rotate the others.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import secrets
import sys
from pathlib import Path

from sync.topics import check_store_id

HUB_USER = "hub"
PBKDF2_ITERATIONS = 101  # mosquitto_passwd's default for $7$
DEFAULT_TEMPLATE = Path(__file__).resolve().parents[1] / "firmware-config" / "mosquitto" / "acl.template"


def hash_password(password: str, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """A Mosquitto 2 password-file hash: ``$7$iterations$b64(salt)$b64(pbkdf2_sha512)``."""
    salt = salt or secrets.token_bytes(12)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, dklen=64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def render_acl(template: str, hub_user: str = HUB_USER) -> str:
    return template.replace("{{hub_user}}", hub_user)


def generate(stores: list[str], out: Path, template: Path = DEFAULT_TEMPLATE) -> dict[str, str]:
    """Write passwd, acl and per-user secrets into ``out``; returns user -> password."""
    users = [HUB_USER, *(check_store_id(s) for s in stores)]
    out.mkdir(parents=True, exist_ok=True)
    secret_dir = out / "secrets"
    secret_dir.mkdir(mode=0o700, exist_ok=True)
    passwords: dict[str, str] = {}
    for user in users:
        path = secret_dir / f"{user}.txt"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(24) + "\n")
            os.chmod(path, 0o600)
        passwords[user] = path.read_text().strip()
    passwd = out / "passwd"
    passwd.write_text("".join(f"{u}:{hash_password(p)}\n" for u, p in passwords.items()))
    os.chmod(passwd, 0o600)
    (out / "acl").write_text(render_acl(template.read_text()))
    return passwords


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m sync.credentials", description=__doc__)
    p.add_argument("--stores", required=True, help="comma-separated store ids")
    p.add_argument("--out", type=Path, default=Path("var/mosquitto"), help="output directory")
    p.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    args = p.parse_args(argv)
    try:
        users = generate([s for s in args.stores.split(",") if s], args.out, args.template)
    except (ValueError, OSError) as err:
        sys.stderr.write(f"cannot generate credentials: {err}\n")
        return 1
    sys.stdout.write(f"wrote {args.out}/passwd, {args.out}/acl and {len(users)} secrets\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
