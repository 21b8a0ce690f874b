"""Returns from any channel (staff)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from edge.api.auth import STAFF
from edge.api.deps import Metrics, Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.schemas import ReturnIn
from edge.services.models import ReturnRecord
from edge.services.returns import ReturnLine

router = APIRouter(prefix="/api/v1", tags=["returns"], dependencies=[STAFF], responses=ERROR_RESPONSES)


@router.get("/returns/lookup")
def returnable(node: Node, ref: Annotated[str, Query(min_length=1, max_length=96)]) -> dict[str, Any]:
    """A receipt or online order by its number, whichever store or channel sold it (the cloud is
    asked for sales this store never saw): what the handheld shows before a return."""
    return node.returns.returnable(ref)


@router.post("/returns", response_model=list[ReturnRecord], status_code=201)
def return_items(node: Node, metrics: Metrics, body: ReturnIn) -> list[ReturnRecord]:
    """One record per receipt involved; refuses double returns and over-quantity (409)."""
    records = node.returns.return_items(
        [ReturnLine(line.sku, line.qty) for line in body.lines],
        receipt_id=body.receipt_id,
        order_id=body.order_id,
        customer_id=body.customer_id,
        channel=body.channel,
        zone=body.zone,
    )
    metrics.returns.inc(len(records))
    return records
