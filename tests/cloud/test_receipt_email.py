"""A store's ``receipt.email`` op (the customer asked for the receipt by e-mail at the till): the
hub queues the receipt once, however often the op is delivered, and sends it with its e-mail
sender; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Engine, select

from cloud import projections
from cloud.marketing.delivery import deliver
from cloud.marketing.senders import SmtpSender
from cloud.storage import schema as s
from tests.cloud.helpers import StoreStream
from tests.cloud.sinks import smtp_sink

BODY = {
    "receipt_id": "R-a-1796500000000-0",
    "store": "a",
    "customer_id": None,
    "email": "ines@example.com",
    "at": "2026-06-01T10:00:00Z",
    "lines": [{"sku": "MUG-1", "name": "Mug", "qty": 2, "line_cents": 1800}],
    "total_cents": 1800,
    "paid_cents": 1700,
    "points_redeemed": 100,
    "points_earned": 17,
}


def test_the_hub_emails_a_receipt_once(engine: Engine) -> None:
    st = StoreStream("a")
    with engine.begin() as conn:
        projections.apply(conn, [st.op("receipt.email", BODY)])
        projections.apply(conn, [st.op("receipt.email", BODY)])  # asked twice: one e-mail
    with engine.connect() as conn:
        rows = conn.execute(select(s.marketing_outbox.c.trigger, s.marketing_outbox.c.recipient)).all()
    assert [tuple(r) for r in rows] == [("receipt", "ines@example.com")]
    with smtp_sink() as sink:
        assert deliver(engine, SmtpSender("127.0.0.1", sink.port, "shop@example.com")) == {
            "sent": 1,
            "failed": 0,
            "cancelled": 0,
        }
    data = sink.messages[0]["data"]
    assert f"Subject: Your receipt {BODY['receipt_id']}" in data
    assert "2 x Mug  18.00 EUR" in data and "Paid 17.00 EUR" in data and "Points redeemed 100" in data
