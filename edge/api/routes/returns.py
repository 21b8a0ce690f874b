"""Returns from any channel (staff)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from edge.api.auth import STAFF
from edge.api.deps import Metrics, Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.schemas import ReturnIn
from edge.errors import Invalid
from edge.services.models import ReturnRecord
from edge.services.returns import ReturnLine

router = APIRouter(prefix="/api/v1", tags=["returns"], dependencies=[STAFF], responses=ERROR_RESPONSES)


@router.get("/returns/lookup")
def returnable(
    node: Node,
    ref: Annotated[str | None, Query(min_length=1, max_length=96)] = None,
    customer: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
) -> dict[str, Any]:
    """A receipt or online order by its number (``ref``), whichever store or channel sold it (the
    cloud is asked for sales this store never saw), or what a customer bought here (``customer``):
    what the handheld shows before a return."""
    if (ref is None) == (customer is None):
        raise Invalid("give exactly one of ref or customer")
    if customer is not None:
        return node.returns.returnable_for_customer(customer)
    return node.returns.returnable(str(ref))


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
