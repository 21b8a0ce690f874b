"""Release, promote and roll back models; the release history and each store's model.

Every action queues ``model.release`` ops (the whole signed artifact, the same bytes each time) on
the downlinks of its stores and appends one ``model_releases`` row, in the caller's transaction.
A store's model, as the hub knows it, is the one last released to it.

* release: to every active store, or to the stores named (a ``canary``);
* promote: the artifact released to the canary stores, to every active store not already on it;
* rollback: each store named gets the model released to it before its current one again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select

from cloud import downlink
from cloud.errors import InvalidInput
from cloud.rollout import artifacts
from cloud.storage import schema as s
from cloud.timefmt import utc_now_text
from models.artifact import Artifact
from sync.hlc import HybridClock

ACTIONS = ("release", "canary", "promote", "rollback")


def _queue(
    conn: Connection, clock: HybridClock, artifact: Artifact, targets: list[str], *, action: str, by: str
) -> None:
    ops = downlink.new_ops(conn, clock, [("model.release", artifact.release_body())])
    downlink.broadcast(conn, ops, targets)
    conn.execute(
        insert(s.model_releases).values(
            model_id=artifact.manifest.model_id,
            action=action,
            stores=json.dumps(targets),
            released_at=utc_now_text(),
            by=by[:64],
        )
    )


def _active(conn: Connection, stores: Sequence[str] | None) -> list[str]:
    active = downlink.active_stores(conn)
    targets = list(active) if stores is None else list(dict.fromkeys(stores))
    unknown = sorted(set(targets) - set(active))
    if unknown:
        raise InvalidInput(f"not active stores: {', '.join(unknown)}")
    return targets


def release(
    conn: Connection,
    clock: HybridClock,
    artifact: Artifact,
    stores: Sequence[str] | None = None,
    by: str = "cli",
) -> list[str]:
    """Keep ``artifact`` and queue it for ``stores`` (default: every active store; naming stores
    makes it a canary). Returns the stores it was queued for."""
    targets = _active(conn, stores)
    artifacts.keep(conn, artifact)
    if targets:
        _queue(conn, clock, artifact, targets, action="release" if stores is None else "canary", by=by)
    return targets


def promote(conn: Connection, clock: HybridClock, model_id: str, by: str = "cli") -> list[str]:
    """Queue the kept artifact ``model_id`` — the one a canary ran — for every active store whose
    model it is not yet. Refused for a model never released to any store."""
    artifact = artifacts.load(conn, model_id)
    if not any(row["model_id"] == model_id for row in history(conn)):
        raise InvalidInput(f"model {model_id} was never released to a store: release it to a canary first")
    current = store_models(conn)
    targets = [store for store in _active(conn, None) if current.get(store) != model_id]
    if targets:
        _queue(conn, clock, artifact, targets, action="promote", by=by)
    return targets


def rollback(conn: Connection, clock: HybridClock, stores: Sequence[str], by: str = "cli") -> dict[str, str]:
    """Give each of ``stores`` the model released to it before its current one; returns store →
    model id. Refused (nothing queued) when a store has no earlier model."""
    targets = _active(conn, stores)
    if not targets:
        raise InvalidInput("name the stores to roll back")
    lines = _per_store(conn)
    back: dict[str, str] = {}
    for store in targets:
        seen = lines.get(store, [])
        if len(seen) < 2:
            raise InvalidInput(f"store {store} has no earlier model to roll back to")
        back[store] = seen[-2]
    for model_id in dict.fromkeys(back.values()):
        chosen = [store for store, m in back.items() if m == model_id]
        _queue(conn, clock, artifacts.load(conn, model_id), chosen, action="rollback", by=by)
    return back


def history(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """The release history, oldest first."""
    r = s.model_releases
    rows = conn.execute(select(r).order_by(r.c.id.desc()).limit(limit)).mappings().all()
    return [
        {
            "id": int(row["id"]),
            "model_id": row["model_id"],
            "action": row["action"],
            "stores": json.loads(row["stores"]),
            "released_at": row["released_at"],
            "by": row["by"],
        }
        for row in reversed(rows)
    ]


def _per_store(conn: Connection) -> dict[str, list[str]]:
    """Per store, the models released to it in order (a model released again counts again)."""
    r = s.model_releases
    lines: dict[str, list[str]] = {}
    for model_id, stores in conn.execute(select(r.c.model_id, r.c.stores).order_by(r.c.id)):
        for store in json.loads(stores):
            lines.setdefault(str(store), []).append(str(model_id))
    return lines


def store_models(conn: Connection) -> dict[str, str]:
    """Store → the model last released to it."""
    return {store: seen[-1] for store, seen in _per_store(conn).items() if seen}


def versions(conn: Connection) -> list[dict[str, Any]]:
    """Every kept model, newest first, with its metrics and the stores it is (last) released to."""
    current = store_models(conn)
    out = []
    for m in artifacts.manifests(conn):
        out.append(
            {
                "model_id": m.model_id,
                "kind": m.kind,
                "created": m.created,
                "data_span": list(m.data_span),
                "n_items": len(m.items),
                "metrics": dict(m.metrics),
                "params": dict(m.params),
                "stores": sorted(store for store, model in current.items() if model == m.model_id),
            }
        )
    return out
