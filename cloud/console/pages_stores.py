"""Stores: provision one (its secrets and bundle shown once), rotate its credentials, deactivate it
(admin); analysts may read the list."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloud.admin import stores
from cloud.api.auth import hub_of
from cloud.console.audit import audit
from cloud.console.guard import page_role
from cloud.console.identity import ADMIN, ANALYST, ConsoleUser
from cloud.console.render import form_fields, page
from cloud.errors import CloudError, InvalidInput
from cloud.rollout import service as rollout

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[ConsoleUser, Depends(page_role(ADMIN, ANALYST))]
Admin = Annotated[ConsoleUser, Depends(page_role(ADMIN))]


def _render(request: Request, user: ConsoleUser, status: int = 200, **extra: Any) -> Response:
    with hub_of(request).tx() as conn:
        rows = stores.list_stores(conn)
        models = rollout.store_models(conn)
    context: dict[str, Any] = {"done": None, "error": None, "secrets": None, "secrets_for": None}
    context.update(extra)
    return page(request, "stores.html", user, status, rows=rows, models=models, **context)


@router.get("/stores", response_class=HTMLResponse)
def stores_page(
    request: Request, user: Reader, done: Annotated[str | None, Query(max_length=200)] = None
) -> Response:
    return _render(request, user, done=done)


def _shown_once(answer: dict[str, Any]) -> str:
    return json.dumps(answer, indent=1, sort_keys=True)


@router.post("/stores", response_class=HTMLResponse)
async def provision(request: Request, user: Admin) -> Response:
    fields = await form_fields(request)
    store_id, name = fields.get("store_id", "").strip(), fields.get("name", "").strip()
    try:
        if not name:
            raise InvalidInput("give the store a name")
        hub = hub_of(request)
        with hub.tx() as conn:
            audit(conn, user, "store.provision", {"store": store_id, "name": name})
            answer = stores.provision(conn, hub.clock, hub.settings, store_id, name, bootstrap=True)
    except CloudError as err:
        return _render(request, user, 422, error=str(err))
    return _render(
        request,
        user,
        done=f"store {store_id} provisioned",
        secrets=_shown_once(answer["bundle"]),
        secrets_for=f"{store_id}: provisioning bundle (save it as {store_id}.bundle.json, mode 0600)",
    )


@router.post("/stores/{store_id}/rotate", response_class=HTMLResponse)
async def rotate(store_id: str, request: Request, user: Admin) -> Response:
    try:
        hub = hub_of(request)
        with hub.tx() as conn:
            audit(conn, user, "store.rotate", {"store": store_id})
            answer = stores.rotate(conn, hub.settings, store_id)
    except CloudError as err:
        return _render(request, user, 422, error=str(err))
    return _render(
        request,
        user,
        done=f"new credentials for {store_id}: the old ones no longer work",
        secrets=_shown_once(answer["edge_env"]),
        secrets_for=f"{store_id}: new edge settings (restart its edge with them; reload the broker's dynamic security)",
    )


@router.post("/stores/{store_id}/deactivate", response_class=HTMLResponse)
async def deactivate(store_id: str, request: Request, user: Admin) -> Response:
    fields = await form_fields(request)
    if fields.get("confirm") != store_id:
        return _render(
            request, user, 422, error=f"type the store id ({store_id}) to confirm its deactivation"
        )
    try:
        with hub_of(request).tx() as conn:
            audit(conn, user, "store.deactivate", {"store": store_id})
            stores.deactivate(conn, store_id)
    except CloudError as err:
        return _render(request, user, 422, error=str(err))
    return RedirectResponse(
        f"/console/stores?{urlencode({'done': f'store {store_id} deactivated'})}", status_code=303
    )
