"""A customer who ordered for pickup (at a kiosk, for another store) is told when the store has
picked the order: one e-mail through the hub's sender, whatever their marketing consent."""

from __future__ import annotations

from sqlalchemy import Engine, select

from cloud import customers, projections
from cloud.admin import pricing
from cloud.marketing.delivery import deliver
from cloud.marketing.senders import SmtpSender
from cloud.rpc import hub_handlers
from cloud.storage import schema as s
from sync.hlc import HybridClock
from tests.cloud.helpers import StoreStream
from tests.cloud.sinks import smtp_sink
from tests.cloud.test_rpc import _setup


def test_the_customer_is_emailed_once_when_the_pickup_store_has_picked_the_order(engine: Engine) -> None:
    _setup(engine)
    st = StoreStream("a")
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO catalog (sku, gtin, name, category, attributes, active, updated_at) VALUES "
            "('MUG-1', '04006381333931', 'Mug', 'kitchen', '{}', true, '2026-01-01T00:00:00Z')"
        )
        pricing.create_price_list(
            conn, HybridClock("cloud"), "base", "2020-01-01", [{"sku": "MUG-1", "cents": 900}]
        )
        projections.apply(conn, [st.op("stock.count", {"sku": "MUG-1", "store": "a", "zone": "", "qty": 5})])
        customers.upsert_fields(
            conn, "c1", {"email": "ines@example.com", "consent_marketing": False}, "0000000000200.0000.cloud"
        )
    order = hub_handlers(engine, HybridClock("cloud"))["orders.place"](
        "b",
        {"kind": "click_collect", "store": "a", "customer_id": "c1", "lines": [{"sku": "MUG-1", "qty": 1}]},
    )
    order_id = order["order_id"]
    with engine.begin() as conn:
        projections.apply(
            conn,
            [
                st.op(
                    "order.transition",
                    {
                        "order_id": order_id,
                        "state": "picked",
                        "store": "a",
                        "at": "2026-06-01T10:00:00Z",
                        "by": "staff",
                    },
                )
            ],
        )
        projections.apply(conn, [st.op("order.transition", {"order_id": order_id, "state": "picked", "store": "a",
                                                            "at": "2026-06-01T10:00:01Z", "by": "staff"})])  # fmt: skip
    with smtp_sink() as sink:
        assert deliver(engine, SmtpSender("127.0.0.1", sink.port, "shop@example.com")) == {
            "sent": 1,
            "failed": 0,
            "cancelled": 0,
        }
    assert [m["to"] for m in sink.messages] == [["ines@example.com"]]
    data = sink.messages[0]["data"]
    assert f"Subject: Your order {order_id} is ready" in data and "store a" in data
    with engine.connect() as conn:
        triggers = conn.execute(select(s.marketing_outbox.c.trigger)).scalars().all()
    assert triggers == ["order_ready"]
