"""Bearer-token principals: admin, web shop, or one store. 401 unknown, 403 wrong role/store."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from cloud.admin.stores import store_for_token
from cloud.hub import Hub

bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Principal:
    role: str  # admin | shop | store
    store: str | None = None


def hub_of(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


def _same(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def principal(request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal:
    if creds is None or not creds.credentials:
        raise HTTPException(401, "missing bearer token", headers={"WWW-Authenticate": "Bearer"})
    hub = hub_of(request)
    token = creds.credentials
    if _same(token, hub.settings.admin_token.get_secret_value()):
        return Principal("admin")
    if _same(token, hub.settings.shop_token.get_secret_value()):
        return Principal("shop")
    if len(token) <= 200:
        with hub.tx() as conn:
            store = store_for_token(conn, token)
        if store:
            return Principal("store", store)
    raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})


def require_admin(who: Principal = Depends(principal)) -> Principal:
    if who.role != "admin":
        raise HTTPException(403, "admin token required")
    return who


def require_shop(who: Principal = Depends(principal)) -> Principal:
    if who.role not in ("shop", "admin"):
        raise HTTPException(403, "web-shop token required")
    return who


def require_store(store_id: str, who: Principal = Depends(principal)) -> str:
    """The store named in the path, only for that store's own token (or admin)."""
    if who.role == "admin":
        return store_id
    if who.role != "store" or who.store != store_id:
        raise HTTPException(403, "a store's token only touches that store")
    return store_id
