"""Store presence as the hub saw it: each store's retained birth/Last Will, kept in ``store_presence``
for the console's fleet view (online/offline and since when)."""

from __future__ import annotations

import logging

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
