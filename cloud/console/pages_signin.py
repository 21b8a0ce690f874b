"""Sign in, sign out, the console's home and "my account" page."""

from __future__ import annotations

from datetime import UTC

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloud.api.auth import hub_of
from cloud.console import sessions, users
from cloud.console.audit import audit
from cloud.console.guard import identify, page_role
from cloud.console.identity import ROLES, ConsoleUser
from cloud.console.nav import home_for
from cloud.console.render import form_fields, page

router = APIRouter(prefix="/console", include_in_schema=False)


def safe_then(then: str | None) -> str | None:
    """Only a path inside the console (never another site, never ``//host``)."""
    if then and then.startswith("/console") and not then.startswith("//") and "\\" not in then:
        return then
    return None


@router.get("", response_class=HTMLResponse)
def home(request: Request) -> Response:
    user = identify(request, None)
    return RedirectResponse(home_for(user) if user else "/console/sign-in", status_code=303)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, then: str | None = None) -> Response:
    return page(request, "sign_in.html", None, then=safe_then(then) or "", error=None, username="")


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(request: Request) -> Response:
    fields = await form_fields(request)
    username = fields.get("username", "").strip().lower()[:64]
    then = safe_then(fields.get("then"))
    hub = hub_of(request)
    settings = hub.settings
    lockout = users.Lockout(settings.console_lockout_failures, settings.console_lockout_minutes)
    error = ""
    token, expires = "", None
    with hub.tx() as conn:  # commits a counted failure too
        try:
            user: ConsoleUser | None = users.authenticate(conn, username, fields.get("password", ""), lockout)
        except users.SignInRefused as refused:
            error, user = str(refused), None
        if user is not None:
            token, expires = sessions.start(conn, user.username, settings.console_session_minutes)
            audit(conn, user, "sign-in", {})
    if user is None or expires is None:
        return page(request, "sign_in.html", None, 401, then=then or "", error=error, username=username)
    response = RedirectResponse(then or home_for(user), status_code=303)
    response.set_cookie(
        sessions.COOKIE,
        token,
        expires=expires.astimezone(UTC),
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/sign-out")
def sign_out(request: Request) -> Response:
    token = request.cookies.get(sessions.COOKIE)
    if token:
        with hub_of(request).tx() as conn:
            sessions.end(conn, token)
    response = RedirectResponse("/console/sign-in", status_code=303)
    response.delete_cookie(sessions.COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/me", response_class=HTMLResponse)
def me(request: Request, user: ConsoleUser = Depends(page_role(*ROLES))) -> Response:
    return page(request, "me.html", user)
