"""The hub's model rollout rules on SQLite and PostgreSQL: artifacts kept whole, a canary queued for
its stores only, promotion of that same artifact, rollback per store, the persisted history."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from cloud import downlink
from cloud.errors import InvalidInput, NotFound
from cloud.rollout import artifacts
from cloud.rollout import service as rollout
from cloud.storage import schema as s
from models.signing import generate_private_key
from sync.hlc import HybridClock
from tests.models.conftest import make_artifact

SKUS = ("A", "B", "C", "D")


def _stores(engine: Engine, *ids: str) -> None:
    with engine.begin() as conn:
        for store in ids:
            conn.execute(
                s.stores.insert().values(
                    store_id=store,
                    name=store,
                    broker_username=store,
                    broker_password_hash="x",
                    api_token_hash=f"t-{store}",
                    token_bundle_hashes="{}",
                    active=True,
                    created_at="2026-01-01T00:00:00Z",
                )
            )


def _released(engine: Engine, store: str) -> list[str]:
    with engine.connect() as conn:
        return [op.body["model_id"] for op in downlink.pending(conn, store) if op.type == "model.release"]


def test_canary_promote_rollback_and_history(engine: Engine) -> None:
    _stores(engine, "a", "b", "c")
    key, clock = generate_private_key(), HybridClock("cloud")
    m1, m2 = make_artifact(key, SKUS, 1), make_artifact(key, SKUS, 2)
    one, two = m1.manifest.model_id, m2.manifest.model_id
    with engine.begin() as conn:
        assert rollout.release(conn, clock, m1, ["a"], by="ann") == ["a"]
        with pytest.raises(InvalidInput, match="never released"):
            artifacts.keep(conn, m2)
            rollout.promote(conn, clock, two)
    assert _released(engine, "a") == [one] and _released(engine, "b") == []
    with engine.begin() as conn:
        assert rollout.promote(conn, clock, one, by="ann") == ["b", "c"]
        assert rollout.promote(conn, clock, one) == []  # every store is on it already
        with pytest.raises(InvalidInput, match="no earlier model"):
            rollout.rollback(conn, clock, ["a"])
        rollout.release(conn, clock, m2, ["a"])
        assert rollout.rollback(conn, clock, ["a"], by="bob") == {"a": one}
        with pytest.raises(InvalidInput, match="not active stores: zz"):
            rollout.release(conn, clock, m2, ["zz"])
    assert _released(engine, "a") == [one, two, one] and _released(engine, "b") == [one]
    with engine.connect() as conn:
        kept = artifacts.load(conn, one)
        assert kept == m1  # the same bytes, manifest and signature as the canary's
        assert [(r["model_id"], r["action"], r["stores"], r["by"]) for r in rollout.history(conn)] == [
            (one, "canary", ["a"], "ann"),
            (one, "promote", ["b", "c"], "ann"),
            (two, "canary", ["a"], "cli"),
            (one, "rollback", ["a"], "bob"),
        ]
        assert rollout.store_models(conn) == {"a": one, "b": one, "c": one}
        versions = {v["model_id"]: v["stores"] for v in rollout.versions(conn)}
        assert versions == {one: ["a", "b", "c"], two: []}
        with pytest.raises(NotFound, match="no model"):
            artifacts.load(conn, "test-nothing")


def test_the_model_commands_are_in_the_audit_log(engine: Engine, db_url: str) -> None:
    """A release, promotion or rollback made with ``vitrine-cloud model`` is a change like one made
    in the console: the audit log says who (``cli``), what and when."""
    from typer.testing import CliRunner

    from cloud.cli import app
    from cloud.console import audit

    _stores(engine, "a", "b")
    key = generate_private_key()
    m1, m2 = make_artifact(key, SKUS, 1), make_artifact(key, SKUS, 2)
    with engine.begin() as conn:
        artifacts.keep(conn, m1)
        artifacts.keep(conn, m2)
    one, two = m1.manifest.model_id, m2.manifest.model_id
    runner = CliRunner()
    for args in (
        ["model", "release", one, "--stores", "a", "--db", db_url],
        ["model", "promote", one, "--db", db_url],
        ["model", "release", two, "--stores", "a", "--db", db_url],
        ["model", "rollback", "--stores", "a", "--db", db_url],
    ):
        done = runner.invoke(app, args)
        assert done.exit_code == 0, done.output
    with engine.connect() as conn:
        logged = [(e["username"], e["action"], e["detail"]) for e in reversed(audit.entries(conn))]
    assert logged == [
        ("cli", "model.release", {"model_id": one, "stores": ["a"]}),
        ("cli", "model.promote", {"model_id": one, "stores": ["b"]}),
        ("cli", "model.release", {"model_id": two, "stores": ["a"]}),
        ("cli", "model.rollback", {"stores": {"a": one}}),
    ]
