"""Models: the versions the hub keeps with their metrics, a canary to chosen stores, promotion of
that same artifact to every store, rollback, the release history (admin; analysts read)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloud import downlink
from cloud.api.auth import hub_of
from cloud.console.audit import audit
from cloud.console.guard import page_role
from cloud.console.identity import ADMIN, ANALYST, ConsoleUser
from cloud.console.render import MAX_FORM_BYTES, page
from cloud.errors import CloudError, InvalidInput
from cloud.rollout import artifacts
from cloud.rollout import service as rollout

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[ConsoleUser, Depends(page_role(ADMIN, ANALYST))]
Admin = Annotated[ConsoleUser, Depends(page_role(ADMIN))]


async def _stores_chosen(request: Request) -> list[str]:
    """The ``store`` checkboxes of a form (several values of one name)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInput("form too large")
    return parse_qs(body.decode("utf-8", "replace"), max_num_fields=1000).get("store", [])


def _render(request: Request, user: ConsoleUser, status: int = 200, **extra: Any) -> Response:
    with hub_of(request).tx() as conn:
        versions = rollout.versions(conn)
        history = list(reversed(rollout.history(conn)))
        current = rollout.store_models(conn)
        active = list(downlink.active_stores(conn))
    context: dict[str, Any] = {"done": None, "error": None}
    context.update(extra)
    return page(
        request,
        "models.html",
        user,
        status,
        versions=versions,
        history=history,
        current=current,
        active=active,
        **context,
    )


@router.get("/models", response_class=HTMLResponse)
def models_page(
    request: Request, user: Reader, done: Annotated[str | None, Query(max_length=300)] = None
) -> Response:
    return _render(request, user, done=done)


def _back(done: str) -> Response:
    return RedirectResponse(f"/console/models?{urlencode({'done': done})}", status_code=303)


@router.post("/models/{model_id}/canary", response_class=HTMLResponse)
async def canary(model_id: str, request: Request, user: Admin) -> Response:
    try:
        chosen = await _stores_chosen(request)
        if not chosen:
            raise InvalidInput("choose the stores of the canary")
        hub = hub_of(request)
        with hub.tx() as conn:
            released = rollout.release(
                conn, hub.clock, artifacts.load(conn, model_id), chosen, by=user.username
            )
            audit(conn, user, "model.release", {"model_id": model_id, "stores": released})
    except CloudError as err:
        return _render(request, user, 422, error=str(err))
    return _back(f"{model_id} released to {', '.join(released)} (canary)")


@router.post("/models/{model_id}/promote", response_class=HTMLResponse)
async def promote(model_id: str, request: Request, user: Admin) -> Response:
    try:
        hub = hub_of(request)
        with hub.tx() as conn:
            promoted = rollout.promote(conn, hub.clock, model_id, by=user.username)
            audit(conn, user, "model.promote", {"model_id": model_id, "stores": promoted})
    except CloudError as err:
        return _render(request, user, 422, error=str(err))
    return _back(f"{model_id} promoted to {', '.join(promoted) or 'no other store (all are on it)'}")


@router.post("/models/rollback", response_class=HTMLResponse)
async def rollback(request: Request, user: Admin) -> Response:
    try:
        chosen = await _stores_chosen(request)
        hub = hub_of(request)
        with hub.tx() as conn:
            back = rollout.rollback(conn, hub.clock, chosen, by=user.username)
            audit(conn, user, "model.rollback", {"stores": back})
    except CloudError as err:
        return _render(request, user, 422, error=str(err))
    return _back("rolled back: " + ", ".join(f"{store} to {model}" for store, model in back.items()))
