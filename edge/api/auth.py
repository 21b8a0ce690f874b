"""Bearer-token roles. Roles are ordered: kiosk < staff < manager; a role may do what lower roles do.

Dependencies are ``async`` (they never block), so FastAPI runs them on the event loop instead of
hopping to the threadpool for each. Reuse in any router: ``dependencies=[Depends(require(Role.STAFF))]`` or a parameter
``role: Role = Depends(require(Role.KIOSK))``. Missing/unknown token: 401; too low a role: 403.

Kiosk device tokens: each kiosk is provisioned with a token bound to its own device session
(:func:`kiosk_device_token`, ``vitrine-edge kiosk-token SESSION``), derived from the store's kiosk
token. It has the kiosk role, and of the device sessions (live scans, injected scans) it reaches only
its own; staff and manager tokens reach every session, the store's kiosk token itself none
(:func:`session_scope`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from edge.settings import EdgeSettings


class Role(IntEnum):
    KIOSK = 1
    STAFF = 2
    MANAGER = 3


bearer = HTTPBearer(
    auto_error=False, description="role token: kiosk (device token), staff (handheld) or manager"
)

SESSION_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")  # a kiosk or handheld device session
DEVICE_TOKEN_PREFIX = "vk1."  # noqa: S105 - a format marker, not a secret


def _device_mac(kiosk_token: str, session_id: str) -> str:
    digest = hmac.new(kiosk_token.encode(), f"vitrine/kiosk-session/{session_id}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(digest.digest()[:24]).decode()


def kiosk_device_token(kiosk_token: str, session_id: str) -> str:
    """The token of the kiosk whose device session is ``session_id``: ``vk1.<session>.<mac>``."""
    if not SESSION_ID.fullmatch(session_id):
        raise ValueError("a session id is 1-64 characters among A-Z a-z 0-9 _ . -")
    return f"{DEVICE_TOKEN_PREFIX}{session_id}.{_device_mac(kiosk_token, session_id)}"


@dataclass(frozen=True)
class Caller:
    role: Role
    session: str | None = None  # set for a kiosk device token: the only session it may reach


class TokenTable:
    """Maps configured tokens (and kiosk device tokens) to callers, comparing in constant time."""

    def __init__(self, settings: EdgeSettings) -> None:
        self._kiosk = settings.kiosk_token.get_secret_value()
        self._tokens = [
            (self._kiosk.encode(), Role.KIOSK),
            (settings.staff_token.get_secret_value().encode(), Role.STAFF),
            (settings.manager_token.get_secret_value().encode(), Role.MANAGER),
        ]

    def caller_of(self, token: str) -> Caller | None:
        presented = token.encode("utf-8", "surrogateescape")
        found: Role | None = None
        for secret, role in self._tokens:
            if hmac.compare_digest(secret, presented):
                found = role
        if found is not None:
            return Caller(found)
        if token.startswith(DEVICE_TOKEN_PREFIX):
            session, _, mac = token[len(DEVICE_TOKEN_PREFIX) :].rpartition(".")
            if SESSION_ID.fullmatch(session) and hmac.compare_digest(
                _device_mac(self._kiosk, session).encode(), mac.encode("utf-8", "surrogateescape")
            ):
                return Caller(Role.KIOSK, session)
        return None

    def role_of(self, token: str) -> Role | None:
        caller = self.caller_of(token)
        return None if caller is None else caller.role


def caller_of(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing bearer token", {"WWW-Authenticate": "Bearer"}
        )
    table: TokenTable = request.app.state.tokens
    caller = table.caller_of(credentials.credentials)
    if caller is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown token", {"WWW-Authenticate": "Bearer"})
    return caller


def caller_role(caller: Caller = Depends(caller_of)) -> Role:
    return caller.role


async def session_scope(session_id: str, caller: Caller = Depends(caller_of)) -> Caller:
    """Admit a caller to device session ``session_id`` (its scan feed, its scans): staff and manager
    tokens to any session, a kiosk device token to its own session only."""
    if caller.role >= Role.STAFF or caller.session == session_id:
        return caller
    if caller.session is not None:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"this kiosk's token reaches its own session {caller.session!r} only"
        )
    raise HTTPException(
        status.HTTP_403_FORBIDDEN,
        "a kiosk reaches its device session with its own device token; a manager issues it "
        "(POST /api/v1/devices/sessions/{session_id}/kiosk-token or `vitrine-edge kiosk-token SESSION`)",
    )


def require(minimum: Role) -> Callable[..., Awaitable[Role]]:
    """A dependency that admits callers whose role is at least ``minimum``; returns their role."""

    async def check(role: Role = Depends(caller_role)) -> Role:
        if role < minimum:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs the {minimum.name.lower()} role")
        return role

    check.__name__ = f"require_{minimum.name.lower()}"
    return check


KIOSK = Depends(require(Role.KIOSK))
STAFF = Depends(require(Role.STAFF))
MANAGER = Depends(require(Role.MANAGER))
