"""What the hub keeps of each store for the console's fleet view: its presence (retained birth /
Last Will, in ``store_presence``: online/offline and since when) and its last health report
(``sync.status_report``, in ``store_status``)."""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from cloud.storage import schema as s
from cloud.timefmt import utc_now_text
from sync.errors import SyncError
from sync.wire import decode_json

log = logging.getLogger(__name__)
STATES = frozenset({"online", "offline"})


def presence_state(payload: bytes) -> str | None:
    """``online`` / ``offline`` from a presence payload (``{"client", "state"}``); None if unreadable."""
    try:
        state = decode_json(payload, "presence").get("state")
    except SyncError:
        return None
    return state if state in STATES else None


def record(engine: Engine, store: str, state: str, at: str | None = None) -> None:
    """Upsert the store's presence (several workers may record the same message: same outcome)."""
    now = at or utc_now_text()
    p = s.store_presence
    with engine.begin() as conn:
        old = conn.execute(select(p.c.state).where(p.c.store == store)).scalar()
        if old is None:
            try:
                with conn.begin_nested():
                    conn.execute(insert(p).values(store=store, state=state, changed_at=now, seen_at=now))
                return
            except IntegrityError:
                old = conn.execute(select(p.c.state).where(p.c.store == store)).scalar()
        values = {"state": state, "seen_at": now}
        if old != state:
            values["changed_at"] = now
        conn.execute(update(p).where(p.c.store == store).values(**values))


def record_status(engine: Engine, store: str, report: dict[str, Any], at: str | None = None) -> None:
    """Keep ``report`` as the store's last (one row per store, replaced)."""
    now = at or utc_now_text()
    body = json.dumps(report, sort_keys=True, separators=(",", ":"))
    st = s.store_status
    with engine.begin() as conn:
        done = conn.execute(update(st).where(st.c.store == store).values(received_at=now, report=body))
        if done.rowcount:
            return
        try:
            with conn.begin_nested():
                conn.execute(insert(st).values(store=store, received_at=now, report=body))
        except IntegrityError:
            conn.execute(update(st).where(st.c.store == store).values(received_at=now, report=body))
