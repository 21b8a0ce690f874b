"""Runtime: verified loading, hot-swap, rollback, restart from the shelf; store rules; fallback."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.errors import ArtifactError, SignatureError
from models.rules import StoreRules
from models.runtime import ModelRuntime, Suggestion
from models.serving import RecommendationService
from models.shelf import ArtifactShelf, restore
from models.signing import generate_private_key
from tests.models.conftest import make_artifact

SKUS = tuple(f"S{i:02d}" for i in range(30))


def _service(
    runtime: ModelRuntime, stock: dict[str, int], promoted: set[str] | None = None
) -> RecommendationService:
    rules = StoreRules(
        stock=lambda skus: {s: stock.get(s, 0) for s in skus},
        promotions=(lambda skus: [s for s in skus if s in promoted]) if promoted is not None else None,
        promotion_boost=10.0,
    )
    return RecommendationService(runtime, rules, popular_here=lambda n: list(reversed(SKUS))[:n])


def test_fallback_when_no_model(signing_key: Ed25519PrivateKey) -> None:
    runtime = ModelRuntime(signing_key.public_key())
    out = _service(runtime, {s: 5 for s in SKUS}).recommend(["S01"], exclude=["S29"], k=3)
    assert out.model_id is None
    assert [s.sku for s in out.items] == ["S28", "S27", "S26"]
    assert {s.source for s in out.items} == {"popular"}


def test_unsigned_or_corrupt_models_never_load(signing_key: Ed25519PrivateKey) -> None:
    runtime = ModelRuntime(signing_key.public_key())
    good = make_artifact(signing_key, SKUS, seed=1)
    runtime.install(good)
    forged = make_artifact(generate_private_key(), SKUS, seed=2)
    with pytest.raises(SignatureError):
        runtime.install(forged)
    garbage = dataclasses.replace(good, onnx=b"not an onnx model")
    with pytest.raises(ArtifactError):
        runtime.install(garbage)
    assert runtime.current is not None and runtime.current.model_id == good.manifest.model_id
    # signed garbage (a compromised pipeline) is refused at load, not at the first request
    from models.artifact import build_artifact

    signed_garbage = build_artifact(
        b"\x08\x01garbage", key=signing_key, kind="x", items=SKUS, data_span=("a", "b")
    )
    with pytest.raises(ArtifactError, match="does not load"):
        runtime.install(signed_garbage)
    assert runtime.current.model_id == good.manifest.model_id


def test_hot_swap_and_rollback(signing_key: Ed25519PrivateKey) -> None:
    runtime = ModelRuntime(signing_key.public_key())
    first, second = make_artifact(signing_key, SKUS, seed=1), make_artifact(signing_key, SKUS, seed=2)
    runtime.install(first)
    before = runtime.recommend(["S03", "S04"], [], 5)
    runtime.install(second)
    assert runtime.current is not None and runtime.current.model_id == second.manifest.model_id
    assert runtime.previous is not None and runtime.previous.model_id == first.manifest.model_id
    assert runtime.recommend(["S03", "S04"], [], 5) != before
    assert runtime.rollback().model_id == first.manifest.model_id
    assert runtime.recommend(["S03", "S04"], [], 5) == before
    assert runtime.rollback().model_id == second.manifest.model_id  # roll forward again


def test_requests_during_a_swap_see_one_whole_model(signing_key: Ed25519PrivateKey) -> None:
    runtime = ModelRuntime(signing_key.public_key())
    artifacts = [make_artifact(signing_key, SKUS, seed=s) for s in (1, 2)]
    runtime.install(artifacts[0])
    expected = []
    for a in artifacts:
        runtime.install(a)
        expected.append(runtime.recommend(["S01"], [], 5))
    errors: list[BaseException] = []
    stop = threading.Event()

    def serve() -> None:
        try:
            for _ in range(300):
                got = runtime.recommend(["S01"], [], 5)
                assert got in expected
        except BaseException as err:
            errors.append(err)
        finally:
            stop.set()

    thread = threading.Thread(target=serve)
    thread.start()
    for i in range(40):
        if stop.is_set():
            break
        runtime.install(artifacts[i % 2])
    thread.join(timeout=30)
    assert not errors


def test_shelf_survives_a_restart(signing_key: Ed25519PrivateKey, tmp_path: Path) -> None:
    shelf = ArtifactShelf(tmp_path / "models")
    first, second = make_artifact(signing_key, SKUS, seed=1), make_artifact(signing_key, SKUS, seed=2)
    for a in (first, second):
        shelf.save(a)
        shelf.mark_current(a.manifest.model_id)
    runtime = ModelRuntime(signing_key.public_key())
    assert restore(runtime, shelf) == []
    assert runtime.current is not None and runtime.current.model_id == second.manifest.model_id
    assert runtime.rollback().model_id == first.manifest.model_id
    # a corrupted current artifact on disk: the previous one still serves
    (tmp_path / "models" / second.manifest.model_id / "model.onnx").write_bytes(b"corrupt")
    fresh = ModelRuntime(signing_key.public_key())
    problems = restore(fresh, shelf)
    assert len(problems) == 1 and "hash" in problems[0]
    assert fresh.current is not None and fresh.current.model_id == first.manifest.model_id


def test_store_rules(signing_key: Ed25519PrivateKey) -> None:
    runtime = ModelRuntime(signing_key.public_key())
    runtime.install(make_artifact(signing_key, SKUS, seed=3))
    stock = {s: 3 for s in SKUS}
    service = _service(runtime, stock)
    top = [s.sku for s in service.recommend(["S01", "S02"], exclude=["S01"], k=5).items]
    assert "S01" not in top and len(top) == 5
    stock[top[0]] = 0  # sold out here
    after = [s.sku for s in service.recommend(["S01", "S02"], exclude=["S01"], k=5).items]
    assert top[0] not in after and after[:4] == top[1:]
    promoted = {after[-1]}
    boosted = _service(runtime, stock, promoted).recommend(["S01", "S02"], exclude=["S01"], k=5)
    assert boosted.items[0].sku == after[-1]


def test_widening_and_topping_up(signing_key: Ed25519PrivateKey) -> None:
    runtime = ModelRuntime(signing_key.public_key())
    runtime.install(make_artifact(signing_key, SKUS, seed=4))
    scarce = {"S07": 1, "S11": 1, "S29": 4}  # almost everything sold out
    out = _service(runtime, scarce).recommend(["S01"], exclude=[], k=3)
    assert {s.sku for s in out.items} == set(scarce)
    assert out.model_id is not None
    with pytest.raises(ValueError):
        _service(runtime, scarce).recommend([], [], k=0)


def test_rules_dedupe_and_exclude() -> None:
    rules = StoreRules(stock=lambda skus: dict.fromkeys(skus, 1))
    cands = [Suggestion("a", 3, "model"), Suggestion("a", 2, "model"), Suggestion("b", 1, "model")]
    assert [s.sku for s in rules.apply(cands, ["b"], 5)] == ["a"]
