"""Sales and receipts (staff)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Request

from edge.api.auth import STAFF
from edge.api.deps import Metrics, Node
from edge.api.errors import ERROR_RESPONSES
from edge.api.schemas import ID_PATTERN, ReceiptEmailIn, ReceiptEmailOut, SaleIn
from edge.services.models import Receipt
from edge.services.receipt_mail import email_receipt
from edge.services.selling import Basket, BasketLine

router = APIRouter(prefix="/api/v1", tags=["sales"], dependencies=[STAFF], responses=ERROR_RESPONSES)


@router.post("/sales", response_model=Receipt, status_code=201)
def sell(node: Node, metrics: Metrics, body: SaleIn) -> Receipt:
    """Record a sale. Overselling is accepted and flagged (``oversold``)."""
    basket = Basket(
        lines=[BasketLine(line.sku, line.qty, line.reservation_id) for line in body.lines],
        channel=body.channel,
        customer_id=body.customer_id,
        payment_ref=body.payment_ref,
        redeem_points=body.redeem_points,
        zone=body.zone,
    )
    started = time.perf_counter()
    receipt = node.selling.sell(basket)
    metrics.sale_seconds.observe(time.perf_counter() - started)
    metrics.sales.labels(receipt.channel).inc()
    if receipt.oversold:
        metrics.oversold.inc()
    return receipt


@router.get("/receipts/{receipt_id}", response_model=Receipt)
def receipt(node: Node, receipt_id: Annotated[str, Path(pattern=ID_PATTERN)]) -> Receipt:
    return node.selling.receipt(receipt_id)


@router.post("/receipts/{receipt_id}/email", response_model=ReceiptEmailOut, status_code=202)
def email(
    node: Node, request: Request, receipt_id: Annotated[str, Path(pattern=ID_PATTERN)], body: ReceiptEmailIn
) -> ReceiptEmailOut:
    """E-mail the receipt, if the customer wants it: the hub sends it with its own sender (the edge
    sends no mail). Offline the request waits in the outbox and goes when the link is back."""
    address = email_receipt(node.selling.ctx, node.selling.receipt(receipt_id), body.email)
    link = getattr(request.app.state, "sync_link", None)
    online = bool(link is not None and link.status().online)
    message = (
        f"Sent to head office: head office e-mails it to {address} within a few minutes."
        if online
        else f"No link to head office right now: the e-mail to {address} is queued and goes when the link "
        "to head office is back. Nothing else to do."
    )
    return ReceiptEmailOut(receipt_id=receipt_id, email=address, online=online, message=message)
