"""``require_role(*roles)``: the one check for the admin API and the console pages.

Accepted credentials: the hub's admin bearer token (acts as role ``admin``, username ``admin-token``,
for tools and scripts) or a console session cookie whose user has one of ``roles``.
401 without credentials, 403 with the wrong role. Pages use :func:`page_role`, which sends a browser
without a session to the sign-in page instead of answering 401.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlsplit

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials

from cloud.api.auth import bearer, hub_of, principal
from cloud.console import sessions
from cloud.console.identity import ADMIN, TOKEN_USERNAME, ConsoleUser

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInNeeded(Exception):
    """A page was asked for without a session: the browser goes to the sign-in page (``then``: back here)."""

    def __init__(self, then: str) -> None:
        super().__init__(then)
        self.then = then


class PageForbidden(Exception):
    """A signed-in user asked for a page their role does not include."""

    def __init__(self, user: ConsoleUser, roles: tuple[str, ...]) -> None:
        super().__init__(user.role)
        self.user = user
        self.roles = roles


def _same_origin(request: Request) -> bool:
    """Cookie-authenticated changes must come from the console's own pages (SameSite=Strict already
    keeps other sites' requests cookie-less; this also refuses a request that names another origin)."""
    origin = request.headers.get("origin")
    if origin is None or request.method in SAFE_METHODS:
        return True
    return urlsplit(origin).netloc == request.headers.get("host", "")


def identify(request: Request, creds: HTTPAuthorizationCredentials | None) -> ConsoleUser | None:
    """The caller as a console user; None without credentials. A bearer token other than the admin
    token (shop, store) is refused with 403 here, an unknown one with 401."""
    if creds is not None and creds.credentials:
        who = principal(request, creds)
        if who.role != ADMIN:
            raise HTTPException(403, "admin token or a console sign-in required")
        return ConsoleUser(TOKEN_USERNAME, ADMIN)
    token = request.cookies.get(sessions.COOKIE)
    if not token:
        return None
    with hub_of(request).tx() as conn:
        user = sessions.user_of(conn, token)
    if user is not None and not _same_origin(request):
        raise HTTPException(403, "changes are accepted only from the console's own pages")
    return user


def _needs(roles: tuple[str, ...]) -> str:
    return " or ".join(roles)


def require_role(*roles: str) -> Callable[..., ConsoleUser]:
    """A FastAPI dependency returning the caller (:class:`ConsoleUser`) when their role is in ``roles``."""
    allowed = tuple(roles)

    def dependency(
        request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> ConsoleUser:
        user = identify(request, creds)
        if user is None:
            raise HTTPException(
                401,
                "sign in to the console at /console, or send the admin bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if user.role not in allowed:
            raise HTTPException(
                403, f"your role ({user.role}) may not do this: it needs {_needs(allowed)} (docs/console.md)"
            )
        return user

    return dependency


def page_role(*roles: str) -> Callable[..., ConsoleUser]:
    """Like :func:`require_role`, for HTML pages: no session -> sign-in page, wrong role -> a page saying so."""
    allowed = tuple(roles)

    def dependency(
        request: Request, creds: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> ConsoleUser:
        user = identify(request, creds)
        if user is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInNeeded(quote(here, safe="/?=&"))
        if user.role not in allowed:
            raise PageForbidden(user, allowed)
        return user

    return dependency
