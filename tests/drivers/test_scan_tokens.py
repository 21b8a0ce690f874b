"""Signed loyalty-card and order-pickup tokens: issue, verify, reject with a reason."""

from __future__ import annotations

import base64
import json

import pytest

from drivers import tokens
from drivers.scan import LoyaltyCard, PickupOrder, RejectedToken, classify

KEYS = tokens.Keyring(
    {"k1": b"k1-deployment-secret-32-bytes!!!", "k0": b"k0-older-deployment-secret-key!!"}, "k1"
)
T0 = 1_700_000_000


def test_loyalty_token_round_trip() -> None:
    token = tokens.issue_loyalty_token(KEYS, "CARD-0042", issued_at=T0, ttl_s=3600)
    assert token.startswith("VTL1.") and token.count(".") == 2 and token.isascii()
    claims = tokens.verify_token(token, KEYS, now=T0 + 10)
    assert claims == tokens.LoyaltyClaims("CARD-0042", T0, T0 + 3600, "k1")
    assert classify(token, keyring=KEYS, now=T0 + 10) == LoyaltyCard("CARD-0042", T0 + 3600)


def test_pickup_token_round_trip_and_key_rotation() -> None:
    old = tokens.Keyring(KEYS.keys, "k0")
    token = tokens.issue_pickup_token(old, "ORD-9", "store-7", issued_at=T0, ttl_s=86_400)
    assert token.startswith("VTP1.")
    assert classify(token, keyring=KEYS, now=T0 + 60) == PickupOrder("ORD-9", "store-7", T0 + 86_400)


def _reason(token: str, now: float = T0 + 1, keyring: tokens.Keyring | None = KEYS) -> str:
    with pytest.raises(tokens.TokenRejected) as caught:
        tokens.verify_token(token, keyring, now=now)
    payload = classify(token, keyring=keyring, now=now)
    assert isinstance(payload, RejectedToken)
    assert payload.reason == caught.value.reason.value and payload.message
    return caught.value.reason.value


def test_expired_and_future_tokens_are_rejected() -> None:
    token = tokens.issue_loyalty_token(KEYS, "C1", issued_at=T0, ttl_s=60)
    assert _reason(token, now=T0 + 60) == "expired"
    assert _reason(token, now=T0 - 2 * 86_400) == "not_yet_valid"


def test_a_card_enrolled_on_a_store_hours_ahead_opens_at_the_others() -> None:
    """Tokens tolerate a documented skew (tokens.CLOCK_SKEW_S, 24 h) between issuer and verifier."""
    ahead = tokens.issue_loyalty_token(KEYS, "C-AHEAD", issued_at=T0 + 2 * 3600, ttl_s=365 * 86_400)
    assert tokens.verify_token(ahead, KEYS, now=T0).card_id == "C-AHEAD"  # type: ignore[union-attr]
    at_limit = tokens.issue_loyalty_token(KEYS, "C-LIMIT", issued_at=T0 + tokens.CLOCK_SKEW_S, ttl_s=60)
    assert tokens.verify_token(at_limit, KEYS, now=T0).card_id == "C-LIMIT"  # type: ignore[union-attr]
    beyond = tokens.issue_loyalty_token(KEYS, "C-FAR", issued_at=T0 + tokens.CLOCK_SKEW_S + 1, ttl_s=60)
    assert _reason(beyond, now=T0) == "not_yet_valid"


def test_forged_tokens_are_rejected() -> None:
    token = tokens.issue_loyalty_token(KEYS, "C1", issued_at=T0, ttl_s=60)
    prefix, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["c"] = "SOMEONE-ELSE"
    altered = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    assert _reason(f"{prefix}.{altered}.{signature}") == "bad_signature"
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    assert _reason(f"{prefix}.{payload}.{flipped}") == "bad_signature"
    # the prefix is signed: a loyalty token cannot pass as a pickup token
    assert _reason(f"VTP1.{payload}.{signature}") == "bad_signature"
    stranger = tokens.Keyring({"k1": b"another-deployment-with-same-id!"}, "k1")
    assert _reason(tokens.issue_loyalty_token(stranger, "C1", issued_at=T0, ttl_s=60)) == "bad_signature"
    unknown = tokens.Keyring({"k9": b"k9-key-nobody-here-knows-about!!"}, "k9")
    assert _reason(tokens.issue_loyalty_token(unknown, "C1", issued_at=T0, ttl_s=60)) == "unknown_key"


@pytest.mark.parametrize("text", ["VTL1.", "VTL1.a.b.c", "VTL1.!!!.sig", "VTP1.bnVsbA.sig", "VTL1.W10.x"])
def test_malformed_tokens(text: str) -> None:
    assert _reason(text) == "malformed"


def test_no_keyring_means_rejected_not_crash() -> None:
    token = tokens.issue_loyalty_token(KEYS, "C1", issued_at=T0, ttl_s=60)
    assert _reason(token, keyring=None) == "no_keyring"


def test_keyring_validation() -> None:
    with pytest.raises(ValueError, match="shorter"):
        tokens.Keyring({"k": b"short"}, "k")
    with pytest.raises(ValueError, match="active"):
        tokens.Keyring({"k": b"x" * 32}, "other")


def test_keyring_never_shows_its_keys() -> None:
    secret = b"k" * 40
    ring = tokens.Keyring({"k1": secret}, active="k1")
    assert "kkkk" not in repr(ring)
    assert secret.decode() not in str(ring)
