"""The ``bootstrap.open`` and ``bootstrap.page`` RPC methods (protocol: ``sync.bootstrap``).

Stateless: the header is read now, pages are keyset queries, so any hub worker answers any call.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, or_, select

from cloud.admin import checkpoints
from cloud.bootstrap import sections
from cloud.errors import InvalidInput, NotFound
from cloud.storage import schema as s
from sync import bootstrap
from sync.hlc import HybridClock
from sync.rpc import RpcHandler

MAX_AFTER = 300


def _known_store(conn: Any, store: str) -> None:
    found = conn.execute(
        select(s.stores.c.store_id).where(s.stores.c.store_id == store, s.stores.c.active.is_(True))
    ).first()
    if found is None:
        raise NotFound(f"store {store!r} is not provisioned (or is deactivated) at the hub")


def open_snapshot(engine: Engine, clock: HybridClock, store: str, scope: str) -> dict[str, Any]:
    with engine.connect() as conn:
        _known_store(conn, store)
        lists = conn.execute(select(s.price_lists).order_by(s.price_lists.c.version)).mappings().all()
        price_version = checkpoints.version(conn, "price")
        price_lists = [
            {"id": int(pl["id"]), "version": int(pl["version"]), "effective_from": pl["effective_from"]}
            for pl in lists
        ]
        if price_lists:  # as checkpoints.price_bodies: the last list carries the current version
            price_lists[-1]["version"] = max(price_lists[-1]["version"], price_version)
        p = s.promotions.c
        promotions = [
            {k: row[k] for k in ("promo_id", "sku", "store", "kind", "value", "starts", "ends")}
            for row in conn.execute(
                select(s.promotions).where(or_(p.store.is_(None), p.store == store))
            ).mappings()
        ]
        return {
            "hlc": str(clock.now()),
            "catalog_version": checkpoints.version(conn, "catalog"),
            "price_version": price_version,
            "price_lists": price_lists,
            "promotions": promotions,
            "rules": checkpoints.rules_bodies(conn),
            "totals": sections.totals(conn, store, scope),
        }


def page(engine: Engine, store: str, params: dict[str, Any], scope: str) -> dict[str, Any]:
    section, after, limit = params.get("section"), params.get("after", ""), params.get("limit")
    query = sections.QUERIES.get(str(section))
    if query is None:
        raise InvalidInput(f"section must be one of {list(bootstrap.SECTIONS)}")
    if not isinstance(after, str) or len(after) > MAX_AFTER:
        raise InvalidInput(f"after must be a string of at most {MAX_AFTER} characters")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= bootstrap.MAX_PAGE_ROWS:
        raise InvalidInput(f"limit must be an integer in 1..{bootstrap.MAX_PAGE_ROWS}")
    with engine.connect() as conn:
        _known_store(conn, store)
        rows, last = query(conn, store, after, limit, scope)
    return bootstrap.page_answer(rows, last, limit)


def handlers(engine: Engine, clock: HybridClock, customer_scope: str = "active") -> dict[str, RpcHandler]:
    if customer_scope not in sections.CUSTOMER_SCOPES:
        raise InvalidInput(f"customer scope must be one of {list(sections.CUSTOMER_SCOPES)}")
    return {
        bootstrap.OPEN: lambda store, _params: open_snapshot(engine, clock, store, customer_scope),
        bootstrap.PAGE: lambda store, params: page(engine, store, params, customer_scope),
    }
