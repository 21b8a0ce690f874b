"""Signed loyalty-card and order-pickup tokens, compact enough for a QR code.

Format (ASCII, three dot-separated parts)::

    VTL1.<payload>.<signature>      loyalty card
    VTP1.<payload>.<signature>      order pickup

``payload`` is base64url (no padding) of compact JSON: ``{"k": key id, "iat": issued-at, "exp":
expires-at, ...}`` (epoch seconds) plus ``"c": card id`` (loyalty) or ``"o": order id, "s": store id``
(pickup). ``signature`` is base64url (no padding) of HMAC-SHA256 under the deployment key named by
``k`` over the ASCII bytes ``"<prefix>.<payload>"`` — the prefix is signed, so a loyalty token cannot
be replayed as a pickup token. Keys rotate by adding a new id to the :class:`Keyring`.

Clock skew: a token is refused as "issued in the future" only when its ``iat`` is more than
``CLOCK_SKEW_S`` (24 h, the hybrid logical clock's bound on a remote clock) ahead of the verifier's
clock, so a card enrolled on a store whose clock runs hours ahead still opens at every other store
(the store shows its skew and warns, edge/hub_clock.py). ``exp`` is checked without tolerance.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from drivers.errors import DriverError

CLOCK_SKEW_S = 24 * 3600  # tolerated lead of a token's issued-at over the verifier's clock
_MIN_KEY_BYTES = 16


class TokenKind(StrEnum):
    LOYALTY = "VTL1"
    PICKUP = "VTP1"


class RejectReason(StrEnum):
    MALFORMED = "malformed"
    UNKNOWN_KEY = "unknown_key"
    BAD_SIGNATURE = "bad_signature"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NO_KEYRING = "no_keyring"


class TokenRejected(DriverError):
    """A token failed verification; ``reason`` says why, the message says it for people."""

    def __init__(self, reason: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Keyring:
    """Deployment HMAC keys by id; ``active`` signs new tokens, every key verifies."""

    # Secrets: never in a repr, so never in a log line or a traceback.
    keys: Mapping[str, bytes] = field(repr=False)
    active: str = ""

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError(f"active key id {self.active!r} is not in the keyring")
        for key_id, key in self.keys.items():
            if not key_id or "." in key_id:
                raise ValueError(f"invalid key id {key_id!r}")
            if len(key) < _MIN_KEY_BYTES:
                raise ValueError(f"key {key_id!r} is shorter than {_MIN_KEY_BYTES} bytes")


@dataclass(frozen=True, slots=True)
class LoyaltyClaims:
    card_id: str
    issued_at: int
    expires_at: int
    key_id: str


@dataclass(frozen=True, slots=True)
class PickupClaims:
    order_id: str
    store_id: str
    issued_at: int
    expires_at: int
    key_id: str


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not ASCII")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(key: bytes, signed_part: str) -> str:
    return _b64e(hmac.new(key, signed_part.encode("ascii"), hashlib.sha256).digest())


def _issue(kind: TokenKind, keyring: Keyring, claims: dict[str, object], issued_at: int, ttl_s: int) -> str:
    if ttl_s <= 0:
        raise ValueError("ttl_s must be positive")
    body = {"k": keyring.active, "iat": int(issued_at), "exp": int(issued_at) + int(ttl_s), **claims}
    payload = _b64e(json.dumps(body, separators=(",", ":"), ensure_ascii=True).encode("ascii"))
    signed_part = f"{kind.value}.{payload}"
    return f"{signed_part}.{_sign(keyring.keys[keyring.active], signed_part)}"


def issue_loyalty_token(keyring: Keyring, card_id: str, *, issued_at: int, ttl_s: int) -> str:
    """A loyalty-card token for ``card_id`` valid ``ttl_s`` seconds from ``issued_at``."""
    if not card_id:
        raise ValueError("card_id must not be empty")
    return _issue(TokenKind.LOYALTY, keyring, {"c": card_id}, issued_at, ttl_s)


def issue_pickup_token(keyring: Keyring, order_id: str, store_id: str, *, issued_at: int, ttl_s: int) -> str:
    """An order-pickup token for ``order_id`` at ``store_id``."""
    if not order_id or not store_id:
        raise ValueError("order_id and store_id must not be empty")
    return _issue(TokenKind.PICKUP, keyring, {"o": order_id, "s": store_id}, issued_at, ttl_s)


def token_kind(text: str) -> TokenKind | None:
    """The token kind ``text`` claims to be by its prefix (not verified)."""
    for kind in TokenKind:
        if text.startswith(kind.value + "."):
            return kind
    return None


def verify_token(text: str, keyring: Keyring | None, *, now: float) -> LoyaltyClaims | PickupClaims:
    """Verify signature and validity window; raise :class:`TokenRejected` with the reason otherwise."""
    kind = token_kind(text)
    parts = text.split(".")
    if kind is None or len(parts) != 3:
        raise TokenRejected(RejectReason.MALFORMED, "not a Vitrine token (PREFIX.payload.signature)")
    if keyring is None:
        raise TokenRejected(RejectReason.NO_KEYRING, "no token keys are configured on this device")
    _, payload, signature = parts
    try:
        body = json.loads(_b64d(payload))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError) as err:
        raise TokenRejected(RejectReason.MALFORMED, f"token payload is not base64url JSON: {err}") from err
    if not isinstance(body, dict):
        raise TokenRejected(RejectReason.MALFORMED, "token payload is not a JSON object")
    key_id = body.get("k")
    key = keyring.keys.get(key_id) if isinstance(key_id, str) else None
    if key is None or not isinstance(key_id, str):
        raise TokenRejected(RejectReason.UNKNOWN_KEY, f"token signed with unknown key {key_id!r}")
    if not hmac.compare_digest(_sign(key, f"{kind.value}.{payload}"), signature):
        raise TokenRejected(RejectReason.BAD_SIGNATURE, "token signature does not match (forged or altered)")
    claims = _claims(kind, body, key_id)
    if claims.issued_at > now + CLOCK_SKEW_S:
        raise TokenRejected(RejectReason.NOT_YET_VALID, "token is issued in the future")
    if claims.expires_at <= now:
        raise TokenRejected(RejectReason.EXPIRED, f"token expired at {claims.expires_at} (now {int(now)})")
    return claims


def _claims(kind: TokenKind, body: dict[str, object], key_id: str) -> LoyaltyClaims | PickupClaims:
    iat, exp = body.get("iat"), body.get("exp")
    if not isinstance(iat, int) or not isinstance(exp, int):
        raise TokenRejected(RejectReason.MALFORMED, "token lacks integer iat/exp")
    if kind is TokenKind.LOYALTY:
        card = body.get("c")
        if not isinstance(card, str) or not card:
            raise TokenRejected(RejectReason.MALFORMED, "loyalty token lacks a card id")
        return LoyaltyClaims(card, iat, exp, key_id)
    order, store = body.get("o"), body.get("s")
    if not isinstance(order, str) or not isinstance(store, str) or not order or not store:
        raise TokenRejected(RejectReason.MALFORMED, "pickup token lacks order or store id")
    return PickupClaims(order, store, iat, exp, key_id)
