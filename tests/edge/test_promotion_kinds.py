"""Every promotion kind the hub sends is one the store can price: a hub promotion used to wedge the
store's downlink (the replica's CHECK refused ``percent_off``/``fixed_price``, the batch was retried forever)."""

from __future__ import annotations

from pathlib import Path

from edge.node import EdgeNode
from edge.replica.promotion_kinds import STORED, stored_promotion_kind
from sync.ops import Op
from sync.vocabulary import PROMOTION_KINDS


def test_every_wire_kind_has_a_stored_kind() -> None:
    assert set(STORED) == PROMOTION_KINDS
    assert stored_promotion_kind("bogus") is None


def test_hub_promotions_apply_and_an_unknown_kind_does_not_wedge_the_stream(tmp_path: Path) -> None:
    node = EdgeNode.open(tmp_path / "s.db", "s1")
    try:
        catalog = {
            "version": 1,
            "items": [{"sku": f"K{n}", "gtin": None, "name": "x", "category": "c"} for n in range(4)],
        }
        promos = [
            {"promo_id": f"p{n}", "sku": f"K{n}", "store": "s1", "kind": kind, "value": value,
             "starts": "2020-01-01T00:00:00Z", "ends": "2099-01-01T00:00:00Z"}
            for n, (kind, value) in enumerate((("percent_off", 50), ("amount_off", 100), ("fixed_price", 300), ("bogus", 1)))
        ]  # fmt: skip
        prices = {"version": 1, "effective_from": "2020-01-01T00:00:00Z",
                  "prices": [{"sku": f"K{n}", "cents": 1000} for n in range(4)], "promotions": promos}  # fmt: skip
        ops = [
            Op("cloud", 1, "0001790000000000.0000.cloud", "catalog.checkpoint", catalog),
            Op("cloud", 2, "0001790000000001.0000.cloud", "price.checkpoint", prices),
        ]
        assert node.inbox.apply("cloud", ops) == 2
        effective = [node.catalog.product(f"K{n}").effective_cents for n in range(4)]
        assert effective == [500, 900, 300, 1000]
    finally:
        node.close()
