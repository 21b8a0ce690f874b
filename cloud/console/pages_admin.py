"""Admin pages: console users (role, unlock, reset password) and the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloud.api.auth import hub_of
from cloud.console import audit as audit_log
from cloud.console import users
from cloud.console.guard import page_role
from cloud.console.identity import ADMIN, ROLES, ConsoleUser
from cloud.console.render import form_fields, page
from cloud.errors import CloudError

router = APIRouter(prefix="/console", include_in_schema=False)
Admin = Annotated[ConsoleUser, Depends(page_role(ADMIN))]


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, user: Admin, done: str | None = None) -> Response:
    with hub_of(request).tx() as conn:
        rows = users.list_users(conn)
    return page(request, "users.html", user, rows=rows, roles=ROLES, done=done, error=None)


@router.post("/users/{username}", response_class=HTMLResponse)
async def change_user(username: str, request: Request, user: Admin) -> Response:
    """One form per user row: ``action`` = set-role | unlock | reset-password."""
    fields = await form_fields(request)
    action = fields.get("action", "")
    try:
        with hub_of(request).tx() as conn:
            if action == "set-role":
                users.set_role(conn, username, fields.get("role", ""))
                detail = {"user": username, "role": fields.get("role", "")}
            elif action == "unlock":
                users.unlock(conn, username)
                detail = {"user": username}
            elif action == "reset-password":
                users.reset_password(conn, username, fields.get("password", ""))
                detail = {"user": username}
            else:
                raise users.SignInRefused(f"unknown action {action!r}")
            audit_log.audit(conn, user, f"user.{action}", detail)
    except CloudError as err:
        with hub_of(request).tx() as conn:
            rows = users.list_users(conn)
        return page(request, "users.html", user, 422, rows=rows, roles=ROLES, done=None, error=str(err))
    return RedirectResponse(f"/console/users?done={action}", status_code=303)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    user: Admin,
    who: Annotated[str | None, Query(max_length=64)] = None,
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    with hub_of(request).tx() as conn:
        rows = audit_log.entries(conn, limit=100, before_id=before, username=who or None)
    older = rows[-1]["id"] if len(rows) == 100 else None
    return page(request, "audit.html", user, rows=rows, who=who or "", older=older)
