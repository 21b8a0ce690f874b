"""Fleet health: every store on one screen (live), a store's page, the anomalies the hub flags."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, Response

from cloud.admin import stores
from cloud.api.auth import hub_of
from cloud.console import fleet
from cloud.console.guard import page_role, require_role
from cloud.console.identity import ADMIN, ANALYST, ConsoleUser
from cloud.console.render import page

router = APIRouter(prefix="/console", include_in_schema=False)
Viewer = Annotated[ConsoleUser, Depends(page_role(ADMIN, ANALYST))]
POLL_MS = 2000
ANOMALY_TITLES = {
    "oversold": "Oversold stock (the book went below zero)",
    "overdrafts": "Loyalty overdrafts found at merge",
    "over-refunds": "Receipt lines refunded beyond what they sold",
    "quarantined": "Quarantined payloads (not applied)",
}


@router.get("/fleet", response_class=HTMLResponse)
def fleet_page(request: Request, user: Viewer) -> Response:
    with hub_of(request).tx() as conn:
        view = fleet.overview(conn)
    return page(request, "fleet.html", user, view=view, poll_ms=POLL_MS, titles=ANOMALY_TITLES)


@router.get("/fleet.json", dependencies=[Depends(require_role(ADMIN, ANALYST))])
def fleet_json(request: Request) -> dict[str, Any]:
    """What the fleet page polls: every store's state (``None`` for what stores do not report)."""
    with hub_of(request).tx() as conn:
        return fleet.overview(conn)


@router.get("/stores/{store_id}", response_class=HTMLResponse)
def store_page(store_id: str, request: Request, user: Viewer) -> Response:
    with hub_of(request).tx() as conn:
        info = stores.get(conn, store_id)  # 404 for an unknown store
        row = next(st for st in fleet.overview(conn)["stores"] if st["store_id"] == store_id)
        history = fleet.sync_history(conn, store_id)
        types = fleet.op_types(conn, store_id)
    return page(
        request, "store.html", user, info=info, st=row, history=history, types=types, titles=ANOMALY_TITLES
    )


@router.get("/anomalies/{kind}", response_class=HTMLResponse)
def anomaly_page(
    kind: str,
    request: Request,
    user: Viewer,
    store: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    if kind not in ANOMALY_TITLES:
        raise HTTPException(404, f"no anomaly kind {kind!r}: one of {', '.join(ANOMALY_TITLES)}")
    with hub_of(request).tx() as conn:
        rows = fleet.anomaly_rows(conn, kind, store or None)
    columns = list(rows[0]) if rows else []
    return page(
        request,
        "anomalies.html",
        user,
        kind=kind,
        title=ANOMALY_TITLES[kind],
        rows=rows,
        columns=columns,
        store=store or "",
    )
