"""Fleet health: every store on one screen (live), a store's page, the anomalies the hub flags."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from cloud.api.auth import hub_of
from cloud.console.guard import page_role
from cloud.console.identity import ADMIN, ANALYST, ConsoleUser
from cloud.console.render import page

router = APIRouter(prefix="/console", include_in_schema=False)
Viewer = Annotated[ConsoleUser, Depends(page_role(ADMIN, ANALYST))]


@router.get("/fleet", response_class=HTMLResponse)
def fleet_page(request: Request, user: Viewer) -> Response:
    hub_of(request)
    return page(request, "fleet.html", user)
