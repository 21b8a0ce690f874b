"""Console users: create, list, change role, reset password, unlock, and the sign-in check with a
lockout per account (never per address: an attacker changing addresses still hits the same counter)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from cloud.console.audit import audit
from cloud.console.identity import ROLES, ConsoleUser
from cloud.console.passwords import dummy_hash, hash_password, needs_rehash, password_problem, verify_password
from cloud.errors import CloudError, Conflict, InvalidInput, NotFound
from cloud.storage import schema as s
from cloud.timefmt import parse, to_text, utc_now

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
WRONG = "Wrong username or password. Check both and try again."


class SignInRefused(CloudError):
    """The username/password pair was not accepted (or the account is locked); the message says why."""


@dataclass(frozen=True)
class Lockout:
    failures: int  # failed sign-ins in a row that lock the account
    minutes: int  # how long it stays locked


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def _check_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise InvalidInput(problem)
    return password


def create(conn: Connection, username: str, role: str, password: str) -> dict[str, Any]:
    if not USERNAME.match(username) or username == "admin-token":
        raise InvalidInput(
            "a username is 2-64 lower-case letters, digits, '.', '_' or '-' (and not 'admin-token')"
        )
    _check_role(role)
    _check_password(password)
    if conn.execute(select(s.console_users.c.username).where(s.console_users.c.username == username)).first():
        raise Conflict(f"console user {username!r} already exists: use reset-password or set-role")
    now = to_text(utc_now())
    conn.execute(
        insert(s.console_users).values(
            username=username,
            role=role,
            password_hash=hash_password(password),
            failures=0,
            locked_until=None,
            created_at=now,
            updated_at=now,
        )
    )
    return get(conn, username)


def get(conn: Connection, username: str) -> dict[str, Any]:
    u = s.console_users
    row = conn.execute(
        select(u.c.username, u.c.role, u.c.failures, u.c.locked_until, u.c.created_at, u.c.updated_at).where(
            u.c.username == username
        )
    ).first()
    if row is None:
        raise NotFound(f"no console user {username!r} (vitrine-cloud user list shows them)")
    out = row._asdict()
    out["locked"] = bool(row.locked_until and parse(row.locked_until) > utc_now())
    return out


def list_users(conn: Connection) -> list[dict[str, Any]]:
    names = conn.execute(select(s.console_users.c.username).order_by(s.console_users.c.username)).scalars()
    return [get(conn, name) for name in list(names)]


def set_role(conn: Connection, username: str, role: str) -> dict[str, Any]:
    get(conn, username)
    _check_role(role)
    conn.execute(
        update(s.console_users)
        .where(s.console_users.c.username == username)
        .values(role=role, updated_at=to_text(utc_now()))
    )
    return get(conn, username)


def reset_password(conn: Connection, username: str, password: str) -> dict[str, Any]:
    """New password; also unlocks the account and ends its sessions (every browser signs in again)."""
    get(conn, username)
    _check_password(password)
    conn.execute(
        update(s.console_users)
        .where(s.console_users.c.username == username)
        .values(
            password_hash=hash_password(password),
            failures=0,
            locked_until=None,
            updated_at=to_text(utc_now()),
        )
    )
    conn.execute(delete(s.console_sessions).where(s.console_sessions.c.username == username))
    return get(conn, username)


def unlock(conn: Connection, username: str) -> dict[str, Any]:
    get(conn, username)
    conn.execute(
        update(s.console_users)
        .where(s.console_users.c.username == username)
        .values(failures=0, locked_until=None, updated_at=to_text(utc_now()))
    )
    return get(conn, username)


def _locked_message(locked_until: str, lockout: Lockout) -> str:
    at = parse(locked_until).strftime("%H:%M UTC")
    return (
        f"This account is locked after {lockout.failures} failed sign-ins. It unlocks by itself at {at}; "
        "a console administrator can unlock it now (Users page, or: vitrine-cloud user unlock <name>)."
    )


def authenticate(
    conn: Connection, username: str, password: str, lockout: Lockout, now: datetime | None = None
) -> ConsoleUser:
    """The user, or :class:`SignInRefused`. Counts a failure against the account (not the address);
    the caller commits the transaction either way so a failure is remembered."""
    moment = now or utc_now()
    u = s.console_users
    row = conn.execute(
        select(u.c.username, u.c.role, u.c.password_hash, u.c.failures, u.c.locked_until).where(
            u.c.username == username.strip().lower()
        )
    ).first()
    if row is None:
        verify_password(password, dummy_hash())  # same time as a known name
        raise SignInRefused(WRONG)
    if row.locked_until and parse(row.locked_until) > moment:
        raise SignInRefused(_locked_message(row.locked_until, lockout))
    if not verify_password(password, row.password_hash):
        failures = (0 if row.locked_until else row.failures) + 1
        locked = (
            to_text(moment + timedelta(minutes=lockout.minutes)) if failures >= lockout.failures else None
        )
        conn.execute(
            update(u).where(u.c.username == row.username).values(failures=failures, locked_until=locked)
        )
        if locked:
            audit(conn, ConsoleUser(row.username, row.role), "account.locked", {"failures": failures})
            raise SignInRefused(_locked_message(locked, lockout))
        left = lockout.failures - failures
        raise SignInRefused(f"{WRONG} {left} more failed attempt{'s' if left > 1 else ''} lock this account.")
    values: dict[str, Any] = {"failures": 0, "locked_until": None}
    if needs_rehash(row.password_hash):
        values["password_hash"] = hash_password(password)
    conn.execute(update(u).where(u.c.username == row.username).values(**values))
    return ConsoleUser(row.username, row.role)


def role_of(conn: Connection, username: str) -> str | None:
    return conn.execute(select(s.console_users.c.role).where(s.console_users.c.username == username)).scalar()
