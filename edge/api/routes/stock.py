"""Stock levels (kiosk), receipts and counts (staff), adjustments (manager)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from edge.api.auth import KIOSK, MANAGER, STAFF
from edge.api.deps import Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.schemas import SKU_PATTERN, AdjustmentIn, CountIn, ReceiptIn
from edge.services.models import CountResult, StockLevels, StockMovement
from edge.services.stock import CountItem

router = APIRouter(prefix="/api/v1/stock", tags=["stock"], responses=ERROR_RESPONSES)


@router.get("/{sku}", response_model=StockLevels, dependencies=[KIOSK])
def levels(node: Node, sku: Annotated[str, Path(pattern=SKU_PATTERN)]) -> StockLevels:
    return node.stock.levels(sku)


@router.post("/receipts", response_model=StockMovement, status_code=201, dependencies=[STAFF])
def receive(node: Node, body: ReceiptIn) -> StockMovement:
    return node.stock.receive(body.sku, body.qty, body.zone, body.ref)


@router.post("/counts", response_model=CountResult, status_code=201, dependencies=[STAFF])
def count(node: Node, body: CountIn) -> CountResult:
    items = [CountItem(i.sku, i.qty) for i in body.items]
    return node.stock.count(items, body.zone, body.session or "")


@router.post("/adjustments", response_model=StockMovement, status_code=201, dependencies=[MANAGER])
def adjust(node: Node, body: AdjustmentIn) -> StockMovement:
    return node.stock.adjust(
        body.sku,
        body.qty,
        body.reason,
        body.zone,
        body.ref,
        counterpart=body.counterpart,
        confirmed=body.confirm,
    )
