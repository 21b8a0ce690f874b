"""The head-office console, served by the hub at ``/console`` (contract: docs/console.md).

:func:`mount` adds every page module's router, the static files, the security headers and the
sign-in redirect to an app built by :func:`cloud.api.create_app`. A page module exposes ``router``
and is listed in :data:`PAGES`; its nav entry goes in :mod:`cloud.console.nav`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import ModuleType

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from cloud.console import (
    pages_admin,
    pages_catalog,
    pages_customers,
    pages_fleet,
    pages_marketing,
    pages_models,
    pages_prices,
    pages_reports,
    pages_signin,
    pages_stores,
)
from cloud.console.guard import PageForbidden, SignInNeeded
from cloud.console.render import STATIC_DIR, page

PAGES: tuple[ModuleType, ...] = (
    pages_signin,
    pages_fleet,
    pages_reports,
    pages_customers,
    pages_admin,
    pages_marketing,
    pages_catalog,
    pages_prices,
    pages_stores,
    pages_models,
)

# Pages hold no inline script or style; every fetch stays on the hub.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    # same-origin, not no-referrer: with no-referrer the browser sends "Origin: null" on form posts,
    # which the guard's same-origin check (cloud/console/guard.py) must refuse
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HEADED_PREFIXES = ("/console", "/docs")


def mount(app: FastAPI) -> None:
    app.mount("/console/static", StaticFiles(directory=STATIC_DIR), name="console-static")
    for module in PAGES:
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    def root() -> Response:
        return RedirectResponse("/console", status_code=303)

    @app.exception_handler(SignInNeeded)
    async def _sign_in(_request: Request, exc: SignInNeeded) -> Response:
        return RedirectResponse(f"/console/sign-in?then={exc.then}", status_code=303)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        return page(request, "forbidden.html", exc.user, 403, roles=exc.roles)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if request.url.path.startswith(HEADED_PREFIXES):
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            if not request.url.path.startswith("/console/static"):
                response.headers.setdefault("Cache-Control", "no-store")
        return response
