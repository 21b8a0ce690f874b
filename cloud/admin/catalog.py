"""Catalog import (CSV with GTINs) and edits. All-or-nothing: one bad row rejects the file."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import Connection, select, update

from cloud.admin import checkpoints
from cloud.errors import Conflict, InvalidInput, NotFound
from cloud.storage import schema as s
from cloud.storage.sql import dumps
from cloud.timefmt import utc_now_text
from sync.gtin import InvalidGtin, canonical_gtin, try_canonical_gtin
from sync.hlc import HybridClock

REQUIRED_COLUMNS = ("sku", "gtin", "name", "category")
MAX_ROWS = 200_000


def gtin14(text: str) -> str:
    """Any GTIN form as the stored GTIN-14 (``sync.gtin``); :class:`InvalidInput` saying why not."""
    try:
        return canonical_gtin(text)
    except InvalidGtin as err:
        raise InvalidInput(f"GTIN: {err}") from err


def parse_csv(text: str) -> list[dict[str, Any]]:
    """Rows ``{sku, gtin, name, category, attributes}``; extra columns become attributes.
    Raises :class:`InvalidInput` listing every bad row."""
    if "\x00" in text:
        raise InvalidInput("CSV contains NUL characters")
    try:
        return _parse(text)
    except csv.Error as err:
        raise InvalidInput(f"not a valid CSV: {err}") from err


def _parse(text: str) -> list[dict[str, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"CSV is missing columns: {', '.join(missing)}")
    items: list[dict[str, Any]] = []
    errors: list[str] = []
    seen_sku: set[str] = set()
    seen_gtin: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if line > MAX_ROWS + 1:
            raise InvalidInput(f"CSV has more than {MAX_ROWS} rows")
        try:
            items.append(_item(row, seen_sku, seen_gtin))
        except InvalidInput as err:
            errors.append(f"line {line}: {err}")
    if errors:
        raise InvalidInput(
            "; ".join(errors[:20]) + (f" (+{len(errors) - 20} more)" if len(errors) > 20 else "")
        )
    if not items:
        raise InvalidInput("CSV has no rows")
    return items


def _item(row: dict[str, Any], seen_sku: set[str], seen_gtin: set[str]) -> dict[str, Any]:
    sku = (row.get("sku") or "").strip()
    name = (row.get("name") or "").strip()
    if not sku or len(sku) > 64:
        raise InvalidInput("sku must be 1-64 characters")
    if not name:
        raise InvalidInput("name is empty")
    gtin = gtin14(row.get("gtin") or "")
    if sku in seen_sku or gtin in seen_gtin:
        raise InvalidInput(f"duplicate sku or GTIN ({sku}, {gtin})")
    seen_sku.add(sku)
    seen_gtin.add(gtin)
    attributes = {k: v for k, v in row.items() if k not in REQUIRED_COLUMNS and k and v not in (None, "")}
    return {
        "sku": sku,
        "gtin": gtin,
        "name": name[:300],
        "category": (row.get("category") or "").strip()[:120],
        "attributes": attributes,
    }


def import_items(conn: Connection, clock: HybridClock, items: list[dict[str, Any]]) -> dict[str, int]:
    """Upsert ``items`` and push one catalog checkpoint. A GTIN held by another sku is a conflict."""
    now = utc_now_text()
    created = updated = 0
    for item in items:
        holder = conn.execute(select(s.catalog.c.sku).where(s.catalog.c.gtin == item["gtin"])).scalar()
        if holder is not None and holder != item["sku"]:
            raise Conflict(f"GTIN {item['gtin']} already belongs to sku {holder}")
        values = {
            "gtin": item["gtin"],
            "name": item["name"],
            "category": item["category"],
            "attributes": dumps(item["attributes"]),
            "active": True,
            "updated_at": now,
        }
        exists = conn.execute(select(s.catalog.c.sku).where(s.catalog.c.sku == item["sku"])).first()
        if exists:
            conn.execute(update(s.catalog).where(s.catalog.c.sku == item["sku"]).values(**values))
            updated += 1
        else:
            conn.execute(s.catalog.insert().values(sku=item["sku"], **values))
            created += 1
    version = checkpoints.bump(conn, "catalog")
    checkpoints.push_catalog(conn, clock)
    return {"created": created, "updated": updated, "version": version}


def edit(conn: Connection, clock: HybridClock, sku: str, changes: dict[str, Any]) -> dict[str, Any]:
    current = get(conn, sku)
    item = {**current, **{k: v for k, v in changes.items() if v is not None}}
    if "gtin" in changes and changes["gtin"] is not None:
        item["gtin"] = gtin14(changes["gtin"])
    import_items(conn, clock, [item])
    if changes.get("active") is False:
        conn.execute(update(s.catalog).where(s.catalog.c.sku == sku).values(active=False))
        checkpoints.bump(conn, "catalog")
        checkpoints.push_catalog(conn, clock)
    return get(conn, sku)


def get(conn: Connection, sku: str) -> dict[str, Any]:
    row = conn.execute(select(s.catalog).where(s.catalog.c.sku == sku)).mappings().first()
    if row is None:
        raise NotFound(f"unknown sku {sku!r}")
    return {
        "sku": row["sku"],
        "gtin": row["gtin"],
        "name": row["name"],
        "category": row["category"],
        "attributes": json.loads(row["attributes"]),
        "active": bool(row["active"]),
    }


def by_gtin(conn: Connection, code: str, symbology: str | None = None) -> dict[str, Any]:
    """The active product of any GTIN form (UPC-A/E, EAN-8/13, GTIN-14, Digital Link, AI 01)."""
    try:
        gtin = canonical_gtin(code, symbology=symbology)
    except InvalidGtin as err:
        raise InvalidInput(
            f"{err}; send the digits under the barcode, a Digital Link or (01) element string"
        ) from err
    sku = conn.execute(
        select(s.catalog.c.sku).where(s.catalog.c.gtin == gtin, s.catalog.c.active.is_(True))
    ).scalar()
    if sku is None:
        raise NotFound(f"no product with GTIN {gtin}")
    return get(conn, str(sku))


def search(conn: Connection, query: str | None, limit: int, offset: int) -> list[dict[str, Any]]:
    stmt = select(s.catalog.c.sku).where(s.catalog.c.active.is_(True))
    if query:
        # '%' and '_' typed by a user are literal characters, not wildcards
        like = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        gtin = try_canonical_gtin(query) or query
        stmt = stmt.where(
            s.catalog.c.name.ilike(like, escape="\\")
            | s.catalog.c.sku.ilike(like, escape="\\")
            | (s.catalog.c.gtin == gtin)
        )
    skus = conn.execute(stmt.order_by(s.catalog.c.sku).limit(limit).offset(offset)).scalars().all()
    return [get(conn, str(sku)) for sku in skus]
