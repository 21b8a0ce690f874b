"""products.csv: the catalog (upserted by sku), then one catalog checkpoint for every store.

GTINs are stored canonical (``sync.gtin.canonical_gtin``, any GS1 form accepted); a product with
no GTIN is rejected unless the import's manifest says ``synthetic_gtins`` (an adapter for a
source that has none), then it gets ``sync.gtin.synthetic_gtin(sku)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, select, update

from cloud import downlink
from cloud.admin import checkpoints
from cloud.importing import values as v
from cloud.importing.batch import insert_rows
from cloud.importing.context import Context
from cloud.importing.format import ATTRIBUTE_PREFIX, UNITS
from cloud.importing.reader import Row
from cloud.importing.tally import FileTally
from cloud.storage import schema as s
from cloud.storage.sql import dumps
from cloud.timefmt import utc_now_text
from sync.gtin import InvalidGtin, canonical_gtin, synthetic_gtin

Stored = tuple[str, str, str, str, bool]  # gtin, name, category, attributes JSON, active


def load(ctx: Context, rows: Iterable[Row], tally: FileTally) -> None:
    c = s.catalog
    stored: dict[str, Stored] = {
        str(sku): (str(g), str(n), str(cat), str(a), bool(act))
        for sku, g, n, cat, a, act in ctx.conn.execute(
            select(c.c.sku, c.c.gtin, c.c.name, c.c.category, c.c.attributes, c.c.active)
        )
    }
    holders = {item[0]: sku for sku, item in stored.items()}
    seen_sku: dict[str, int] = {}
    seen_gtin: dict[str, tuple[str, int]] = {}
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    now = utc_now_text()
    for row in rows:
        try:
            sku, item = _item(ctx, row.values)
            if sku in seen_sku:
                raise v.Bad("duplicate sku", f"{sku} already on line {seen_sku[sku]}")
            gtin = item[0]
            if gtin in seen_gtin:
                other, line = seen_gtin[gtin]
                raise v.Bad("duplicate GTIN", f"{gtin} already given to sku {other} on line {line}")
            holder = holders.get(gtin)
            if holder is not None and holder != sku:
                raise v.Bad("GTIN of another sku", f"the hub has {gtin} on sku {holder}")
        except v.Bad as bad:
            tally.reject(row.line, bad.reason, bad.detail, row.raw)
            continue
        seen_sku[sku] = row.line
        seen_gtin[gtin] = (sku, row.line)
        values = {"gtin": gtin, "name": item[1], "category": item[2], "attributes": item[3], "active": True}
        before = stored.get(sku)
        if before is None:
            new.append({"sku": sku, **values, "updated_at": now})
            tally.imported += 1
        elif before == item:
            tally.unchanged += 1
        else:
            changed.append({"k_sku": sku, **values, "updated_at": now})
            tally.updated += 1
    insert_rows(ctx.conn, c, new)
    if changed:
        columns = ("gtin", "name", "category", "attributes", "active", "updated_at")
        stmt = update(c).where(c.c.sku == bindparam("k_sku")).values({k: bindparam(k) for k in columns})
        for start in range(0, len(changed), ctx.batch):
            ctx.conn.execute(stmt, changed[start : start + ctx.batch])
    if new or changed:
        version = checkpoints.bump(ctx.conn, "catalog")
        checkpoints.push_catalog(ctx.conn, ctx.clock)
        stores = len(downlink.active_stores(ctx.conn))
        tally.notes.append(f"catalog checkpoint v{version} queued for {stores} provisioned store(s)")


def _item(ctx: Context, row: dict[str, str]) -> tuple[str, Stored]:
    sku = v.text(row, "sku", 64)
    name = v.text(row, "name", 300)
    category = v.text(row, "category", 120, required=False) or "other"
    unit = (row.get("unit") or "").strip().lower() or "each"
    if unit not in UNITS:
        raise v.Bad("bad unit", f"{unit!r} is not one of {', '.join(sorted(UNITS))}")
    code = (row.get("gtin") or "").strip()
    if code:
        try:
            gtin = canonical_gtin(code)
        except InvalidGtin as err:
            raise v.Bad("bad GTIN", str(err)) from err
    elif ctx.synthetic_gtins:
        gtin = synthetic_gtin(sku)
    else:
        raise v.Bad("missing GTIN", "give the product's GTIN (manifest.json may allow synthetic ones)")
    attributes: dict[str, str] = {
        key[len(ATTRIBUTE_PREFIX) :]: value.strip()
        for key, value in row.items()
        if key.startswith(ATTRIBUTE_PREFIX) and value.strip()
    }
    if unit != "each":
        attributes["unit"] = unit
    return sku, (gtin, name, category, dumps(attributes), True)


def units(ctx: Context) -> dict[str, str]:
    """Every sku of the catalog with its unit ("each" unless sold by measure)."""
    c = s.catalog
    out: dict[str, str] = {}
    for sku, attributes in ctx.conn.execute(select(c.c.sku, c.c.attributes)):
        unit = "each"
        if '"unit"' in attributes:
            unit = str(json.loads(attributes).get("unit") or "each")
        out[str(sku)] = unit
    return out
