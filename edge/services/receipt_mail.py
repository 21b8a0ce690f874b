"""A receipt e-mailed at the customer's request: the store cannot send mail itself, so it writes a
``receipt.email`` op in its outbox and the hub sends the receipt with its own sender. Online it goes
at once; offline it waits in the outbox and goes when the link is back (nothing is lost)."""

from __future__ import annotations

from edge.errors import Invalid
from edge.replica import queries as q
from edge.services.context import StoreContext
from edge.services.customers import EMAIL
from edge.services.models import Receipt


def email_receipt(ctx: StoreContext, receipt: Receipt, email: str | None) -> str:
    """Queue ``receipt`` for e-mailing to ``email`` (default: its customer's address); returns the
    address. Raises Invalid when there is no usable address."""
    address = (email or "").strip().lower()
    if not address and receipt.customer_id:
        row = q.customer(ctx.replica.reader(), receipt.customer_id)
        address = str(row["email"] or "") if row is not None else ""
    if not address:
        raise Invalid("No e-mail address: type the customer's e-mail address.")
    if not EMAIL.match(address):
        raise Invalid(f"Not an e-mail address: {address!r}. Check it with the customer.")
    with ctx.replica.write() as tx:
        tx.emit(
            "receipt.email",
            {
                "receipt_id": receipt.receipt_id,
                "store": receipt.store,
                "customer_id": receipt.customer_id,
                "email": address,
                "at": ctx.now_iso(),
                "lines": [
                    {"sku": x.sku, "name": x.name or x.sku, "qty": x.qty, "line_cents": x.line_cents}
                    for x in receipt.lines
                ],
                "total_cents": receipt.total_cents,
                "paid_cents": receipt.paid_cents,
                "points_redeemed": receipt.points_redeemed,
                "points_earned": receipt.points_earned,
            },
        )
    return address
