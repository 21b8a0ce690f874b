"""Bearer-token roles. Roles are ordered: kiosk < staff < manager; a role may do what lower roles do.

Dependencies are ``async`` (they never block), so FastAPI runs them on the event loop instead of
hopping to the threadpool for each. Reuse in any router: ``dependencies=[Depends(require(Role.STAFF))]`` or a parameter
``role: Role = Depends(require(Role.KIOSK))``. Missing/unknown token: 401; too low a role: 403.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from enum import IntEnum

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from edge.settings import EdgeSettings


class Role(IntEnum):
    KIOSK = 1
    STAFF = 2
    MANAGER = 3


bearer = HTTPBearer(auto_error=False, description="role token: kiosk, staff (handheld) or manager")


class TokenTable:
    """Maps configured tokens to roles, comparing in constant time."""

    def __init__(self, settings: EdgeSettings) -> None:
        self._tokens = [
            (settings.kiosk_token.get_secret_value().encode(), Role.KIOSK),
            (settings.staff_token.get_secret_value().encode(), Role.STAFF),
            (settings.manager_token.get_secret_value().encode(), Role.MANAGER),
        ]

    def role_of(self, token: str) -> Role | None:
        presented = token.encode("utf-8", "surrogateescape")
        found: Role | None = None
        for secret, role in self._tokens:
            if hmac.compare_digest(secret, presented):
                found = role
        return found


def caller_role(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Role:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing bearer token", {"WWW-Authenticate": "Bearer"}
        )
    table: TokenTable = request.app.state.tokens
    role = table.role_of(credentials.credentials)
    if role is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown token", {"WWW-Authenticate": "Bearer"})
    return role


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
