"""A synthetic head office for benchmarks and tests: catalog, one price list, loyalty rules,
customers, and per store its opening stock, its customers' past sales and their loyalty entries.

Written straight into the hub's tables (set-based inserts), the same rows an import would leave.
Deterministic for a given ``seed``. Not a production path: ``vitrine-cloud import`` is.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert

from cloud.admin import checkpoints
from cloud.storage import schema as s
from cloud.timefmt import utc_now_text
from sync.gtin import check_digit

WORDS = [
    "linen",
    "cotton",
    "wool",
    "silk",
    "denim",
    "canvas",
    "leather",
    "velvet",
    "bamboo",
    "oak",
    "pine",
    "walnut",
    "ceramic",
    "glass",
    "steel",
    "copper",
    "enamel",
    "paper",
    "felt",
    "rattan",
    "jute",
    "marble",
    "slate",
    "cork",
]
THINGS = [
    "mug",
    "bowl",
    "plate",
    "vase",
    "lamp",
    "cushion",
    "throw",
    "rug",
    "basket",
    "tray",
    "candle",
    "frame",
    "clock",
    "mirror",
    "shelf",
    "stool",
    "chair",
    "jacket",
    "shirt",
    "scarf",
    "hat",
    "bag",
    "wallet",
    "belt",
    "sock",
    "glove",
    "notebook",
    "pen",
]
COLOURS = [
    "red",
    "blue",
    "green",
    "black",
    "white",
    "grey",
    "pink",
    "yellow",
    "navy",
    "cream",
    "ochre",
    "teal",
]
SIZES = ["XS", "S", "M", "L", "XL"]
EPOCH = "2020-01-01T00:00:00.000000Z"
HLC0 = "1577836800000.0000.cloud"  # 2020-01-01, older than any live op


@dataclass
class StorePlan:
    store_id: str
    customers: range  # indexes of this store's home customers
    sales: int = 0  # past receipts of those customers here
    stock_skus: int = 0  # opening stock on the first N skus (0: every sku)


@dataclass
class HeadOffice:
    products: int
    customers: int
    stores: list[StorePlan] = field(default_factory=list)
    seed: int = 7


def sku_of(n: int) -> str:
    return f"S{n:06d}"


def gtin_of(n: int) -> str:
    """A unique GTIN-14 in the in-store range (prefix 020), by number."""
    body = f"020{n:010d}"
    return body + check_digit(body)


def customer_of(n: int) -> str:
    return f"C{n:07d}"


def _chunks(rows: list[dict[str, Any]], size: int = 5000) -> list[list[dict[str, Any]]]:
    return [rows[i : i + size] for i in range(0, len(rows), size)]


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows):
        conn.execute(insert(table), chunk)


def fill(engine: Engine, plan: HeadOffice) -> dict[str, int]:
    """Write ``plan`` into an empty hub database; returns row counts."""
    rnd = random.Random(plan.seed)
    now = utc_now_text()
    cents = [rnd.randrange(99, 9999) for _ in range(plan.products)]
    with engine.begin() as conn:
        _insert(conn, s.catalog, [
            {"sku": sku_of(n), "gtin": gtin_of(n), "active": True, "updated_at": now,
             "name": f"{rnd.choice(WORDS)} {rnd.choice(THINGS)} {rnd.choice(COLOURS)}",
             "category": THINGS[n % len(THINGS)],
             "attributes": json.dumps({"size": SIZES[n % 5]} if n % 3 == 0 else {})}
            for n in range(plan.products)
        ])  # fmt: skip
        conn.execute(
            insert(s.price_lists).values(version=1, name="base", effective_from=EPOCH, created_at=now)
        )
        list_id = 1
        _insert(conn, s.price_list_items, [
            {"price_list_id": list_id, "sku": sku_of(n), "cents": c} for n, c in enumerate(cents)
        ])  # fmt: skip
        conn.execute(
            insert(s.loyalty_rules).values(
                version=1, effective_from=EPOCH, earn_per_unit_cents=100,
                multipliers=json.dumps({"click_collect": 2}), expiry_days=365, created_at=now,
            )
        )  # fmt: skip
        for kind in ("catalog", "price", "loyalty_rules"):
            checkpoints.bump(conn, kind)
        _insert(conn, s.customers, [
            {"customer_id": customer_of(n), "name": f"Customer {n}", "email": f"c{n}@example.com",
             "phone": None, "card": f"VC-{n:07d}", "consent_marketing": n % 2 == 0,
             "field_hlc": json.dumps(dict.fromkeys(("name", "email", "card", "consent_marketing"), HLC0)),
             "merged_into": None, "created_at": EPOCH, "last_seen_at": None}
            for n in range(plan.customers)
        ])  # fmt: skip
        _insert(conn, s.customer_identities, [
            {"kind": kind, "value": value, "customer_id": customer_of(n)}
            for n in range(plan.customers)
            for kind, value in (("email", f"c{n}@example.com"), ("card", f"VC-{n:07d}"))
        ])  # fmt: skip
        counts = {"products": plan.products, "customers": plan.customers, "sales": 0, "stock": 0}
        for store in plan.stores:
            counts["stock"] += _stock(conn, rnd, plan, store)
            counts["sales"] += _sales(conn, rnd, plan, store, cents)
    return counts


def _stock(conn: Connection, rnd: random.Random, plan: HeadOffice, store: StorePlan) -> int:
    skus = store.stock_skus or plan.products
    _insert(conn, s.stock, [
        {"sku": sku_of(n), "store": store.store_id, "zone": "floor", "qty": rnd.randrange(3, 60),
         "last_count_hlc": HLC0, "oversold": False, "updated_hlc": HLC0}
        for n in range(skus)
    ])  # fmt: skip
    return skus


def _sales(conn: Connection, rnd: random.Random, plan: HeadOffice, store: StorePlan, cents: list[int]) -> int:
    heads: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    people = list(store.customers)
    for n in range(store.sales):
        receipt = f"{store.store_id}-h{n:06d}"
        cid = customer_of(people[n % len(people)]) if people else None
        day = f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}"
        at = f"{day}T10:{n % 60:02d}:00.000000Z"
        picked = [rnd.randrange(plan.products) for _ in range(1 + n % 3)]
        total = sum(cents[p] for p in picked)
        points = total // 100 if cid else 0
        heads.append({"receipt_id": receipt, "store": store.store_id, "channel": "store", "customer_id": cid,
                      "at": at, "day": day, "total_cents": total, "item_count": len(picked),
                      "points_earned": points, "points_redeemed": 0})  # fmt: skip
        lines += [
            {"receipt_id": receipt, "line_no": i, "sku": sku_of(p), "qty": 1, "unit_cents": cents[p],
             "discount_cents": 0, "store": store.store_id, "channel": "store", "day": day}
            for i, p in enumerate(picked, start=1)
        ]  # fmt: skip
        if cid and points:
            entries.append({"entry_id": f"earn:{receipt}", "customer_id": cid, "original_customer_id": cid,
                            "kind": "earn", "points": points, "ref": receipt, "channel": "store",
                            "store": store.store_id, "at": at, "hlc": HLC0, "lease_id": None})  # fmt: skip
    _insert(conn, s.sales, heads)
    _insert(conn, s.sale_lines, lines)
    _insert(conn, s.loyalty_ledger, entries)
    return len(heads)
