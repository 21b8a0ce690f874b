"""Store API: a store's own token reaches only its own resources (the MQTT RPC is the main path;
this is the HTTP equivalent for tools and for stores behind an HTTP-only proxy)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import select

from cloud import customers, orders, rpc
from cloud.api.auth import Principal, hub_of, principal, require_store
from cloud.api.models import AllowanceIn, AuthoriseIn
from cloud.hub import Hub
from cloud.loyalty import authority, ledger
from cloud.storage import schema as s

router = APIRouter(prefix="/store/v1/{store_id}", tags=["store"])
HubDep = Annotated[Hub, Depends(hub_of)]
StoreDep = Annotated[str, Depends(require_store)]


@router.post("/loyalty/authorise")
def authorise(body: AuthoriseIn, store: StoreDep, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return authority.authorise(
            conn,
            hub.clock,
            store=store,
            customer_id=body.customer_id,
            points=body.points,
            entry_id=body.entry_id,
        )


@router.post("/loyalty/allowances", status_code=201)
def lease(
    body: AllowanceIn, store: StoreDep, hub: HubDep, who: Annotated[Principal, Depends(principal)]
) -> dict[str, Any]:
    """The store's own token: only for a customer with a history at the store. The admin token (head
    office) may lease any customer's points to the store, as the hub does for regulars."""
    lease_for = authority.lease if who.role == "admin" else authority.lease_for_store
    with hub.tx() as conn:
        return lease_for(
            conn,
            hub.clock,
            store=store,
            customer_id=body.customer_id,
            points=body.points,
            ttl_hours=hub.settings.allowance_ttl_hours,
        )


@router.get("/customers/{customer_id}/balance")
def balance(customer_id: str, store: StoreDep, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        customers.profile(conn, customer_id)
        return {
            "customer_id": customers.canonical(conn, customer_id),
            "points": ledger.balance(conn, customer_id),
            "store": store,
        }


@router.get("/orders/{order_id}")
def order_for_return(order_id: str, store: StoreDep, hub: HubDep) -> dict[str, Any]:
    """The store's own order whole; another store's or an online order only as the return
    authority describes it (``orders.lookup``, :func:`cloud.rpc.order_for_return`)."""
    return rpc.order_for_return(hub.engine, store, order_id)


@router.get("/orders")
def store_orders(store: StoreDep, hub: HubDep) -> list[dict[str, Any]]:
    with hub.tx() as conn:
        ids = (
            conn.execute(
                select(s.orders.c.order_id).where(s.orders.c.store == store).order_by(s.orders.c.created_at)
            )
            .scalars()
            .all()
        )
        return [orders.get(conn, str(i)) for i in ids]
