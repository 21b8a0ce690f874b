"""Catalog: browse and search the products, edit one (admin). Everyone signed in may read."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cloud.admin import catalog
from cloud.api.auth import hub_of
from cloud.console.audit import audit
from cloud.console.guard import page_role
from cloud.console.identity import ADMIN, ANALYST, MARKETING, ConsoleUser
from cloud.console.render import form_fields, page
from cloud.errors import CloudError

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[ConsoleUser, Depends(page_role(ADMIN, MARKETING, ANALYST))]
Admin = Annotated[ConsoleUser, Depends(page_role(ADMIN))]
PAGE_SIZE = 50


@router.get("/catalog", response_class=HTMLResponse)
def catalog_page(
    request: Request,
    user: Reader,
    q: Annotated[str, Query(max_length=100)] = "",
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    with hub_of(request).tx() as conn:
        items = catalog.search(conn, q or None, PAGE_SIZE + 1, offset)
    more = len(items) > PAGE_SIZE
    return page(
        request, "catalog.html", user, items=items[:PAGE_SIZE], q=q, offset=offset, more=more, size=PAGE_SIZE
    )


@router.get("/catalog/{sku}", response_class=HTMLResponse)
def product_page(
    sku: str, request: Request, user: Reader, done: Annotated[str | None, Query(max_length=100)] = None
) -> Response:
    with hub_of(request).tx() as conn:
        item = catalog.get(conn, sku)
    return page(request, "product.html", user, item=item, done=done, error=None)


@router.post("/catalog/{sku}", response_class=HTMLResponse)
async def edit_product(sku: str, request: Request, user: Admin) -> Response:
    fields = await form_fields(request)
    changes = {
        "name": fields.get("name", "").strip() or None,
        "category": fields.get("category", "").strip() or None,
        "gtin": fields.get("gtin", "").strip() or None,
        "active": fields.get("active") == "on",
    }
    try:
        with hub_of(request).tx() as conn:
            audit(conn, user, "catalog.edit", {"sku": sku, **changes})
            catalog.edit(conn, hub_of(request).clock, sku, changes)
    except CloudError as err:
        with hub_of(request).tx() as conn:
            item = catalog.get(conn, sku)
        return page(request, "product.html", user, 422, item=item, done=None, error=str(err))
    return RedirectResponse(f"/console/catalog/{sku}?{urlencode({'done': 'saved'})}", status_code=303)
