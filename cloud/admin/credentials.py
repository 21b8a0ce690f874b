"""Secrets a store is issued: broker password (Mosquitto ``$7$`` PBKDF2-SHA512 hash) and tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

MOSQUITTO_ITERATIONS = 101
SALT_BYTES = 12


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def mosquitto_hash(password: str, salt: bytes | None = None, iterations: int = MOSQUITTO_ITERATIONS) -> str:
    """The password-file hash Mosquitto 2 writes with ``mosquitto_passwd`` (``$7$`` = PBKDF2-SHA512)."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_mosquitto_hash(password: str, encoded: str) -> bool:
    try:
        _, kind, iterations, salt_b64, _digest = encoded.split("$")
    except ValueError:
        return False
    if kind != "7":
        return False
    expected = mosquitto_hash(password, base64.b64decode(salt_b64), int(iterations))
    return hmac.compare_digest(expected, encoded)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
