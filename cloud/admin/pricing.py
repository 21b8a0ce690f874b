"""Effective-dated price lists and store promotions, and the price of a sku at a store and time.

The price in force is the list with the latest ``effective_from`` not after the time; a
promotion (for that store, or for all when it names none) active at that time lowers it; the
lowest promoted price wins. The same rule runs at the edge from the pushed checkpoints.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import Connection, or_, select

from cloud.admin import checkpoints
from cloud.errors import InvalidInput, NotFound
from cloud.storage import schema as s
from cloud.timefmt import normalise, utc_now_text
from sync.hlc import HybridClock
from sync.vocabulary import PROMOTION_KINDS

PROMO_KINDS = PROMOTION_KINDS
MAX_CENTS = 10**9


def create_price_list(
    conn: Connection, clock: HybridClock, name: str, effective_from: str, prices: list[dict[str, Any]]
) -> dict[str, Any]:
    if not prices:
        raise InvalidInput("a price list needs at least one price")
    effective = normalise(effective_from)
    known = set(conn.execute(select(s.catalog.c.sku)).scalars())
    seen: set[str] = set()
    for p in prices:
        sku, cents = str(p["sku"]), int(p["cents"])
        if sku not in known:
            raise InvalidInput(f"unknown sku {sku!r}")
        if sku in seen:
            raise InvalidInput(f"sku {sku!r} priced twice")
        if not 0 <= cents <= MAX_CENTS:
            raise InvalidInput(f"price of {sku!r} out of range: {cents}")
        seen.add(sku)
    version = checkpoints.bump(conn, "price")
    list_id = conn.execute(
        s.price_lists.insert()
        .values(version=version, name=name, effective_from=effective, created_at=utc_now_text())
        .returning(s.price_lists.c.id)
    ).scalar_one()
    conn.execute(
        s.price_list_items.insert(),
        [{"price_list_id": list_id, "sku": str(p["sku"]), "cents": int(p["cents"])} for p in prices],
    )
    checkpoints.push_prices(conn, clock)
    return {"id": int(list_id), "version": version, "effective_from": effective, "items": len(prices)}


def add_promotion(conn: Connection, clock: HybridClock, promo: dict[str, Any]) -> dict[str, Any]:
    kind, value = str(promo["kind"]), int(promo["value"])
    if kind not in PROMO_KINDS:
        raise InvalidInput(f"promotion kind must be one of {sorted(PROMO_KINDS)}")
    if value < 0 or (kind == "percent_off" and value > 100) or value > MAX_CENTS:
        raise InvalidInput("promotion value out of range")
    starts, ends = normalise(promo["starts"]), normalise(promo["ends"])
    if ends <= starts:
        raise InvalidInput("promotion must end after it starts")
    if conn.execute(select(s.catalog.c.sku).where(s.catalog.c.sku == promo["sku"])).first() is None:
        raise InvalidInput(f"unknown sku {promo['sku']!r}")
    store = promo.get("store")
    if (
        store is not None
        and conn.execute(select(s.stores.c.store_id).where(s.stores.c.store_id == store)).first() is None
    ):
        raise InvalidInput(f"unknown store {store!r}")
    row = {
        "promo_id": "promo-" + uuid.uuid4().hex[:12],
        "sku": str(promo["sku"]),
        "store": store,
        "kind": kind,
        "value": value,
        "starts": starts,
        "ends": ends,
        "created_at": utc_now_text(),
    }
    conn.execute(s.promotions.insert().values(**row))
    checkpoints.bump(conn, "price")
    checkpoints.push_prices(conn, clock, None if store is None else [store])
    return row


def apply_promotion(base: int, kind: str, value: int) -> int:
    if kind == "percent_off":
        return base - (base * value + 50) // 100
    if kind == "amount_off":
        return max(0, base - value)
    return min(base, value)  # fixed_price never raises a price


def price_at(conn: Connection, sku: str, store: str | None, at: str | None = None) -> int:
    """Cents for ``sku`` at ``store`` (None = online) at ``at``. Raises :class:`NotFound` if unpriced."""
    at = at or utc_now_text()
    base = conn.execute(
        select(s.price_list_items.c.cents)
        .join(s.price_lists, s.price_lists.c.id == s.price_list_items.c.price_list_id)
        .where(s.price_list_items.c.sku == sku, s.price_lists.c.effective_from <= at)
        .order_by(s.price_lists.c.effective_from.desc(), s.price_lists.c.version.desc())
        .limit(1)
    ).scalar()
    if base is None:
        raise NotFound(f"sku {sku!r} has no price at {at}")
    store_match = (
        s.promotions.c.store.is_(None)
        if store is None
        else or_(s.promotions.c.store.is_(None), s.promotions.c.store == store)
    )
    promos = conn.execute(
        select(s.promotions.c.kind, s.promotions.c.value).where(
            s.promotions.c.sku == sku, store_match, s.promotions.c.starts <= at, s.promotions.c.ends > at
        )
    ).all()
    return min([int(base)] + [apply_promotion(int(base), k, int(v)) for k, v in promos])


def set_loyalty_rules(conn: Connection, clock: HybridClock, body: dict[str, Any]) -> dict[str, Any]:
    """A new loyalty rule set (earn rate, per-channel multipliers, expiry), pushed to every store."""
    earn = int(body["earn_per_unit_cents"])
    expiry = int(body["expiry_days"])
    multipliers = {str(k): float(v) for k, v in dict(body.get("multipliers") or {}).items()}
    if earn <= 0 or expiry <= 0 or any(not 0 <= m <= 100 for m in multipliers.values()):
        raise InvalidInput("earn_per_unit_cents and expiry_days must be positive; multipliers within 0-100")
    version = checkpoints.bump(conn, "loyalty_rules")
    effective = normalise(body.get("effective_from") or utc_now_text())
    conn.execute(
        s.loyalty_rules.insert().values(
            version=version,
            effective_from=effective,
            earn_per_unit_cents=earn,
            multipliers=json.dumps(multipliers, sort_keys=True),
            expiry_days=expiry,
            created_at=utc_now_text(),
        )
    )
    checkpoints.push_rules(conn, clock)
    return {
        "version": version,
        "effective_from": effective,
        "earn_per_unit_cents": earn,
        "multipliers": multipliers,
        "expiry_days": expiry,
    }


def price_list(conn: Connection, version: int) -> dict[str, Any]:
    row = conn.execute(select(s.price_lists).where(s.price_lists.c.version == version)).mappings().first()
    if row is None:
        raise NotFound(f"no price list version {version}")
    return dict(row)
