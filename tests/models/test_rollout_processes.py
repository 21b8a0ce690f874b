"""Model rollout on real processes: the hub (API + worker) and two stores' ``vitrine-edge serve`` on one
host, their replicas side by side in one folder (so their default model folders are neighbours).

A canary stays on its store across restarts; promotion sends that same artifact to the other store;
a rollback at one store is that store's only; a damaged artifact is reported with its reason and
repaired by releasing the same model again; a release an edge could not verify (no key yet) is held
and installed once the edge trusts the key; the release history is the hub's, in its database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloud.rollout import artifacts
from cloud.storage import make_engine
from models.artifact import Artifact
from models.signing import load_private_key, public_key_b64
from sync.broker import MosquittoProcess
from tests.models.conftest import make_artifact
from tests.recovery.processes import SKUS, EdgeProc, HubProcs, wait

pytestmark = pytest.mark.slow


@pytest.fixture
def fleet(tmp_path: Path, broker: MosquittoProcess) -> Iterator[tuple[HubProcs, dict[str, EdgeProc]]]:
    hub = HubProcs(tmp_path, broker)
    edges: dict[str, EdgeProc] = {}
    try:
        hub.start()
        hub.publish_catalog()
        for store in ("a", "b"):
            edges[store] = EdgeProc(tmp_path, store, hub.provision(store), broker)
            edges[store].start()
        yield hub, edges
    finally:
        for edge in edges.values():
            edge.close()
        hub.close()


def _keep(hub: HubProcs, *made: Artifact) -> None:
    engine = make_engine(f"sqlite:///{hub.db}")
    try:
        with engine.begin() as conn:
            for artifact in made:
                artifacts.keep(conn, artifact)
    finally:
        engine.dispose()


def _post(hub: HubProcs, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    r = hub.http.post(path, json=body or {}, headers=hub.admin)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _on(edge: EdgeProc, model_id: str | None) -> None:
    wait(lambda: edge.model()["model_id"] == model_id, 30, f"{edge.store_id} on model {model_id}", edge.model)


def test_canary_promotion_rollback_repair_and_held_release(
    fleet: tuple[HubProcs, dict[str, EdgeProc]], tmp_path: Path
) -> None:
    hub, edges = fleet
    a, b = edges["a"], edges["b"]
    key = load_private_key(tmp_path / "model-signing.pem")  # made when the first store was provisioned
    assert a.env["VITRINE_EDGE_MODEL_PUBLIC_KEY"] == public_key_b64(key)  # in the bundle, before any release
    assert a.model()["trusted_key"] is True
    m1, m2 = make_artifact(key, tuple(SKUS), seed=1), make_artifact(key, tuple(SKUS), seed=2)
    one, two = m1.manifest.model_id, m2.manifest.model_id
    _keep(hub, m1, m2)

    # a canary at a stays at a, also after b restarts
    assert _post(hub, f"/admin/v1/models/{one}/release", {"stores": ["a"]}) == {"released_to": ["a"]}
    _on(a, one)
    b.stop()
    b.start()
    assert b.model()["model_id"] is None

    # the same artifact promoted to the rest of the fleet
    assert _post(hub, f"/admin/v1/models/{one}/promote") == {"promoted_to": ["b"]}
    _on(b, one)

    # a second canary at a, rolled back at a: b never sees m2, not even after restarting
    _post(hub, f"/admin/v1/models/{two}/release", {"stores": ["a"]})
    _on(a, two)
    assert _post(hub, "/admin/v1/models/rollback", {"stores": ["a"]}) == {"rolled_back": {"a": one}}
    _on(a, one)
    b.stop()
    b.start()
    assert (b.model()["model_id"], b.model()["previous_model_id"]) == (one, None)

    # a damaged artifact on a's disk: logged, reported with its reason, repaired by a new release
    a.stop()
    damaged = tmp_path / "models" / "a" / one / "model.onnx"
    damaged.write_bytes(damaged.read_bytes()[:100])
    a.start()
    status = a.model()
    assert [d["model_id"] for d in status["damaged"]] == [one] and "hash" in status["damaged"][0]["reason"]
    assert status["model_id"] == two  # the previous one still serves
    assert f"model {one} on disk not loaded" in a.service.tail(400)

    def fleet_versions() -> str:
        view = hub.http.get("/console/fleet.json", headers=hub.admin).json()
        return next(str(st["shown"]["versions"]) for st in view["stores"] if st["store_id"] == "a")

    wait(
        lambda: f"damaged on disk: {one}" in fleet_versions(), 30, "a's damaged model in the hub's fleet view"
    )
    _post(hub, f"/admin/v1/models/{one}/release", {"stores": ["a"]})
    _on(a, one)
    assert a.model()["damaged"] == [] and damaged.read_bytes() == m1.onnx

    # b without the key: the release is held, then installed once b trusts the key
    b.stop()
    trusted = b.env.pop("VITRINE_EDGE_MODEL_PUBLIC_KEY")
    b.start()
    _post(hub, f"/admin/v1/models/{two}/release", {"stores": ["b"]})
    wait(lambda: b.model()["held"] == [two], 30, "the release held at b", b.model)
    assert b.model()["model_id"] is None
    b.stop()
    b.env["VITRINE_EDGE_MODEL_PUBLIC_KEY"] = trusted
    b.start()
    assert (b.model()["model_id"], b.model()["held"]) == (two, [])

    # the history is the hub's
    releases = hub.http.get("/admin/v1/models/releases", headers=hub.admin).json()["releases"]
    assert [(r["model_id"], r["action"], r["stores"]) for r in releases] == [
        (one, "canary", ["a"]),
        (one, "promote", ["b"]),
        (two, "canary", ["a"]),
        (one, "rollback", ["a"]),
        (one, "canary", ["a"]),
        (two, "canary", ["b"]),
    ]
    models = hub.http.get("/admin/v1/models", headers=hub.admin).json()
    assert models["stores"] == {"a": one, "b": two}
    assert {m["model_id"]: m["metrics"] for m in models["models"]} == {
        one: {"ndcg10": 0.5},
        two: {"ndcg10": 0.5},
    }
