"""Prices and promotions: effective-dated price lists (admin), store promotions (admin, marketing),
the price a product has at a store and time. Everyone signed in may read."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection, func, select

from cloud.admin import pricing
from cloud.api.auth import hub_of
from cloud.console.audit import audit
from cloud.console.guard import page_role
from cloud.console.identity import ADMIN, ANALYST, MARKETING, ConsoleUser
from cloud.console.render import form_fields, page
from cloud.errors import CloudError, InvalidInput
from cloud.storage import schema as s

router = APIRouter(prefix="/console", include_in_schema=False)
Reader = Annotated[ConsoleUser, Depends(page_role(ADMIN, MARKETING, ANALYST))]
Admin = Annotated[ConsoleUser, Depends(page_role(ADMIN))]
Marketer = Annotated[ConsoleUser, Depends(page_role(ADMIN, MARKETING))]
MAX_LINES = 10_000


def parse_prices(text: str) -> list[dict[str, Any]]:
    """``SKU,price`` per line (price in the currency's units, e.g. ``12.50``) → ``[{sku, cents}]``."""
    prices = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} prices per list here; import larger lists with the API")
    for number, line in enumerate(lines, start=1):
        sku, _, amount = line.partition(",")
        try:
            cents = Decimal(amount.strip()) * 100
        except InvalidOperation as err:
            raise InvalidInput(f"line {number}: write SKU,price (e.g. MUG-1,12.50), not {line!r}") from err
        if cents != cents.to_integral_value():
            raise InvalidInput(f"line {number}: a price has at most two decimals")
        prices.append({"sku": sku.strip(), "cents": int(cents)})
    return prices


def _lists(conn: Connection) -> list[dict[str, Any]]:
    pl, items = s.price_lists, s.price_list_items
    counts = select(items.c.price_list_id, func.count().label("n")).group_by(items.c.price_list_id).subquery()
    rows = conn.execute(
        select(pl.c.version, pl.c.name, pl.c.effective_from, pl.c.created_at, counts.c.n)
        .join(counts, counts.c.price_list_id == pl.c.id)
        .order_by(pl.c.effective_from.desc(), pl.c.version.desc())
        .limit(100)
    ).mappings()
    return [dict(r) for r in rows]


def _promotions(conn: Connection) -> list[dict[str, Any]]:
    p = s.promotions
    rows = conn.execute(select(p).order_by(p.c.starts.desc(), p.c.promo_id).limit(200)).mappings()
    return [dict(r) for r in rows]


def _render(request: Request, user: ConsoleUser, status: int = 200, **extra: Any) -> Response:
    with hub_of(request).tx() as conn:
        lists = _lists(conn)
        promotions = _promotions(conn)
        stores = [
            str(x) for x in conn.execute(select(s.stores.c.store_id).order_by(s.stores.c.store_id)).scalars()
        ]
    context: dict[str, Any] = {"done": None, "error": None, "quote": None, "form": {}}
    context.update(extra)
    return page(
        request, "prices.html", user, status, lists=lists, promotions=promotions, stores=stores, **context
    )


@router.get("/prices", response_class=HTMLResponse)
def prices_page(  # noqa: PLR0917 - query parameters
    request: Request,
    user: Reader,
    sku: Annotated[str, Query(max_length=64)] = "",
    store: Annotated[str, Query(max_length=64)] = "",
    at: Annotated[str, Query(max_length=40)] = "",
    done: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    if not sku:
        return _render(request, user, done=done)
    try:
        with hub_of(request).tx() as conn:
            cents = pricing.price_at(conn, sku, store or None, at or None)
    except CloudError as err:
        return _render(request, user, 422, error=str(err), form={"sku": sku, "store": store, "at": at})
    quote = {"sku": sku, "store": store or "every store and online", "at": at or "now", "cents": cents}
    return _render(request, user, quote=quote, form={"sku": sku, "store": store, "at": at})


@router.post("/prices/lists", response_class=HTMLResponse)
async def create_list(request: Request, user: Admin) -> Response:
    fields = await form_fields(request)
    try:
        prices = parse_prices(fields.get("prices", ""))
        name, effective = fields.get("name", "").strip(), fields.get("effective_from", "").strip()
        if not name or not effective:
            raise InvalidInput("a price list needs a name and the instant it takes effect")
        hub = hub_of(request)
        with hub.tx() as conn:
            made = pricing.create_price_list(conn, hub.clock, name, effective, prices)
            audit(
                conn,
                user,
                "price-list.create",
                {"name": name, "effective_from": effective, "prices": len(prices)},
            )
    except CloudError as err:
        return _render(request, user, 422, error=str(err))
    done = (
        f"price list v{made['version']} ({made['items']} prices) effective {made['effective_from']} published"
    )
    return RedirectResponse(f"/console/prices?{urlencode({'done': done})}", status_code=303)


@router.post("/prices/promotions", response_class=HTMLResponse)
async def add_promotion(request: Request, user: Marketer) -> Response:
    fields = await form_fields(request)
    try:
        try:
            value = int(fields.get("value", ""))
        except ValueError as err:
            raise InvalidInput("the promotion value is a whole number (percent, or cents)") from err
        promo = {
            "sku": fields.get("sku", "").strip(),
            "store": fields.get("store") or None,
            "kind": fields.get("kind", ""),
            "value": value,
            "starts": fields.get("starts", "").strip(),
            "ends": fields.get("ends", "").strip(),
        }
        hub = hub_of(request)
        with hub.tx() as conn:
            row = pricing.add_promotion(conn, hub.clock, promo)
            audit(conn, user, "promotion.add", promo)
    except (CloudError, ValueError) as err:
        return _render(request, user, 422, error=str(err))
    return RedirectResponse(
        f"/console/prices?{urlencode({'done': 'promotion ' + row['promo_id'] + ' published'})}",
        status_code=303,
    )
