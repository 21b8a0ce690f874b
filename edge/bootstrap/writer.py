"""Writing the hub's snapshot pages into the replica (inside the caller's transaction).

Every write is idempotent and yields to anything newer that the downlink brought meanwhile:
catalog rows only while no newer catalog checkpoint is in, customer fields last-writer-wins by
their HLC stamps, loyalty balance snapshots only for customers with no local ledger entry, stock
counts and past sales by their ids. No op is emitted: the hub already holds all of it. Past sales
are *baseline* (``baseline = 1``) history, as the developer seed writes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from edge.replica.customer_merge import IDENTITY_KINDS, PROFILE_FIELDS, apply_customer_fields
from edge.replica.database import Tx
from edge.replica.promotion_kinds import stored_promotion_kind

Rows = list[dict[str, Any]]
CLOUD = "cloud"
# Opening counts are ``bootstrap:<n>``, n = the row's position in the stock section (the same after
# a resume: the cursor and the rows commit together), so ids keep the ``origin:seq`` form of op ids.
BOOT_ORIGIN = "bootstrap"


def apply_header(tx: Tx, header: dict[str, Any]) -> None:
    """Loyalty rules and this store's promotions (small; part of the header)."""
    for b in header.get("rules") or []:
        tx.execute(
            "INSERT OR REPLACE INTO loyalty_rules VALUES (?, ?, ?, ?, ?, ?)",
            (
                int(b["version"]),
                str(b["effective_from"]),
                int(b["earn_per_unit_cents"]),
                json.dumps({str(k): float(v) for k, v in dict(b.get("multipliers") or {}).items()}),
                int(b.get("expiry_days") or 0),
                int(b.get("redeem_cents_per_point") or 1),
            ),
        )
    version = int(header.get("price_version") or 0)
    tx.conn.executemany(
        "INSERT OR REPLACE INTO promotions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (str(p["promo_id"]), str(p["sku"]), p.get("store"), kind, int(p["value"]),
             str(p["starts"]), str(p["ends"]), version)
            for p in header.get("promotions") or []
            if (kind := stored_promotion_kind(str(p["kind"]))) is not None
        ],
    )  # fmt: skip


def _checkpoint_version(tx: Tx, kind: str) -> int:
    row = tx.one("SELECT version FROM checkpoints WHERE kind = ?", (kind,))
    return int(row[0]) if row else -1


def finish_section(tx: Tx, section: str, header: dict[str, Any]) -> None:
    """A section is in: record the checkpoint version it carried (unless a newer one is in)."""
    kind = {"catalog": "catalog", "prices": "price"}.get(section)
    if kind is None:
        return
    version = int(header.get(f"{kind}_version") or 0)
    tx.execute(
        "INSERT INTO checkpoints VALUES (?, ?, ?) ON CONFLICT (kind) DO UPDATE SET version = excluded.version, "
        "hlc = excluded.hlc WHERE excluded.version > checkpoints.version",
        (kind, version, str(header["hlc"])),
    )


def _catalog(tx: Tx, rows: Rows, header: dict[str, Any], _store: str, _first: int) -> None:
    version = int(header.get("catalog_version") or 0)
    if _checkpoint_version(tx, "catalog") > version:
        return  # the downlink brought a newer full catalog already
    with_gtin = [(str(r["gtin"]), str(r["sku"])) for r in rows if r.get("gtin")]
    tx.conn.executemany("UPDATE catalog SET gtin = NULL WHERE gtin = ? AND sku != ?", with_gtin)
    tx.conn.executemany(
        "INSERT INTO catalog (sku, gtin, name, category, attributes, version) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (sku) DO UPDATE SET gtin = excluded.gtin, name = excluded.name, "
        "category = excluded.category, attributes = excluded.attributes, version = excluded.version",
        [
            (str(r["sku"]), r.get("gtin") or None, str(r["name"]), str(r.get("category") or ""),
             json.dumps(r.get("attributes") or {}), version)
            for r in rows
        ],
    )  # fmt: skip


def _prices(tx: Tx, rows: Rows, header: dict[str, Any], _store: str, _first: int) -> None:
    lists = {int(pl["id"]): (int(pl["version"]), str(pl["effective_from"])) for pl in header["price_lists"]}
    tx.conn.executemany(
        "INSERT OR REPLACE INTO prices VALUES (?, ?, ?, ?)",
        [(str(r["sku"]), *lists[int(r["l"])], int(r["cents"])) for r in rows],
    )


def _stock(tx: Tx, rows: Rows, header: dict[str, Any], _store: str, first: int) -> None:
    hlc = str(header["hlc"])
    tx.conn.executemany(
        "INSERT OR IGNORE INTO stock_counts VALUES (?, ?, ?, ?, ?, 'bootstrap')",
        [
            (f"{BOOT_ORIGIN}:{first + n}", str(r["sku"]), str(r["zone"]), int(r["qty"]), hlc)
            for n, r in enumerate(rows, start=1)
        ],
    )


def _customers(tx: Tx, rows: Rows, header: dict[str, Any], _store: str, _first: int) -> None:
    as_of = str(header["hlc"])
    known = {
        str(r[0])
        for r in tx.conn.execute(
            f"SELECT customer_id FROM customers WHERE customer_id IN ({','.join('?' * len(rows))})",
            [str(r["id"]) for r in rows],
        )
    } if rows else set()  # fmt: skip
    fresh, balances, identities = [], [], []
    for r in rows:
        cid, fields, stamps = str(r["id"]), dict(r["f"]), dict(r["h"])
        created = str(r.get("created") or "")
        if cid in known:
            for name, value in fields.items():
                apply_customer_fields(tx, cid, {name: value}, hlc=str(stamps[name]), now=created, remote=True)
        else:
            kept = {k: v for k, v in fields.items() if k in PROFILE_FIELDS}
            fresh.append(
                (cid, str(kept.get("name") or ""), kept.get("email"), kept.get("phone"), kept.get("card"),
                 int(bool(kept.get("consent_marketing"))), json.dumps({k: str(stamps[k]) for k in kept}), created)
            )  # fmt: skip
            identities += [(k, str(kept[k]), cid) for k in IDENTITY_KINDS if kept.get(k) is not None]
        identities += [
            (str(kind), str(value), cid) for kind, value in r.get("ids") or [] if kind in IDENTITY_KINDS
        ]
        if r.get("pts") is not None:
            balances.append((cid, int(r["pts"]), as_of))
    tx.conn.executemany(
        "INSERT OR IGNORE INTO customers (customer_id, name, email, phone, card, consent_marketing, field_hlc, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        fresh,
    )
    tx.conn.executemany("INSERT OR IGNORE INTO customer_identities VALUES (?, ?, ?)", identities)
    tx.conn.executemany(
        "INSERT INTO loyalty_balances SELECT ?1, ?2, ?3 WHERE NOT EXISTS "
        "(SELECT 1 FROM loyalty_ledger WHERE customer_id = ?1) ON CONFLICT (customer_id) DO UPDATE SET "
        "balance = excluded.balance, as_of_hlc = excluded.as_of_hlc WHERE excluded.as_of_hlc > as_of_hlc",
        balances,
    )


def _hlc_of(at: str) -> str:
    """An HLC for a past sale from its time (baseline history is older than any live op)."""
    wall = datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
    return f"{int(wall * 1000):013d}.0000.{CLOUD}"


def _sales(tx: Tx, rows: Rows, _header: dict[str, Any], store: str, _first: int) -> None:
    have = {
        str(r[0])
        for r in tx.conn.execute(
            f"SELECT receipt_id FROM sales WHERE receipt_id IN ({','.join('?' * len(rows))})",
            [str(r["id"]) for r in rows],
        )
    } if rows else set()  # fmt: skip
    new = [r for r in rows if str(r["id"]) not in have]
    tx.conn.executemany(
        "INSERT INTO sales VALUES (?, ?, ?, ?, '', ?, ?, ?, ?, ?, 0, ?, 1)",
        [
            (str(r["id"]), store, str(r["ch"]), r.get("cu"), str(r["at"]), _hlc_of(str(r["at"])), int(r["t"]),
             int(r["pe"]), int(r["pr"]), CLOUD)
            for r in new
        ],
    )  # fmt: skip
    tx.conn.executemany(
        "INSERT INTO sale_lines VALUES (?, ?, ?, ?, ?, ?, NULL, 0)",
        [
            (str(r["id"]), n, str(sku), int(qty), int(unit), int(discount))
            for r in new
            for n, (sku, qty, unit, discount) in enumerate(r["l"], start=1)
        ],
    )


WRITERS: dict[str, Callable[[Tx, Rows, dict[str, Any], str, int], None]] = {
    "catalog": _catalog,
    "prices": _prices,
    "stock": _stock,
    "customers": _customers,
    "sales": _sales,
}


def apply_page(tx: Tx, section: str, rows: Rows, header: dict[str, Any], store: str, *, first: int) -> None:
    """Write one page; ``first`` = rows of ``section`` applied before it."""
    WRITERS[section](tx, rows, header, store, first)
