"""Signed recommender artifacts kept whole in the hub's database (``model_artifacts``)."""

from __future__ import annotations

import json

from sqlalchemy import Connection, select

from cloud.errors import NotFound
from cloud.storage import schema as s
from cloud.storage.sql import insert_ignore
from cloud.timefmt import utc_now_text
from models.artifact import Artifact, Manifest


def keep(conn: Connection, artifact: Artifact) -> bool:
    """Store ``artifact`` (content-addressed: an artifact already kept is left as it is)."""
    m = artifact.manifest
    return insert_ignore(
        conn,
        s.model_artifacts,
        {
            "model_id": m.model_id,
            "sha256": m.sha256,
            "kind": m.kind,
            "created": m.created,
            "manifest": json.dumps(m.to_dict(), sort_keys=True),
            "signature": artifact.signature,
            "onnx": artifact.onnx,
            "stored_at": utc_now_text(),
        },
        ["model_id"],
    )


def load(conn: Connection, model_id: str) -> Artifact:
    a = s.model_artifacts
    row = conn.execute(select(a.c.manifest, a.c.signature, a.c.onnx).where(a.c.model_id == model_id)).first()
    if row is None:
        raise NotFound(f"no model {model_id!r} at the hub; `vitrine-cloud model list` shows the models kept")
    return Artifact(bytes(row[2]), Manifest.from_dict(json.loads(row[0])), str(row[1]))


def manifests(conn: Connection) -> list[Manifest]:
    """Every kept model's manifest, newest first."""
    a = s.model_artifacts
    rows = conn.execute(select(a.c.manifest).order_by(a.c.created.desc(), a.c.model_id)).scalars()
    return [Manifest.from_dict(json.loads(text)) for text in rows]
