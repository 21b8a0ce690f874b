"""Product lookup by sku, GTIN or text: price, promotion, stock here."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from edge.api.auth import KIOSK
from edge.api.deps import Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.schemas import SKU_PATTERN
from edge.services.models import ProductView

router = APIRouter(
    prefix="/api/v1/products", tags=["products"], dependencies=[KIOSK], responses=ERROR_RESPONSES
)


@router.get("", response_model=list[ProductView])
def search(
    node: Node,
    q: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[^\x00]*$")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[ProductView]:
    return node.catalog.search(q, limit)


@router.get("/gtin/{code:path}", response_model=ProductView)
def by_gtin(
    node: Node,
    code: Annotated[str, Path(min_length=1, max_length=512, pattern=r"^[^\x00-\x1c\x1e-\x1f]*$")],
    symbology: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,16}$")] = None,
) -> ProductView:
    """Any GTIN form: UPC-A, UPC-E (``symbology=upc-e``; an 8-digit code is EAN-8 otherwise), EAN-8,
    EAN-13, GTIN-14, a GS1 Digital Link URI or an AI (01) element string with or without
    parentheses. 422 when it is no GTIN or its check digit is wrong, 404 when no product has it."""
    return node.catalog.by_gtin(code, symbology)


@router.get("/{sku}", response_model=ProductView)
def by_sku(node: Node, sku: Annotated[str, Path(pattern=SKU_PATTERN)]) -> ProductView:
    return node.catalog.product(sku)
