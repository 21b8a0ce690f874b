"""E-commerce channel API (what a web shop calls), authenticated by the web-shop token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query

from cloud import orders
from cloud.admin import catalog
from cloud.api.auth import hub_of, require_shop
from cloud.api.models import CustomerIn, CustomerPatch, IdentityIn, OrderIn, ReturnIn
from cloud.customers import find_by_identity
from cloud.errors import InvalidInput, NotFound
from cloud.hub import Hub
from cloud.shop import accounts, ordering, products

router = APIRouter(prefix="/shop/v1", tags=["shop"], dependencies=[Depends(require_shop)])
HubDep = Annotated[Hub, Depends(hub_of)]
StoreQ = Annotated[str | None, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")]


@router.get("/products")
def list_products(
    hub: HubDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
    store: StoreQ = None,
) -> list[dict[str, Any]]:
    with hub.tx() as conn:
        return [products.product(conn, item["sku"], store) for item in catalog.search(conn, q, limit, offset)]


@router.get("/products/gtin/{code:path}")
def get_product_by_gtin(
    code: Annotated[str, Path(min_length=1, max_length=512)],
    hub: HubDep,
    store: StoreQ = None,
    symbology: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,16}$")] = None,
) -> dict[str, Any]:
    """The product of any GTIN form: UPC-A, UPC-E (``symbology=upc-e``), EAN-8, EAN-13, GTIN-14, a
    GS1 Digital Link URI or an AI (01) element string with or without parentheses."""
    with hub.tx() as conn:
        return products.product(conn, catalog.by_gtin(conn, code, symbology)["sku"], store)


@router.get("/products/{sku}")
def get_product(sku: str, hub: HubDep, store: StoreQ = None) -> dict[str, Any]:
    """A product with its price (online, or at ``store``) and live availability per store."""
    with hub.tx() as conn:
        return products.product(conn, sku, store)


@router.get("/products/{sku}/stores")
def stores_with(
    sku: str, hub: HubDep, qty: Annotated[int, Query(ge=1, le=1000)] = 1, exclude: StoreQ = None
) -> list[dict[str, Any]]:
    """Not in stock here? The stores that have at least ``qty``, most stock first."""
    with hub.tx() as conn:
        return products.where_available(conn, sku, qty, exclude)


@router.post("/orders", status_code=201)
def place_order(body: OrderIn, hub: HubDep) -> dict[str, Any]:
    """Place an order; 409 with ``alternatives`` (stores that have the items) when the store is short."""
    with hub.tx() as conn:
        return ordering.place(
            conn,
            hub.clock,
            kind=body.kind,
            lines=[line.model_dump() for line in body.lines],
            customer_id=body.customer_id,
            store=body.store,
            warehouse=hub.settings.warehouse_store,
            points_to_redeem=body.points_to_redeem,
            address=body.address,
        )


@router.get("/orders/{order_id}")
def get_order(order_id: str, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return {**orders.get(conn, order_id), "events": orders.events(conn, order_id)}


@router.post("/orders/{order_id}/cancel")
def cancel_order(order_id: str, hub: HubDep) -> dict[str, Any]:
    """Cancel a placed order; 409 once its store picked it (ask the store). A store's order answers
    with a ``notice``: the store's pick, made offline before the cancel reached it, wins."""
    with hub.tx() as conn:
        return ordering.cancel(conn, hub.clock, order_id, hub.settings.warehouse_store)


@router.post("/orders/{order_id}/ship")
def ship_order(order_id: str, hub: HubDep) -> dict[str, Any]:
    """Mark a warehouse (home delivery) order shipped; its points are earned then."""
    with hub.tx() as conn:
        return ordering.ship_from_warehouse(conn, hub.clock, order_id, hub.settings.warehouse_store)


@router.post("/orders/{order_id}/returns", status_code=201)
def return_order(order_id: str, body: ReturnIn, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return ordering.return_online(
            conn,
            hub.clock,
            order_id,
            [line.model_dump() for line in body.lines],
            hub.settings.warehouse_store,
        )


@router.post("/customers", status_code=201)
def register(body: CustomerIn, hub: HubDep) -> dict[str, Any]:
    """Create or find the customer by any identity; identities of different customers merge them."""
    with hub.tx() as conn:
        return accounts.register(conn, hub.clock, body.model_dump())


@router.get("/customers/lookup")
def lookup(
    hub: HubDep,
    kind: Annotated[str, Query(pattern="^(email|phone|card)$")],
    value: Annotated[str, Query(min_length=1, max_length=254)],
) -> dict[str, Any]:
    with hub.tx() as conn:
        found = find_by_identity(conn, kind, value)
        if found is None:
            raise NotFound("no customer with that identity")
        return accounts.account(conn, found)


@router.get("/customers/{customer_id}")
def account(customer_id: str, hub: HubDep) -> dict[str, Any]:
    """Profile, points balance, ledger, purchases (every channel) and orders."""
    with hub.tx() as conn:
        return accounts.account(conn, customer_id)


@router.patch("/customers/{customer_id}")
def update_customer(customer_id: str, body: CustomerPatch, hub: HubDep) -> dict[str, Any]:
    fields = body.model_dump(exclude_unset=True)
    if not fields:
        raise InvalidInput("nothing to change")
    with hub.tx() as conn:
        return accounts.update_profile(conn, hub.clock, customer_id, fields)


@router.post("/customers/{customer_id}/identities")
def add_identity(customer_id: str, body: IdentityIn, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return accounts.add_identity(conn, hub.clock, customer_id, body.kind, body.value)
