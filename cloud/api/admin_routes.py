"""Admin API (head office): stores, catalog, prices, promotions, loyalty rules, reports, marketing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from sqlalchemy import func, select

from cloud import customers, projections, reports, returnable, stock, stock_summary
from cloud.admin import catalog, checkpoints, pricing, stores
from cloud.api.auth import hub_of, require_admin
from cloud.api.models import (
    CatalogEdit,
    LoyaltyRulesIn,
    MergeIn,
    PriceListIn,
    PromotionIn,
    StockCountIn,
    StoreIn,
    TriggerRunIn,
)
from cloud.errors import InvalidInput
from cloud.hub import Hub
from cloud.loyalty import authority, ledger, rules
from cloud.marketing import triggers
from cloud.marketing.delivery import deliver
from cloud.senders_factory import sender_for
from cloud.shop import accounts
from cloud.storage import schema as s
from cloud.timefmt import normalise, utc_now_text

router = APIRouter(prefix="/admin/v1", tags=["admin"], dependencies=[Depends(require_admin)])
HubDep = Annotated[Hub, Depends(hub_of)]
Sku = Annotated[str, Query(min_length=1, max_length=64)]
Day = Annotated[str, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")]
MAX_CSV_BYTES = 20 * 1024 * 1024


@router.post("/stores", status_code=201)
def provision_store(body: StoreIn, hub: HubDep) -> dict[str, Any]:
    """Provision a store: returns its broker credentials, API token and edge token bundle (once)."""
    with hub.tx() as conn:
        return stores.provision(
            conn, hub.clock, hub.settings, body.store_id, body.name, bootstrap=body.bootstrap
        )


@router.get("/stores")
def list_stores(hub: HubDep) -> list[dict[str, Any]]:
    with hub.tx() as conn:
        return stores.list_stores(conn)


@router.get("/stores/{store_id}")
def get_store(store_id: str, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        info = stores.get(conn, store_id)
        last = conn.execute(
            select(func.coalesce(func.max(s.downlink_ops.c.seq), 0)).where(s.downlink_ops.c.store == store_id)
        ).scalar_one()
        acked = conn.execute(
            select(s.downlink_acked.c.seq).where(s.downlink_acked.c.store == store_id)
        ).scalar()
        uplink = conn.execute(select(s.stream_hwm.c.seq).where(s.stream_hwm.c.origin == store_id)).scalar()
    return {
        **info,
        "downlink_last_seq": int(last),
        "downlink_acked_seq": int(acked or 0),
        "uplink_applied_seq": int(uplink or 0),
    }


@router.get("/broker/dynamic-security")
def broker_dynamic_security(hub: HubDep) -> dict[str, Any]:
    """The broker's ``dynamic-security.json`` (hashes only): each active store bound to its own client
    id and confined to its own topics, plus the hub workers' user (firmware-config/mosquitto)."""
    with hub.tx() as conn:
        return stores.broker_config(conn, hub.settings)


@router.post("/catalog/import")
def import_catalog(
    hub: HubDep, csv_text: Annotated[str, Body(media_type="text/csv", max_length=MAX_CSV_BYTES)]
) -> dict[str, int]:
    """Import a CSV (``sku,gtin,name,category[,more attributes]``); one bad row rejects the file."""
    items = catalog.parse_csv(csv_text)
    with hub.tx() as conn:
        return catalog.import_items(conn, hub.clock, items)


@router.get("/catalog")
def search_catalog(
    hub: HubDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> list[dict[str, Any]]:
    with hub.tx() as conn:
        return catalog.search(conn, q, limit, offset)


@router.get("/catalog/{sku}")
def get_item(sku: str, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return catalog.get(conn, sku)


@router.patch("/catalog/{sku}")
def edit_item(sku: str, body: CatalogEdit, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return catalog.edit(conn, hub.clock, sku, body.model_dump(exclude_unset=True))


@router.post("/price-lists", status_code=201)
def create_price_list(body: PriceListIn, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return pricing.create_price_list(
            conn, hub.clock, body.name, body.effective_from, [p.model_dump() for p in body.prices]
        )


@router.post("/promotions", status_code=201)
def add_promotion(body: PromotionIn, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return pricing.add_promotion(conn, hub.clock, body.model_dump())


@router.get("/prices/{sku}")
def price_of(
    sku: str,
    hub: HubDep,
    store: Annotated[str | None, Query(max_length=32)] = None,
    at: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    with hub.tx() as conn:
        return {"sku": sku, "store": store, "cents": pricing.price_at(conn, sku, store, at and normalise(at))}


@router.post("/loyalty/rules", status_code=201)
def set_rules(body: LoyaltyRulesIn, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return pricing.set_loyalty_rules(conn, hub.clock, body.model_dump())


@router.get("/loyalty/rules")
def get_rules(hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return rules.current(conn).to_body()


@router.get("/loyalty/overdrafts")
def overdrafts(hub: HubDep) -> list[dict[str, Any]]:
    with hub.tx() as conn:
        return ledger.overdraft_report(conn)


@router.get("/returns/over-refunds")
def over_refunds(hub: HubDep) -> list[dict[str, Any]]:
    """Receipt lines refunded beyond what they sold (offline returns that merged), never silent."""
    with hub.tx() as conn:
        return returnable.over_refund_report(conn)


@router.get("/stock/oversold")
def oversold(hub: HubDep) -> list[dict[str, Any]]:
    """Stores whose book of a product is below zero (sold beyond what they held), never silent."""
    with hub.tx() as conn:
        return stock.oversold_report(conn)


@router.post("/loyalty/expire")
def expire(hub: HubDep) -> dict[str, int]:
    with hub.tx() as conn:
        released = authority.release_expired(conn)
        return {**authority.expire_points(conn, hub.clock), "leases_released": released}


@router.post("/stock/counts", status_code=201)
def stock_count(body: StockCountIn, hub: HubDep) -> dict[str, Any]:
    """A count taken outside the stores (e.g. the warehouse), folded like an RFID count."""
    with hub.tx() as conn:
        catalog.get(conn, body.sku)
        spec = {
            "sku": body.sku,
            "store": body.store,
            "zone": body.zone,
            "qty": body.qty,
            "session": "admin",
            "at": utc_now_text(),
        }
        projections.emit(conn, hub.clock, [("stock.count", spec)], store=body.store)
    return spec


@router.post("/customers/merge")
def merge_customers(body: MergeIn, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        customers.profile(conn, body.customer_a)
        customers.profile(conn, body.customer_b)
        survivor = customers.merge(conn, body.customer_a, body.customer_b)
        return accounts.account(conn, survivor)


@router.get("/customers/{customer_id}")
def get_customer(customer_id: str, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return accounts.account(conn, customer_id)


@router.get("/reports/{name}", response_model=None)
def report(
    name: str,
    hub: HubDep,
    start: Day,
    end: Day,
    fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Response | dict[str, Any]:
    with hub.tx() as conn:
        rows = reports.run(conn, name, start, end)
    if fmt == "csv":
        return Response(
            reports.to_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}_{start}_{end}.csv"'},
        )
    return {"report": name, "start": start, "end": end, "rows": rows}


@router.post("/marketing/run")
def run_triggers(body: TriggerRunIn, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        added = triggers.run(
            conn,
            not_seen_days=body.not_seen_days,
            unused_days=body.unused_days,
            expiring_within_days=body.expiring_within_days,
            follow_up_days=body.follow_up_days,
        )
    out: dict[str, Any] = {"added": added}
    if body.deliver:
        sender = sender_for(hub.settings)
        if sender is None:
            raise InvalidInput("no marketing sender configured (VITRINE_CLOUD_MARKETING_SENDER)")
        out["delivery"] = deliver(hub.engine, sender)
    return out


@router.post("/stock/summaries")
def push_stock_summaries(hub: HubDep) -> dict[str, int]:
    """Manual override: queue every store's FULL availability to every other store. The workers
    publish live changes on their own (see cloud.stock_summary); use this after restoring a replica."""
    with hub.tx() as conn:
        return {"queued": stock_summary.push(conn, hub.clock)}


@router.get("/checkpoints")
def checkpoint_versions(hub: HubDep) -> dict[str, int]:
    with hub.tx() as conn:
        return {k: checkpoints.version(conn, k) for k in ("catalog", "price", "loyalty_rules")}
