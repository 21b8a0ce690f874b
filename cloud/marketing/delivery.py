"""Deliver pending outbox messages with a sender; at most once per message.

A message is claimed (``pending`` → ``sending``) in its own committed transaction before the
send, so two deliverers never send it twice; success records ``sent`` and a ``marketing_sent``
row; a failure puts it back to ``pending`` until ``max_attempts``, then ``failed``. Consent is read
again in the claiming transaction: a marketing message whose customer no longer consents is
``cancelled``, never sent.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, insert, select, update

from cloud.marketing.outbox import CONSENT_WITHDRAWN, may_deliver
from cloud.marketing.senders import Message, Sender, SendError
from cloud.storage import schema as s
from cloud.timefmt import utc_now_text

MAX_ATTEMPTS = 3


def deliver(
    engine: Engine,
    sender: Sender,
    limit: int = 1000,
    max_attempts: int = MAX_ATTEMPTS,
    only: Callable[[str], bool] | None = None,
) -> dict[str, int]:
    """Send pending messages (those whose recipient ``only`` accepts, when given)."""
    ob = s.marketing_outbox
    with engine.connect() as conn:
        rows = conn.execute(
            select(ob.c.id, ob.c.recipient).where(ob.c.state == "pending").order_by(ob.c.id).limit(limit)
        ).all()
    ids = [outbox_id for outbox_id, recipient in rows if only is None or only(str(recipient))]
    sent = failed = cancelled = 0
    for outbox_id in ids:
        with engine.begin() as conn:
            claimed = conn.execute(
                update(ob).where(ob.c.id == outbox_id, ob.c.state == "pending").values(state="sending")
            ).rowcount
            row = conn.execute(select(ob).where(ob.c.id == outbox_id)).mappings().one()
            if claimed and not may_deliver(conn, row["customer_id"], row["trigger"]):
                conn.execute(
                    update(ob)
                    .where(ob.c.id == outbox_id)
                    .values(state="cancelled", last_error=CONSENT_WITHDRAWN)
                )
                cancelled += 1
                continue
        if not claimed:
            continue
        message = Message(
            outbox_id,
            row["customer_id"],
            row["trigger"],
            row["period"],
            row["recipient"],
            row["subject"],
            row["body"],
        )
        try:
            detail = sender.send(message)
        except SendError as err:
            attempts = int(row["attempts"]) + 1
            with engine.begin() as conn:
                conn.execute(
                    update(ob)
                    .where(ob.c.id == outbox_id)
                    .values(
                        state="failed" if attempts >= max_attempts else "pending",
                        attempts=attempts,
                        last_error=str(err)[:1000],
                    )
                )
            failed += 1
            continue
        with engine.begin() as conn:
            conn.execute(
                update(ob).where(ob.c.id == outbox_id).values(state="sent", attempts=int(row["attempts"]) + 1)
            )
            conn.execute(
                insert(s.marketing_sent).values(
                    outbox_id=outbox_id, sender=sender.name, sent_at=utc_now_text(), detail=detail[:500]
                )
            )
        sent += 1
    return {"sent": sent, "failed": failed, "cancelled": cancelled}
