"""Console users, sessions, audit and store presence on SQLite AND PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from cloud.admin import stores
from cloud.console import audit, fleet, sessions, users
from cloud.console.identity import ConsoleUser
from cloud.errors import Conflict, InvalidInput
from cloud.ingest import presence
from cloud.settings import CloudSettings
from cloud.timefmt import utc_now
from sync.hlc import HybridClock

LOCKOUT = users.Lockout(failures=3, minutes=15)


def test_password_lockout_per_account_unlock_and_reset(engine: Engine) -> None:
    with engine.begin() as conn:
        users.create(conn, "mona", "marketing", "mona-password-1")
        users.create(conn, "alan", "analyst", "alan-password-1")
        with pytest.raises(Conflict):
            users.create(conn, "mona", "analyst", "another-password")
        with pytest.raises(InvalidInput, match="at least 10"):
            users.create(conn, "bob", "analyst", "short")
        with pytest.raises(InvalidInput, match="unknown role"):
            users.create(conn, "bob", "owner", "long-enough-pw")
    for left in (2, 1):
        with engine.begin() as conn, pytest.raises(users.SignInRefused, match=f"{left} more failed"):
            users.authenticate(conn, "mona", "wrong-password", LOCKOUT)
    with engine.begin() as conn, pytest.raises(users.SignInRefused, match="locked after 3 failed sign-ins"):
        users.authenticate(conn, "mona", "wrong-password", LOCKOUT)
    with engine.begin() as conn, pytest.raises(users.SignInRefused, match="administrator can unlock"):
        users.authenticate(conn, "mona", "mona-password-1", LOCKOUT)  # the right password, still locked
    with engine.begin() as conn:
        assert users.authenticate(conn, "alan", "alan-password-1", LOCKOUT) == ConsoleUser("alan", "analyst")
        assert users.get(conn, "mona")["locked"]
        # the lock ends by itself
        later = utc_now() + timedelta(minutes=16)
        assert users.authenticate(conn, "mona", "mona-password-1", LOCKOUT, now=later).role == "marketing"
    with engine.begin() as conn:
        for _ in range(3):
            with pytest.raises(users.SignInRefused):
                users.authenticate(conn, "mona", "nope-nope-nope", LOCKOUT)
        users.unlock(conn, "mona")
        assert users.authenticate(conn, "mona", "mona-password-1", LOCKOUT).username == "mona"
        users.reset_password(conn, "mona", "mona-password-2")
        users.set_role(conn, "mona", "analyst")
        assert users.authenticate(conn, "mona", "mona-password-2", LOCKOUT).role == "analyst"
        with pytest.raises(users.SignInRefused, match="Wrong username or password"):
            users.authenticate(conn, "nobody", "whatever-password", LOCKOUT)


def test_sessions_expire_follow_role_changes_and_end(engine: Engine) -> None:
    with engine.begin() as conn:
        users.create(conn, "ada", "admin", "ada-password-1")
        token, expires = sessions.start(conn, "ada", minutes=30)
        assert sessions.user_of(conn, token) == ConsoleUser("ada", "admin")
        assert sessions.user_of(conn, token, now=expires + timedelta(seconds=1)) is None
        assert sessions.user_of(conn, token + "x") is None
        users.set_role(conn, "ada", "analyst")
        assert sessions.user_of(conn, token) == ConsoleUser("ada", "analyst")
        users.reset_password(conn, "ada", "ada-password-2")  # signs out everywhere
        assert sessions.user_of(conn, token) is None
        token, _ = sessions.start(conn, "ada", minutes=30)
        sessions.end(conn, token)
        assert sessions.user_of(conn, token) is None


def test_audit_and_fleet_presence(engine: Engine) -> None:
    with engine.begin() as conn:
        audit.audit(conn, ConsoleUser("ada", "admin"), "catalog.edit", {"sku": "S1", "name": "x"})
        audit.audit(conn, ConsoleUser("mona", "marketing"), "promotion.add", {"sku": "S2"})
        rows = audit.entries(conn)
        assert [r["action"] for r in rows] == ["promotion.add", "catalog.edit"]
        assert rows[1]["detail"] == {"sku": "S1", "name": "x"}
        assert [r["username"] for r in audit.entries(conn, username="ada")] == ["ada"]
    presence.record(engine, "lyon", "online", "2026-01-01T10:00:00Z")
    presence.record(engine, "lyon", "online", "2026-01-01T10:05:00Z")
    presence.record(engine, "lyon", "offline", "2026-01-01T10:07:00Z")
    assert presence.presence_state(b'{"client":"lyon","state":"online"}') == "online"
    assert presence.presence_state(b"garbage") is None
    with engine.begin() as conn:
        view = fleet.overview(conn)
        assert view["stores"] == []  # presence alone: not a provisioned store
        assert set(view["anomalies"]) == set(fleet.ANOMALIES)
        stores.provision(conn, HybridClock("cloud"), CloudSettings(), "lyon", "Lyon")
        stores.provision(conn, HybridClock("cloud"), CloudSettings(), "nice", "Nice")
        view = fleet.overview(conn)
    lyon, nice = view["stores"]
    assert (lyon["state"], lyon["state_since"], lyon["last_contact"]) == (
        "offline",
        "2026-01-01T10:07:00Z",
        "2026-01-01T10:07:00Z",
    )
    assert lyon["op_schema_version"] is None and lyon["clock_skew_ms"] is None  # no report: not guessed
    assert set(lyon["shown"].values()) == {"not reported"}
    assert (nice["state"], nice["last_contact"]) == ("unknown", None)
    assert (view["online"], view["total"]) == (0, 2)
    report = {"backlog": 3, "oldest_unsynced_age_s": 42.0, "clock_skew_ms": -250, "schema_version": 8,
              "software": "0.1.0", "model": None, "bootstrap": {"phase": "customers", "percent": 40.0},
              "devices": [{"device_id": "reader-1", "kind": "rfid-reader"}]}  # fmt: skip
    presence.record_status(engine, "nice", {"backlog": 1}, "2026-01-01T10:00:00Z")
    presence.record_status(engine, "nice", report, "2026-01-01T10:00:05Z")  # replaces the first
    with engine.begin() as conn:
        nice = fleet.overview(conn)["stores"][1]
    assert (nice["uplink_backlog"], nice["clock_skew_ms"], nice["report_received_at"]) == (
        3,
        -250,
        "2026-01-01T10:00:05Z",
    )
    assert nice["shown"] == {
        "backlog": "3 ops, oldest 42 s",
        "skew": "-250 ms",
        "versions": "0.1.0 / no model (popular here)",
        "bootstrap": "customers 40.0%",
        "devices": "1 device(s)",
    }
    assert nice["last_contact"] == "2026-01-01T10:00:05Z"
