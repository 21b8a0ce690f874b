"""Product lookup: catalog entry, effective price and best store promotion, stock here."""

from __future__ import annotations

import json
import sqlite3

from edge.errors import Invalid, NotFound
from edge.replica import queries as q
from edge.services.context import StoreContext
from edge.services.models import ProductView, PromotionView
from edge.services.pricing import Promotion, best_promotion
from sync.gtin import InvalidGtin, canonical_gtin, try_canonical_gtin

MAX_SEARCH = 100


class CatalogService:
    def __init__(self, ctx: StoreContext) -> None:
        self.ctx = ctx

    def product(self, sku: str) -> ProductView:
        conn = self.ctx.replica.reader()
        row = q.product(conn, sku)
        if row is None:
            raise NotFound(f"unknown sku {sku!r}")
        return self._view(conn, row)

    def by_gtin(self, code: str, symbology: str | None = None) -> ProductView:
        """The product of any GTIN form (UPC-A/E, EAN-8/13, GTIN-14, Digital Link, AI 01 element
        string), looked up by its canonical GTIN-14. ``symbology`` ("upc-e") is the scanner's hint for
        an 8-digit code. Raises Invalid for a malformed code, NotFound if not in the catalog."""
        try:
            gtin = canonical_gtin(code, symbology=symbology)
        except InvalidGtin as err:
            raise Invalid(f"{err}; scan the barcode again or type the digits printed under it") from err
        conn = self.ctx.replica.reader()
        row = q.product_by_gtin(conn, gtin)
        if row is None:
            raise NotFound(f"no product with GTIN {gtin} in this store's catalog")
        return self._view(conn, row)

    def search(self, text: str, limit: int = 20) -> list[ProductView]:
        conn = self.ctx.replica.reader()
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        gtin = try_canonical_gtin(text)  # a GTIN in any form finds its product too
        rows = conn.execute(
            "SELECT * FROM catalog WHERE name LIKE ? ESCAPE '\\' OR sku LIKE ? ESCAPE '\\' OR gtin = ? "
            "ORDER BY sku LIMIT ?",
            (pattern, pattern, gtin, min(limit, MAX_SEARCH)),
        ).fetchall()
        return [self._view(conn, row) for row in rows]

    def _view(self, conn: sqlite3.Connection, row: sqlite3.Row) -> ProductView:
        now = self.ctx.now_iso()
        sku = str(row["sku"])
        price = q.effective_price(conn, sku, now)
        promo_view: PromotionView | None = None
        effective = price
        if price is not None:
            promos = q.active_promotions(conn, sku, self.ctx.store_id, now)
            discount, promo = best_promotion(
                price, (Promotion(p["promo_id"], p["kind"], int(p["value"])) for p in promos)
            )
            if promo is not None:
                ends = next(str(p["ends"]) for p in promos if p["promo_id"] == promo.promo_id)
                promo_view = PromotionView(
                    promo_id=promo.promo_id, kind=promo.kind, value=promo.value, ends=ends
                )
                effective = price - discount
        on_hand = q.on_hand(conn, sku)
        return ProductView(
            sku=sku,
            gtin=row["gtin"],
            name=row["name"],
            category=row["category"],
            attributes=json.loads(row["attributes"] or "{}"),
            price_cents=price,
            promotion=promo_view,
            effective_cents=effective,
            on_hand=on_hand,
            available=max(0, on_hand - q.reserved(conn, sku, now)),
        )
