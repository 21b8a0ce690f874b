"""Marketing triggers: segments, consent, once per trigger and period; SMTP and webhook delivery."""

from __future__ import annotations

from sqlalchemy import Engine, select

from cloud import customers, projections
from cloud.marketing import triggers
from cloud.marketing.delivery import deliver
from cloud.marketing.senders import SmtpSender, WebhookSender
from cloud.storage import schema as s
from tests.cloud.helpers import StoreStream
from tests.cloud.sinks import smtp_sink, webhook_server

NOW = "2026-06-01T09:00:00Z"


def _people(engine: Engine) -> None:
    st = StoreStream("a")
    hlc = "0000000000100.0000.cloud"
    with engine.begin() as conn:
        customers.upsert_fields(conn, "yes", {"email": "yes@example.com", "consent_marketing": True}, hlc)
        customers.upsert_fields(conn, "no", {"email": "no@example.com", "consent_marketing": False}, hlc)
        customers.upsert_fields(conn, "nomail", {"phone": "+3312345678", "consent_marketing": True}, hlc)
        for cid in ("yes", "no", "nomail"):
            projections.apply(
                conn,
                [
                    st.op(
                        "sale.recorded",
                        {
                            "receipt_id": f"r-{cid}",
                            "store": "a",
                            "channel": "store",
                            "customer_id": cid,
                            "at": "2026-05-29T10:00:00Z",
                            "lines": [{"sku": "X", "qty": 1, "unit_cents": 100}],
                            "total_cents": 100,
                        },
                    ),
                    st.op(
                        "loyalty.entry",
                        {
                            "entry_id": f"e-{cid}",
                            "customer_id": cid,
                            "kind": "earn",
                            "points": 10,
                            "at": "2025-01-01T00:00:00Z",
                        },
                    ),
                ],
            )


def test_segments_respect_consent_and_never_repeat(engine: Engine) -> None:
    _people(engine)
    with engine.begin() as conn:
        first = triggers.run(
            conn, not_seen_days=2, unused_days=30, expiring_within_days=60, follow_up_days=3, now=NOW
        )
        again = triggers.run(
            conn, not_seen_days=2, unused_days=30, expiring_within_days=60, follow_up_days=3, now=NOW
        )
    assert first == {"not_seen": 1, "points_unused": 1, "points_expiring": 1, "post_purchase": 1}
    assert again == {"not_seen": 0, "points_unused": 0, "points_expiring": 0, "post_purchase": 0}
    with engine.connect() as conn:
        recipients = set(conn.execute(select(s.marketing_outbox.c.recipient)).scalars())
    assert recipients == {"yes@example.com"}


def test_smtp_delivery_once(engine: Engine) -> None:
    _people(engine)
    with engine.begin() as conn:
        assert triggers.post_purchase(conn, 3, NOW) == 1
    with smtp_sink() as sink:
        sender = SmtpSender("127.0.0.1", sink.port, "shop@example.com")
        assert deliver(engine, sender) == {"sent": 1, "failed": 0, "cancelled": 0}
        assert deliver(engine, sender) == {"sent": 0, "failed": 0, "cancelled": 0}
    assert len(sink.messages) == 1
    msg = sink.messages[0]
    assert msg["to"] == ["yes@example.com"]
    assert "Subject: How was your purchase?" in msg["data"]
    assert "X-Vitrine-Trigger: post_purchase_3/2026-05-29" in msg["data"]
    with engine.connect() as conn:
        assert conn.execute(select(s.marketing_sent.c.sender)).scalars().all() == ["smtp"]


def test_webhook_delivery_retries_then_succeeds(engine: Engine) -> None:
    _people(engine)
    with engine.begin() as conn:
        assert triggers.post_purchase(conn, 3, NOW) == 1
    with webhook_server(fail_first=1) as hook:
        sender = WebhookSender(hook.url, token="hook-token")
        assert deliver(engine, sender) == {"sent": 0, "failed": 1, "cancelled": 0}
        assert deliver(engine, sender) == {"sent": 1, "failed": 0, "cancelled": 0}
    assert len(hook.received) == 1
    assert hook.received[0]["auth"] == "Bearer hook-token"
    assert hook.received[0]["trigger"] == "post_purchase_3"


def test_unreachable_smtp_fails_cleanly(engine: Engine) -> None:
    _people(engine)
    with engine.begin() as conn:
        assert triggers.post_purchase(conn, 3, NOW) == 1
    with smtp_sink() as sink:
        port = sink.port
    result = deliver(engine, SmtpSender("127.0.0.1", port, "x@example.com", timeout_s=2), max_attempts=1)
    assert result == {"sent": 0, "failed": 1, "cancelled": 0}
    with engine.connect() as conn:
        assert conn.execute(select(s.marketing_outbox.c.state)).scalars().all() == ["failed"]
