"""The edge serves recommendations through its API, filtered by live stock in this store."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge.api.app import create_app
from edge.node import EdgeNode
from edge.services.stock import CountItem
from edge.settings import EdgeSettings
from models.artifact import Artifact, build_artifact
from models.linear import LinearScorer
from models.onnx_export import to_onnx_bytes
from models.repeat_aware import RepeatAware
from models.signing import generate_private_key, public_key_b64
from sync.ops import Op
from tests.models.conftest import synthetic_purchases
from tests.support.server import served

TOKENS = {
    "kiosk": "kiosk-token-0123456789",
    "staff": "staff-token-0123456789",
    "manager": "manager-token-0123456789",
}
N_ITEMS = 12


def _auth(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@pytest.fixture(scope="module")
def trained() -> tuple[tuple[str, ...], LinearScorer]:
    purchases = synthetic_purchases(n_items=N_ITEMS)
    model = RepeatAware(lam=5.0, months=2)
    model.fit(purchases)
    assert model.scorer is not None
    return purchases.skus, model.scorer


def _artifact(
    key: Ed25519PrivateKey, trained: tuple[tuple[str, ...], LinearScorer], tag: str = "a"
) -> Artifact:
    skus, scorer = trained
    return build_artifact(
        to_onnx_bytes(scorer, name=f"vitrine-{tag}"),
        key=key,
        kind="repeat-aware",
        items=skus,
        data_span=("s", "e"),
        params={"tag": tag},
    )


def _release(artifact: Artifact, seq: int) -> Op:
    return Op(
        "cloud", seq, f"{1_790_000_000_000 + seq:015d}-0000-cloud", "model.release", artifact.release_body()
    )


@pytest.fixture
def client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, signing_key: Ed25519PrivateKey
) -> Iterator[tuple[httpx.Client, EdgeNode]]:
    monkeypatch.setenv("VITRINE_EDGE_MODEL_PUBLIC_KEY", public_key_b64(signing_key))
    node = EdgeNode.open(tmp_path / "store.db", "store-1")
    with node.replica.write() as tx:
        for i in range(N_ITEMS):
            tx.execute(
                "INSERT INTO catalog (sku, name, category) VALUES (?, ?, 'home')", (f"sku{i}", f"Item {i}")
            )
            tx.execute("INSERT INTO prices VALUES (?, 0, '1970-01-01T00:00:00.000000Z', 250)", (f"sku{i}",))
    node.stock.count([CountItem(f"sku{i}", 2) for i in range(N_ITEMS)], session="opening")
    settings = EdgeSettings(
        store_id="store-1",
        db_path=tmp_path / "store.db",
        kiosk_token=TOKENS["kiosk"],
        staff_token=TOKENS["staff"],
        manager_token=TOKENS["manager"],
    )
    try:
        with served(create_app(settings, node)) as url, httpx.Client(base_url=url, timeout=10) as c:
            yield c, node
    finally:
        node.close()


def _skus(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [item["sku"] for item in response.json()["items"]]


def test_sold_out_items_disappear(
    client: tuple[httpx.Client, EdgeNode], signing_key: Ed25519PrivateKey, trained
) -> None:  # type: ignore[no-untyped-def]
    c, node = client
    assert node.inbox.apply("cloud", [_release(_artifact(signing_key, trained), 1)]) == 1
    first = c.get("/api/v1/recommendations/product/sku0", params={"k": 3}, headers=_auth("kiosk"))
    assert first.json()["model_id"].startswith("repeat-aware-")
    suggested = _skus(first)
    assert "sku0" not in suggested and len(suggested) == 3
    assert all(int(s[3:]) < N_ITEMS // 2 for s in suggested), "the model knows sku0's taste group"
    top = suggested[0]
    sale = c.post(
        "/api/v1/sales", json={"lines": [{"sku": top, "qty": 2}]}, headers=_auth("staff")
    )  # the last two units leave the shelf
    assert sale.status_code == 201, sale.text
    after = _skus(c.get("/api/v1/recommendations/product/sku0", params={"k": 3}, headers=_auth("staff")))
    assert top not in after
    assert after[:2] == suggested[1:]
    basket = c.post(
        "/api/v1/recommendations/basket", json={"skus": ["sku0", "sku1"], "k": 3}, headers=_auth("kiosk")
    )
    assert top not in _skus(basket) and not {"sku0", "sku1"} & set(_skus(basket))


def test_for_you_skips_what_was_just_bought(
    client: tuple[httpx.Client, EdgeNode], signing_key: Ed25519PrivateKey, trained
) -> None:  # type: ignore[no-untyped-def]
    c, node = client
    node.inbox.apply("cloud", [_release(_artifact(signing_key, trained), 1)])
    customer = node.customers.enrol({"name": "Ada"})
    bought = c.post(
        "/api/v1/sales",
        json={"lines": [{"sku": "sku7", "qty": 1}], "customer_id": customer.customer_id},
        headers=_auth("staff"),
    )
    assert bought.status_code == 201, bought.text
    mine = _skus(c.get(f"/api/v1/recommendations/customer/{customer.customer_id}", headers=_auth("staff")))
    assert "sku7" not in mine
    assert all(int(s[3:]) >= N_ITEMS // 2 for s in mine[:4]), "history in the second taste group"
    assert c.get("/api/v1/recommendations/customer/nobody", headers=_auth("staff")).status_code == 404


def test_fallback_refused_release_and_rollback(
    client: tuple[httpx.Client, EdgeNode], signing_key: Ed25519PrivateKey, trained
) -> None:  # type: ignore[no-untyped-def]
    c, node = client
    popular = c.get("/api/v1/recommendations/product/sku3", params={"k": 3}, headers=_auth("kiosk")).json()
    assert popular["model_id"] is None and {i["source"] for i in popular["items"]} == {"popular"}
    forged = _artifact(generate_private_key(), trained)
    tampered = dataclasses.replace(
        _artifact(signing_key, trained), onnx=b"x" + _artifact(signing_key, trained).onnx
    )
    assert node.inbox.apply("cloud", [_release(forged, 1), _release(tampered, 2)]) == 2  # acked, not loaded
    status = c.get("/api/v1/recommendations/model", headers=_auth("manager")).json()
    assert status["fallback"] is True and [r["installed"] for r in status["releases"]] == [False, False]
    first, second = _artifact(signing_key, trained, "a"), _artifact(signing_key, trained, "b")
    node.inbox.apply("cloud", [_release(first, 3), _release(second, 4)])
    status = c.get("/api/v1/recommendations/model", headers=_auth("manager")).json()
    assert status["model_id"] == second.manifest.model_id
    assert c.post("/api/v1/recommendations/model/rollback", headers=_auth("staff")).status_code == 403
    rolled = c.post("/api/v1/recommendations/model/rollback", headers=_auth("manager")).json()
    assert rolled["model_id"] == first.manifest.model_id
    assert c.get("/api/v1/recommendations/product/sku3").status_code == 401
    assert c.get("/api/v1/recommendations/product/nope", headers=_auth("kiosk")).status_code == 404
    assert (
        c.get("/api/v1/recommendations/product/sku3", params={"k": 0}, headers=_auth("kiosk")).status_code
        == 422
    )
