"""A pickup customer known only by phone is told "order ready" by SMS through the hub's SMS sender:
the HTTP gateway (here the in-repo simulator on 127.0.0.1) or, for the demo, a log file; a customer
with an e-mail address still gets the e-mail. One message each, through the same outbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from cloud import customers, projections
from cloud.admin import pricing
from cloud.marketing.sms_gateway import running_gateway
from cloud.rpc import hub_handlers
from cloud.senders_factory import deliver_pending
from cloud.settings import CloudSettings
from sync.hlc import HybridClock
from tests.cloud.helpers import StoreStream
from tests.cloud.sinks import smtp_sink
from tests.cloud.test_rpc import _setup

GATEWAY_TOKEN = "gateway-secret-0123"


def _picked_orders(engine: Engine) -> dict[str, str]:
    """One picked pickup order per customer: ``sms`` has only a phone, ``mail`` an e-mail too."""
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
        hlc = "0000000000200.0000.cloud"
        customers.upsert_fields(conn, "sms", {"phone": "+33612345678", "consent_marketing": False}, hlc)
        customers.upsert_fields(conn, "mail", {"phone": "+33699999999", "email": "ines@example.com"}, hlc)
    placed = {}
    for cid in ("sms", "mail"):
        order = hub_handlers(engine, HybridClock("cloud"))["orders.place"](
            "b",
            {
                "kind": "click_collect",
                "store": "a",
                "customer_id": cid,
                "lines": [{"sku": "MUG-1", "qty": 1}],
            },
        )
        placed[cid] = order["order_id"]
        with engine.begin() as conn:
            projections.apply(conn, [st.op("order.transition", {"order_id": order["order_id"], "state": "picked",
                                                                "store": "a", "at": "2026-06-01T10:00:00Z",
                                                                "by": "staff"})])  # fmt: skip
    return placed


def test_order_ready_by_sms_through_the_gateway_and_by_email_when_known(engine: Engine, db_url: str) -> None:
    placed = _picked_orders(engine)
    with running_gateway(token=GATEWAY_TOKEN) as gateway, smtp_sink() as sink:
        settings = CloudSettings(
            database_url=db_url,
            marketing_sender="smtp",
            smtp_port=sink.port,
            sms_sender="http",
            sms_gateway_url=gateway.url,
            sms_gateway_token=GATEWAY_TOKEN,  # type: ignore[arg-type]
            sms_from="Vitrine",
        )
        assert deliver_pending(engine, settings) == {"sent": 2, "failed": 0, "cancelled": 0}
        assert deliver_pending(engine, settings) == {"sent": 0, "failed": 0, "cancelled": 0}
    assert [(m["to"], m["from"]) for m in gateway.messages] == [("+33612345678", "Vitrine")]
    assert placed["sms"] in gateway.messages[0]["text"] and "store a" in gateway.messages[0]["text"]
    assert [m["to"] for m in sink.messages] == [["ines@example.com"]]


def test_the_demo_log_senders_write_one_line_per_message(engine: Engine, db_url: str, tmp_path: Path) -> None:
    placed = _picked_orders(engine)
    sms_log, mail_log = tmp_path / "sms.jsonl", tmp_path / "mail.jsonl"
    settings = CloudSettings(database_url=db_url, sms_sender="log", sms_log_path=sms_log)
    # no e-mail sender configured: the e-mail stays queued, the SMS goes
    assert deliver_pending(engine, settings) == {"sent": 1, "failed": 0, "cancelled": 0}
    sms = [json.loads(line) for line in sms_log.read_text(encoding="utf-8").splitlines()]
    assert [(x["to"], placed["sms"] in x["text"]) for x in sms] == [("+33612345678", True)]
    settings = CloudSettings(
        database_url=db_url,
        sms_sender="log",
        sms_log_path=sms_log,
        marketing_sender="log",
        mail_log_path=mail_log,
    )
    assert deliver_pending(engine, settings) == {"sent": 1, "failed": 0, "cancelled": 0}
    mail = [json.loads(line) for line in mail_log.read_text(encoding="utf-8").splitlines()]
    assert [(x["to"], x["subject"]) for x in mail] == [
        ("ines@example.com", f"Your order {placed['mail']} is ready")
    ]


def test_a_gateway_that_refuses_leaves_the_sms_to_retry(engine: Engine, db_url: str) -> None:
    _picked_orders(engine)
    with running_gateway(token=GATEWAY_TOKEN) as gateway:
        settings = CloudSettings(
            database_url=db_url,
            sms_sender="http",
            sms_gateway_url=gateway.url,
            sms_gateway_token="wrong-token",
        )  # type: ignore[arg-type]
        assert deliver_pending(engine, settings) == {"sent": 0, "failed": 1, "cancelled": 0}
    assert gateway.messages == []


def test_run_triggers_as_a_process_sends_the_sms_through_the_gateway(engine: Engine, db_url: str) -> None:
    """The timer's command line with the documented variables, as a real process."""
    placed = _picked_orders(engine)
    with running_gateway(token=GATEWAY_TOKEN) as gateway:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VITRINE_")}
        env.update(
            VITRINE_CLOUD_DATABASE_URL=db_url,
            VITRINE_CLOUD_SMS_SENDER="http",
            VITRINE_CLOUD_SMS_GATEWAY_URL=gateway.url,
            VITRINE_CLOUD_SMS_GATEWAY_TOKEN=GATEWAY_TOKEN,
        )
        done = subprocess.run(
            [sys.executable, "-m", "cloud.cli", "run-triggers"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert 'delivered: {"sent": 1, "failed": 0, "cancelled": 0}' in done.stdout
    assert [(m["to"], placed["sms"] in m["text"]) for m in gateway.messages] == [("+33612345678", True)]
