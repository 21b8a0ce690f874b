"""`vitrine-cloud train` on the hub's history (real SQLite hub storage), released to a canary store,
then applied by that store's edge inbox: verified and hot-swapped."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloud import downlink, projections
from cloud.admin.stores import provision
from cloud.cli import app
from cloud.hub import Hub
from cloud.ingest.apply import StreamApplier
from cloud.rollout import service as rollout
from cloud.settings import CloudSettings
from cloud.storage import migrate
from cloud.training import hub_sale_rows
from edge.node import EdgeNode
from edge.recommend import EdgeRecommender, RecommendSettings
from models.data import build_purchases
from sync.hlc import HybridClock
from sync.ops import Op
from tests.models.conftest import synthetic_rows


def _sale_ops(store: str, customers_mod: int, months: int = 4) -> list[Op]:
    baskets: dict[str, list] = defaultdict(list)
    for row in synthetic_rows(months=months):
        if int(row.customer_id[1:]) % 2 == customers_mod:  # type: ignore[index]
            baskets[row.basket_id].append(row)
    clock = HybridClock(store, wall=lambda: 1_790_000_000.0)
    ops = []
    for seq, (basket, rows) in enumerate(sorted(baskets.items()), start=1):
        body = {
            "receipt_id": f"{store}-{basket}",
            "store": store,
            "channel": "store",
            "customer_id": rows[0].customer_id,
            "payment_ref": "",
            "at": rows[0].at.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
            "lines": [{"sku": r.sku, "qty": r.qty, "unit_cents": 100, "discount_cents": 0} for r in rows],
            "total_cents": 100 * len(rows),
            "points_earned": 0,
            "points_redeemed": 0,
        }
        ops.append(Op(store, seq, str(clock.now()), "sale.recorded", body))
    return ops


def _hub(path: Path, months: int) -> Hub:
    settings = CloudSettings(database_url=f"sqlite:///{path}", model_signing_key=path.parent / "signing.pem")  # type: ignore[call-arg]
    hub = Hub.from_settings(settings)
    migrate(hub.engine)
    with hub.tx() as conn:
        for store in ("store-1", "store-2"):
            provision(conn, hub.clock, settings, store, store)
    applier = StreamApplier(hub.engine, projections.apply)
    applier.apply("store-1", _sale_ops("store-1", 0, months))  # two stores, each with half the customers
    applier.apply("store-2", _sale_ops("store-2", 1, months))
    return hub


@pytest.fixture
def hub(tmp_path: Path) -> Hub:
    return _hub(tmp_path / "hub.db", 4)


def test_a_demo_length_history_still_trains_and_releases_a_model(tmp_path: Path) -> None:
    """Three weeks of sales (no complete month): no search, no test month, but a released model
    whose "goes well with" lists depend on the product (what is bought together)."""
    hub = _hub(tmp_path / "short.db", 1)
    out = tmp_path / "models"
    args = ["train", "--db", str(hub.engine.url), "--key", str(tmp_path / "k.pem"), "--out", str(out)]
    first = CliRunner().invoke(app, [*args, "--public-key-only"])  # what edges trust before they start
    assert first.exit_code == 0 and not out.exists()
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert first.output.strip() in result.output
    assert "search skipped" in result.output and "not evaluated" in result.output
    with hub.tx() as conn:
        (record,) = rollout.history(conn)
        (version,) = rollout.versions(conn)
    assert record["stores"] == ["store-1", "store-2"] and record["action"] == "release"
    assert version["model_id"] == record["model_id"] and version["metrics"] == {}
    from models.artifact import Artifact
    from models.runtime import LoadedModel

    model = LoadedModel(Artifact.read(out / record["model_id"]))
    first = [s.sku for s in model.recommend(["sku0"], ["sku0"], 3)]
    second = [s.sku for s in model.recommend(["sku7"], ["sku7"], 3)]
    assert set(first) <= {f"sku{i}" for i in range(1, 6)}  # sku0's taste group
    assert set(second) <= {f"sku{i}" for i in range(6, 12)} - {"sku7"}


def test_hub_history_reads_every_store(hub: Hub) -> None:
    with hub.tx() as conn:
        purchases = build_purchases(hub_sale_rows(conn))
    assert purchases.n_customers == 60 and purchases.n_items == 12


def test_train_and_release_to_a_canary_store(hub: Hub, tmp_path: Path) -> None:
    url = str(hub.engine.url)
    out, key = tmp_path / "models", tmp_path / "keys" / "signing.pem"
    result = CliRunner().invoke(
        app,
        ["train", "--db", url, "--key", str(key), "--out", str(out), "--stores", "store-1", "--no-search"],
    )
    assert result.exit_code == 0, result.output
    assert key.stat().st_mode & 0o777 == 0o600
    public = result.output.strip().rsplit("VITRINE_EDGE_MODEL_PUBLIC_KEY=", 1)[1].split()[0]
    with hub.tx() as conn:
        (record,) = rollout.history(conn)
    assert record["stores"] == ["store-1"] and record["action"] == "canary"
    assert (out / record["model_id"] / "model.onnx").exists()
    with hub.tx() as conn:
        stream = downlink.pending(conn, "store-1")  # everything the store has to apply, in order
        canary = [op for op in stream if op.type == "model.release"]
        assert [op for op in downlink.pending(conn, "store-2") if op.type == "model.release"] == []
    assert len(canary) == 1 and canary[0].body["model_id"] == record["model_id"]
    json.dumps(canary[0].body)  # the op travels as JSON

    node = EdgeNode.open(tmp_path / "edge.db", "store-1")
    try:
        recommender = EdgeRecommender(node.stock.ctx, RecommendSettings(public_key=public))
        from edge.replica.inbox import ReplicaInbox

        inbox = ReplicaInbox(node.replica, {"model.release": recommender.on_model_release})
        assert inbox.apply("cloud", stream) == stream[-1].seq
        assert recommender.runtime.current is not None
        assert recommender.runtime.current.model_id == record["model_id"]
        assert (
            tmp_path / "models" / "store-1" / record["model_id"]
        ).exists()  # beside its replica, per store
    finally:
        node.close()


def test_bad_requests_fail_cleanly(hub: Hub, tmp_path: Path) -> None:
    url = str(hub.engine.url)
    args = [
        "train",
        "--db",
        url,
        "--key",
        str(tmp_path / "k.pem"),
        "--out",
        str(tmp_path / "o"),
        "--no-search",
    ]
    unknown = CliRunner().invoke(app, [*args, "--stores", "nowhere"])
    assert unknown.exit_code == 1 and "not active stores" in unknown.output
    with hub.tx() as conn:
        assert rollout.history(conn) == []
    missing = CliRunner().invoke(app, [*args, "--csv", str(tmp_path / "none.csv")])
    assert missing.exit_code == 2
