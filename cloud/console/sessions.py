"""Console sessions: one random token per signed-in browser, stored only as its SHA-256, with an expiry."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, insert, select

from cloud.console.identity import ConsoleUser
from cloud.storage import schema as s
from cloud.timefmt import to_text, utc_now

COOKIE = "vitrine_console"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(conn: Connection, username: str, minutes: int, now: datetime | None = None) -> tuple[str, datetime]:
    """A new session for ``username``: (the cookie's token, when it expires). Expired rows are swept."""
    moment = now or utc_now()
    expires = moment + timedelta(minutes=minutes)
    token = secrets.token_urlsafe(32)
    conn.execute(delete(s.console_sessions).where(s.console_sessions.c.expires_at <= to_text(moment)))
    conn.execute(
        insert(s.console_sessions).values(
            token_hash=_digest(token),
            username=username,
            created_at=to_text(moment),
            expires_at=to_text(expires),
        )
    )
    return token, expires


def user_of(conn: Connection, token: str, now: datetime | None = None) -> ConsoleUser | None:
    """The signed-in user (with the role they have NOW, so a role change applies at once), or None."""
    if not token or len(token) > 100:
        return None
    ses, users = s.console_sessions, s.console_users
    row = conn.execute(
        select(users.c.username, users.c.role)
        .select_from(ses.join(users, users.c.username == ses.c.username))
        .where(ses.c.token_hash == _digest(token), ses.c.expires_at > to_text(now or utc_now()))
    ).first()
    return ConsoleUser(row.username, row.role) if row else None


def end(conn: Connection, token: str) -> None:
    conn.execute(delete(s.console_sessions).where(s.console_sessions.c.token_hash == _digest(token)))
