"""Marketing that respects people: consent checked again at delivery, a withdrawal cancels what is
queued, "points unused" by the age of the points, 90 days by default; figures and the delivery log
through the admin API. Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import Engine, select, update

from cloud import customers, projections
from cloud.marketing import triggers
from cloud.marketing.delivery import deliver
from cloud.marketing.senders import SmtpSender
from cloud.storage import schema as s
from tests.cloud.helpers import ADMIN, SHOP, StoreStream
from tests.cloud.sinks import smtp_sink

NOW = "2026-06-01T09:00:00Z"
HLC = "0000000000100.0000.cloud"


def _customer(engine: Engine, cid: str, *, earned_at: str, points: int = 10, seen: str | None = None) -> None:
    st = StoreStream("a")
    with engine.begin() as conn:
        customers.upsert_fields(conn, cid, {"email": f"{cid}@example.com", "consent_marketing": True}, HLC)
        projections.apply(
            conn,
            [
                st.op(
                    "loyalty.entry",
                    {
                        "entry_id": f"e-{cid}",
                        "customer_id": cid,
                        "kind": "earn",
                        "points": points,
                        "at": earned_at,
                    },
                ),
                st.op(
                    "sale.recorded",
                    {
                        "receipt_id": f"r-{cid}",
                        "store": "a",
                        "channel": "store",
                        "customer_id": cid,
                        "at": seen or earned_at,
                        "lines": [{"sku": "X", "qty": 1, "unit_cents": 100}],
                        "total_cents": 100,
                    },
                ),
            ],
        )


def _states(engine: Engine) -> dict[str, str]:
    ob = s.marketing_outbox
    with engine.connect() as conn:
        return {str(r[0]): str(r[1]) for r in conn.execute(select(ob.c.customer_id, ob.c.state))}


def test_points_unused_looks_at_the_age_of_the_points(engine: Engine) -> None:
    _customer(engine, "old", earned_at="2026-01-10T10:00:00Z")  # 142 days old, never spent
    _customer(engine, "fresh", earned_at="2026-06-01T08:00:00Z")  # earned an hour ago
    with engine.begin() as conn:
        assert triggers.points_unused(conn, 90, NOW) == 1
    assert set(_states(engine)) == {"old"}


def test_points_spent_since_are_not_unused(engine: Engine) -> None:
    _customer(engine, "spent", earned_at="2026-01-10T10:00:00Z")
    st = StoreStream("b")
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                st.op(
                    "loyalty.entry",
                    {
                        "entry_id": "e-spent-r",
                        "customer_id": "spent",
                        "kind": "redeem",
                        "points": -10,
                        "at": "2026-02-01T10:00:00Z",
                    },
                )
            ],
        )
        assert triggers.points_unused(conn, 90, NOW) == 0


def test_not_seen_defaults_to_90_days(engine: Engine) -> None:
    _customer(engine, "seen70", earned_at="2026-05-31T10:00:00Z", seen="2026-03-23T10:00:00Z")
    _customer(engine, "seen100", earned_at="2026-05-31T10:00:00Z", seen="2026-02-21T10:00:00Z")
    with engine.begin() as conn:
        added = triggers.run(conn, now=NOW)
    assert added["not_seen"] == 1
    ob = s.marketing_outbox
    with engine.connect() as conn:
        rows = conn.execute(
            select(ob.c.customer_id, ob.c.trigger).where(ob.c.trigger.like("not_seen%"))
        ).all()
    assert [(str(c), str(t)) for c, t in rows] == [("seen100", "not_seen_90")]


def test_consent_is_checked_again_at_delivery(engine: Engine) -> None:
    _customer(engine, "ann", earned_at="2026-05-29T10:00:00Z")
    with engine.begin() as conn:
        assert triggers.post_purchase(conn, 3, NOW) == 1
        # consent gone by a path that is not the profile fold (e.g. a database correction)
        conn.execute(
            update(s.customers).where(s.customers.c.customer_id == "ann").values(consent_marketing=False)
        )
    with smtp_sink() as sink:
        result = deliver(engine, SmtpSender("127.0.0.1", sink.port, "shop@example.com"))
    assert sink.messages == []
    assert result == {"sent": 0, "failed": 0, "cancelled": 1}
    assert _states(engine) == {"ann": "cancelled"}


def test_withdrawal_between_queue_and_delivery_cancels_the_message(
    client: httpx.Client, engine: Engine
) -> None:
    _customer(engine, "bob", earned_at="2026-05-29T10:00:00Z")
    _customer(engine, "cid", earned_at="2026-05-29T10:00:00Z")
    with engine.begin() as conn:
        assert triggers.post_purchase(conn, 3, NOW) == 2
    r = client.patch(
        "/shop/v1/customers/bob", json={"consent_marketing": False, "consent_wording": "v2"}, headers=SHOP
    )
    assert r.status_code == 200, r.text
    assert _states(engine) == {"bob": "cancelled", "cid": "pending"}
    with smtp_sink() as sink:
        assert deliver(engine, SmtpSender("127.0.0.1", sink.port, "shop@example.com"))["sent"] == 1
    assert [m["to"] for m in sink.messages] == [["cid@example.com"]]

    figures = client.get("/admin/v1/marketing/figures", headers=ADMIN)
    assert figures.status_code == 200, figures.text
    assert figures.json()["triggers"] == [
        {"trigger": "post_purchase_3", "queued": 2, "pending": 0, "sent": 1, "failed": 0, "cancelled": 1}
    ]
    log = client.get("/admin/v1/marketing/deliveries", params={"trigger": "post_purchase_3"}, headers=ADMIN)
    assert log.status_code == 200, log.text
    rows = {row["customer_id"]: row for row in log.json()["deliveries"]}
    assert rows["bob"]["state"] == "cancelled" and "consent withdrawn" in rows["bob"]["reason"]
    assert rows["cid"]["state"] == "sent" and rows["cid"]["sender"] == "smtp" and rows["cid"]["sent_at"]


def test_audience_preview_applies_the_consent_filter(client: httpx.Client, engine: Engine) -> None:
    bought = (datetime.now(UTC) - timedelta(days=3)).strftime("%Y-%m-%dT10:00:00Z")
    _customer(engine, "dee", earned_at=bought)
    _customer(engine, "eve", earned_at=bought)
    with engine.begin() as conn:
        conn.execute(
            update(s.customers).where(s.customers.c.customer_id == "eve").values(consent_marketing=False)
        )
    preview = {"trigger": "post_purchase", "days": 3}
    r = client.get("/admin/v1/marketing/preview", params=preview, headers=ADMIN)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 1 and body["without_consent"] == 1 and body["already_messaged"] == 0
    assert [row["customer_id"] for row in body["sample"]] == ["dee"]
    ran = client.post("/admin/v1/marketing/run", json={}, headers=ADMIN)
    assert ran.status_code == 200, ran.text
    assert ran.json()["added"]["post_purchase"] == 1
    again = client.get("/admin/v1/marketing/preview", params=preview, headers=ADMIN).json()
    assert again["count"] == 0 and again["already_messaged"] == 1
