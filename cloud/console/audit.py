"""The console's audit log: who changed what, when (one row per change, never updated)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, insert, select

from cloud.console.identity import ConsoleUser
from cloud.storage import schema as s
from cloud.timefmt import utc_now_text


def audit(conn: Connection, user: ConsoleUser, action: str, detail: dict[str, Any]) -> None:
    """Record ``action`` by ``user`` in the caller's transaction (it commits with the change)."""
    conn.execute(
        insert(s.console_audit).values(
            at=utc_now_text(),
            username=user.username,
            role=user.role,
            action=action,
            detail=json.dumps(detail, sort_keys=True, separators=(",", ":"), default=str),
        )
    )


def entries(
    conn: Connection, *, limit: int = 100, before_id: int | None = None, username: str | None = None
) -> list[dict[str, Any]]:
    """Newest first."""
    a = s.console_audit
    query = select(a).order_by(a.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(a.c.id < before_id)
    if username:
        query = query.where(a.c.username == username)
    return [{**row._asdict(), "detail": json.loads(row.detail)} for row in conn.execute(query)]


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(s.console_audit)).scalar_one())
