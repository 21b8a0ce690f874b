"""Customers pages: search by name, card, e-mail or phone; one customer's 360 view; merging two
profiles of the same person, confirmed on a page that shows both before anything changes."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection

from cloud import customer_view, customers
from cloud.api.auth import hub_of
from cloud.console.audit import audit
from cloud.console.guard import page_role
from cloud.console.identity import ADMIN, MARKETING, ConsoleUser
from cloud.console.render import form_fields, page
from cloud.errors import CloudError, InvalidInput, NotFound

router = APIRouter(prefix="/console", include_in_schema=False)
# Personal data: the people who look after customers, not the analysts (aggregates only).
Steward = Annotated[ConsoleUser, Depends(page_role(ADMIN, MARKETING))]
Text = Annotated[str | None, Query(max_length=customer_view.MAX_QUERY)]


@router.get("/customers", response_class=HTMLResponse)
def customers_page(request: Request, user: Steward, q: Text = None) -> Response:
    found: list[dict[str, object]] = []
    error = None
    if q:
        try:
            with hub_of(request).tx() as conn:
                found = customer_view.search(conn, q)
        except InvalidInput as err:
            error = str(err)
    return page(request, "customers.html", user, 422 if error else 200, q=q or "", found=found, error=error)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(
    customer_id: str, request: Request, user: Steward, done: Text = None, error: Text = None
) -> Response:
    with hub_of(request).tx() as conn:
        try:
            view = customer_view.view(conn, customer_id)
        except NotFound:
            return page(
                request, "customers.html", user, 404, q="", found=[], error=f"no customer {customer_id!r}"
            )
    if view["customer_id"] != customer_id:  # merged away: the survivor's page
        return RedirectResponse(f"/console/customers/{quote(view['customer_id'])}", status_code=303)
    return page(request, "customer.html", user, c=view, done=done, error=error)


def _one(conn: Connection, text: str) -> str:
    """The one customer ``text`` names (an id, a card, an e-mail, a phone, a name)."""
    found = customer_view.search(conn, text)
    if len(found) != 1:
        raise InvalidInput(
            f"{text!r} names {len(found)} customers; give the other profile's id, card, e-mail or phone"
        )
    return str(found[0]["customer_id"])


@router.get("/customers/{customer_id}/merge", response_class=HTMLResponse)
def merge_confirm(customer_id: str, request: Request, user: Steward, other: Text = None) -> Response:
    """Both profiles side by side, and which one survives, before the merge is confirmed."""
    try:
        with hub_of(request).tx() as conn:
            a = customer_view.view(conn, customer_id)
            b = customer_view.view(conn, _one(conn, other or ""))
            if a["customer_id"] == b["customer_id"]:
                raise InvalidInput("that is the same customer")
    except CloudError as err:
        target = f"/console/customers/{quote(customer_id)}?error={quote(str(err))}"
        return RedirectResponse(target, status_code=303)
    survivor, gone = sorted((a, b), key=lambda c: (c["created_at"], c["customer_id"]))
    return page(request, "merge.html", user, a=a, b=b, survivor=survivor, gone=gone)


@router.post("/customers/merge", response_class=HTMLResponse)
async def merge(request: Request, user: Steward) -> Response:
    fields = await form_fields(request)
    a, b = fields.get("customer_a", ""), fields.get("customer_b", "")
    try:
        if fields.get("confirm") != "yes":
            raise InvalidInput("the merge was not confirmed")
        with hub_of(request).tx() as conn:
            customers.profile(conn, a)
            customers.profile(conn, b)
            survivor = customers.merge(conn, a, b)
            audit(conn, user, "customer.merge", {"a": a, "b": b, "survivor": survivor})
    except CloudError as err:
        return RedirectResponse(f"/console/customers/{quote(a)}?error={quote(str(err))}", status_code=303)
    done = quote(f"merged {a} and {b}")
    return RedirectResponse(f"/console/customers/{quote(survivor)}?done={done}", status_code=303)
