"""Admin API (head office): stores, catalog, prices, promotions, loyalty rules, reports, marketing."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response
from sqlalchemy import func, select

from cloud import customer_view, customers, projections, reports, returnable, stock, stock_summary
from cloud.admin import catalog, checkpoints, pricing, stores
from cloud.api.auth import hub_of
from cloud.api.models import (
    CatalogEdit,
    LoyaltyRulesIn,
    MergeIn,
    ModelReleaseIn,
    ModelRollbackIn,
    PriceListIn,
    PromotionIn,
    StockCountIn,
    StoreIn,
    TriggerRunIn,
)
from cloud.console.audit import audit
from cloud.console.guard import require_role
from cloud.console.identity import ADMIN, ANALYST, MARKETING, ConsoleUser
from cloud.errors import InvalidInput
from cloud.hub import Hub
from cloud.loyalty import authority, ledger, rules
from cloud.marketing import outbox, triggers
from cloud.rollout import artifacts as model_artifacts
from cloud.rollout import service as rollout
from cloud.senders_factory import deliver_pending, sender_for
from cloud.shop import accounts
from cloud.storage import schema as s
from cloud.timefmt import normalise, utc_now_text

# Who may call what (docs/console.md has the table): reads for the roles that need them, changes
# for admin (and marketing for its own: promotions, customer merges, triggers). Every change is audited.
router = APIRouter(prefix="/admin/v1", tags=["admin"])
HubDep = Annotated[Hub, Depends(hub_of)]
EVERYONE = [Depends(require_role(ADMIN, MARKETING, ANALYST))]
FLEET = [Depends(require_role(ADMIN, ANALYST))]
PEOPLE = [Depends(require_role(ADMIN, MARKETING))]
FIGURES = [Depends(require_role(ADMIN, ANALYST))]  # reports (aggregates, no personal data)
AdminUser = Annotated[ConsoleUser, Depends(require_role(ADMIN))]
MarketingUser = Annotated[ConsoleUser, Depends(require_role(ADMIN, MARKETING))]
Sku = Annotated[str, Query(min_length=1, max_length=64)]
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
MAX_CSV_BYTES = 20 * 1024 * 1024


@router.post("/stores", status_code=201)
def provision_store(body: StoreIn, hub: HubDep, who: AdminUser) -> dict[str, Any]:
    """Provision a store: returns its broker credentials, API token and edge token bundle (once)."""
    with hub.tx() as conn:
        audit(conn, who, "store.provision", {"store": body.store_id, "name": body.name})
        return stores.provision(
            conn, hub.clock, hub.settings, body.store_id, body.name, bootstrap=body.bootstrap
        )


@router.get("/stores", dependencies=FLEET)
def list_stores(hub: HubDep) -> list[dict[str, Any]]:
    with hub.tx() as conn:
        return stores.list_stores(conn)


@router.get("/stores/{store_id}", dependencies=FLEET)
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


@router.post("/stores/{store_id}/rotate")
def rotate_store(store_id: str, hub: HubDep, who: AdminUser) -> dict[str, Any]:
    """New broker password, API token and edge tokens for the store (shown once; the old ones stop)."""
    with hub.tx() as conn:
        audit(conn, who, "store.rotate", {"store": store_id})
        return stores.rotate(conn, hub.settings, store_id)


@router.post("/stores/{store_id}/deactivate")
def deactivate_store(store_id: str, hub: HubDep, who: AdminUser) -> dict[str, Any]:
    """Stop serving the store: its tokens and broker login stop working, nothing more is queued for it."""
    with hub.tx() as conn:
        audit(conn, who, "store.deactivate", {"store": store_id})
        return stores.deactivate(conn, store_id)


@router.get("/broker/dynamic-security", dependencies=[Depends(require_role(ADMIN))])
def broker_dynamic_security(hub: HubDep) -> dict[str, Any]:
    """The broker's ``dynamic-security.json`` (hashes only): each active store bound to its own client
    id and confined to its own topics, plus the hub workers' user (firmware-config/mosquitto)."""
    with hub.tx() as conn:
        return stores.broker_config(conn, hub.settings)


@router.post("/catalog/import")
def import_catalog(
    hub: HubDep,
    who: AdminUser,
    csv_text: Annotated[str, Body(media_type="text/csv", max_length=MAX_CSV_BYTES)],
) -> dict[str, int]:
    """Import a CSV (``sku,gtin,name,category[,more attributes]``); one bad row rejects the file."""
    items = catalog.parse_csv(csv_text)
    with hub.tx() as conn:
        result = catalog.import_items(conn, hub.clock, items)
        audit(conn, who, "catalog.import", {"rows": len(items), **result})
        return result


@router.get("/catalog", dependencies=EVERYONE)
def search_catalog(
    hub: HubDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> list[dict[str, Any]]:
    with hub.tx() as conn:
        return catalog.search(conn, q, limit, offset)


@router.get("/catalog/{sku}", dependencies=EVERYONE)
def get_item(sku: str, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return catalog.get(conn, sku)


@router.patch("/catalog/{sku}")
def edit_item(sku: str, body: CatalogEdit, hub: HubDep, who: AdminUser) -> dict[str, Any]:
    changes = body.model_dump(exclude_unset=True)
    with hub.tx() as conn:
        audit(conn, who, "catalog.edit", {"sku": sku, **changes})
        return catalog.edit(conn, hub.clock, sku, changes)


@router.post("/price-lists", status_code=201)
def create_price_list(body: PriceListIn, hub: HubDep, who: AdminUser) -> dict[str, Any]:
    with hub.tx() as conn:
        audit(
            conn,
            who,
            "price-list.create",
            {"name": body.name, "effective_from": body.effective_from, "prices": len(body.prices)},
        )
        return pricing.create_price_list(
            conn, hub.clock, body.name, body.effective_from, [p.model_dump() for p in body.prices]
        )


@router.post("/promotions", status_code=201)
def add_promotion(body: PromotionIn, hub: HubDep, who: MarketingUser) -> dict[str, Any]:
    with hub.tx() as conn:
        audit(conn, who, "promotion.add", body.model_dump())
        return pricing.add_promotion(conn, hub.clock, body.model_dump())


@router.get("/prices/{sku}", dependencies=EVERYONE)
def price_of(
    sku: str,
    hub: HubDep,
    store: Annotated[str | None, Query(max_length=32)] = None,
    at: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    with hub.tx() as conn:
        return {"sku": sku, "store": store, "cents": pricing.price_at(conn, sku, store, at and normalise(at))}


@router.post("/loyalty/rules", status_code=201)
def set_rules(body: LoyaltyRulesIn, hub: HubDep, who: AdminUser) -> dict[str, Any]:
    with hub.tx() as conn:
        audit(conn, who, "loyalty-rules.set", body.model_dump())
        return pricing.set_loyalty_rules(conn, hub.clock, body.model_dump())


@router.get("/loyalty/rules", dependencies=EVERYONE)
def get_rules(hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return rules.current(conn).to_body()


@router.get("/loyalty/overdrafts", dependencies=FLEET)
def overdrafts(hub: HubDep) -> list[dict[str, Any]]:
    with hub.tx() as conn:
        return ledger.overdraft_report(conn)


@router.get("/returns/over-refunds", dependencies=FLEET)
def over_refunds(hub: HubDep) -> list[dict[str, Any]]:
    """Receipt lines refunded beyond what they sold (offline returns that merged), never silent."""
    with hub.tx() as conn:
        return returnable.over_refund_report(conn)


@router.get("/stock/oversold", dependencies=FLEET)
def oversold(hub: HubDep) -> list[dict[str, Any]]:
    """Stores whose book of a product is below zero (sold beyond what they held), never silent."""
    with hub.tx() as conn:
        return stock.oversold_report(conn)


@router.post("/loyalty/expire")
def expire(hub: HubDep, who: AdminUser) -> dict[str, int]:
    with hub.tx() as conn:
        released = authority.release_expired(conn)
        result = {**authority.expire_points(conn, hub.clock), "leases_released": released}
        audit(conn, who, "loyalty.expire", result)
        return result


@router.post("/stock/counts", status_code=201)
def stock_count(body: StockCountIn, hub: HubDep, who: AdminUser) -> dict[str, Any]:
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
        audit(conn, who, "stock.count", spec)
    return spec


@router.post("/customers/merge")
def merge_customers(body: MergeIn, hub: HubDep, who: MarketingUser) -> dict[str, Any]:
    with hub.tx() as conn:
        customers.profile(conn, body.customer_a)
        customers.profile(conn, body.customer_b)
        survivor = customers.merge(conn, body.customer_a, body.customer_b)
        audit(conn, who, "customer.merge", {"a": body.customer_a, "b": body.customer_b, "survivor": survivor})
        return accounts.account(conn, survivor)


@router.get("/customers", dependencies=PEOPLE)
def search_customers(
    hub: HubDep, q: Annotated[str, Query(min_length=2, max_length=customer_view.MAX_QUERY)]
) -> list[dict[str, Any]]:
    """Customers by name (contains), card, e-mail or phone (any written form of the number)."""
    with hub.tx() as conn:
        return customer_view.search(conn, q)


@router.get("/customers/{customer_id}/360", dependencies=PEOPLE)
def customer_360(customer_id: str, hub: HubDep) -> dict[str, Any]:
    """One customer across channels: identities, consent and its proof, loyalty ledger, sales
    (store and online), orders, returns, reservations."""
    with hub.tx() as conn:
        return customer_view.view(conn, customer_id)


@router.get("/customers/{customer_id}", dependencies=PEOPLE)
def get_customer(customer_id: str, hub: HubDep) -> dict[str, Any]:
    with hub.tx() as conn:
        return accounts.account(conn, customer_id)


@router.get("/reports", response_model=None, dependencies=FIGURES)
def report_names() -> dict[str, list[str]]:
    return {"reports": sorted(reports.REPORTS)}


@router.get("/reports/{name}", response_model=None, dependencies=FIGURES)
def report(
    name: str,
    hub: HubDep,
    *,
    date_from: Annotated[str | None, Query(alias="from", pattern=DAY_PATTERN)] = None,
    date_to: Annotated[str | None, Query(alias="to", pattern=DAY_PATTERN)] = None,
    start: Annotated[str | None, Query(pattern=DAY_PATTERN, description="same as from")] = None,
    end: Annotated[str | None, Query(pattern=DAY_PATTERN, description="same as to")] = None,
    fmt: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> Response | dict[str, Any]:
    """Report ``name`` over the inclusive days ``from``..``to`` (YYYY-MM-DD), as JSON or CSV."""
    first, last = date_from or start, date_to or end
    if not first or not last:
        raise InvalidInput("give the date range: ?from=YYYY-MM-DD&to=YYYY-MM-DD")
    with hub.tx() as conn:
        rows = reports.run(conn, name, first, last)
    if fmt == "csv":
        return Response(
            reports.to_csv(rows),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}_{first}_{last}.csv"'},
        )
    return {"report": name, "from": first, "to": last, "start": first, "end": last, "rows": rows}


@router.post("/marketing/run")
def run_triggers(body: TriggerRunIn, hub: HubDep, who: MarketingUser) -> dict[str, Any]:
    with hub.tx() as conn:
        added = triggers.run(
            conn,
            not_seen_days=body.not_seen_days,
            unused_days=body.unused_days,
            expiring_within_days=body.expiring_within_days,
            follow_up_days=body.follow_up_days,
        )
        audit(conn, who, "marketing.run", {**body.model_dump(), "added": added})
    out: dict[str, Any] = {"added": added}
    if body.deliver:
        if sender_for(hub.settings) is None:
            raise InvalidInput(
                "no sender configured: set VITRINE_CLOUD_MARKETING_SENDER (e-mail) or VITRINE_CLOUD_SMS_SENDER (SMS)"
            )
        out["delivery"] = deliver_pending(hub.engine, hub.settings)
    return out


@router.get("/marketing/preview", dependencies=PEOPLE)
def preview_trigger(
    hub: HubDep,
    trigger: Annotated[str, Query(pattern="^(" + "|".join(triggers.TRIGGERS) + ")$")],
    days: Annotated[int | None, Query(ge=1, le=3650)] = None,
) -> dict[str, Any]:
    """Whom the trigger would message now (consent filter and once-per-period rule applied)."""
    with hub.tx() as conn:
        return triggers.preview(conn, trigger, days or triggers.DEFAULT_DAYS[trigger])


@router.get("/marketing/figures", dependencies=EVERYONE)
def marketing_figures(hub: HubDep) -> dict[str, Any]:
    """Per trigger and period key: messages queued, pending, sent, failed, cancelled."""
    with hub.tx() as conn:
        return {"triggers": outbox.figures(conn)}


@router.get("/marketing/deliveries", dependencies=PEOPLE)
def marketing_deliveries(  # noqa: PLR0917 - query parameters
    hub: HubDep,
    trigger: Annotated[str | None, Query(max_length=64)] = None,
    state: Annotated[str | None, Query(pattern="^(" + "|".join(outbox.STATES) + ")$")] = None,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    """The delivery log, newest first: state, sender and time, or why a message was not sent."""
    with hub.tx() as conn:
        rows = outbox.deliveries(
            conn, trigger=trigger, state=state, customer_id=customer_id, limit=limit, offset=offset
        )
    return {"deliveries": rows}


@router.get("/models", dependencies=FLEET)
def list_models(hub: HubDep) -> dict[str, Any]:
    """Kept models (newest first) with their metrics, and the model last released to each store."""
    with hub.tx() as conn:
        return {"models": rollout.versions(conn), "stores": rollout.store_models(conn)}


@router.get("/models/releases", dependencies=FLEET)
def model_releases(hub: HubDep) -> dict[str, Any]:
    """The release history, oldest first: each release, canary, promotion and rollback."""
    with hub.tx() as conn:
        return {"releases": rollout.history(conn)}


@router.post("/models/{model_id}/release")
def release_model(model_id: str, body: ModelReleaseIn, hub: HubDep, who: AdminUser) -> dict[str, Any]:
    """Release a kept model to the stores named (a canary) or, without ``stores``, to every store."""
    with hub.tx() as conn:
        artifact = model_artifacts.load(conn, model_id)
        released = rollout.release(conn, hub.clock, artifact, body.stores, by=who.username)
        audit(conn, who, "model.release", {"model_id": model_id, "stores": released})
        return {"released_to": released}


@router.post("/models/{model_id}/promote")
def promote_model(model_id: str, hub: HubDep, who: AdminUser) -> dict[str, Any]:
    """Release the same artifact the canary ran to every active store not yet on it."""
    with hub.tx() as conn:
        promoted = rollout.promote(conn, hub.clock, model_id, by=who.username)
        audit(conn, who, "model.promote", {"model_id": model_id, "stores": promoted})
        return {"promoted_to": promoted}


@router.post("/models/rollback")
def rollback_models(body: ModelRollbackIn, hub: HubDep, who: AdminUser) -> dict[str, Any]:
    """Give each store named the model released to it before its current one."""
    with hub.tx() as conn:
        back = rollout.rollback(conn, hub.clock, body.stores, by=who.username)
        audit(conn, who, "model.rollback", {"stores": back})
        return {"rolled_back": back}


@router.post("/stock/summaries")
def push_stock_summaries(hub: HubDep, who: AdminUser) -> dict[str, int]:
    """Manual override: queue every store's FULL availability to every other store. The workers
    publish live changes on their own (see cloud.stock_summary); use this after restoring a replica."""
    with hub.tx() as conn:
        queued = stock_summary.push(conn, hub.clock)
        audit(conn, who, "stock.summaries", {"queued": queued})
        return {"queued": queued}


@router.get("/checkpoints", dependencies=EVERYONE)
def checkpoint_versions(hub: HubDep) -> dict[str, int]:
    with hub.tx() as conn:
        return {k: checkpoints.version(conn, k) for k in ("catalog", "price", "loyalty_rules")}
