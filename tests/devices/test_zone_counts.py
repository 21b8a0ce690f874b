"""Stock in zones (issue 13, point 2) through the real edge app and its simulated RFID reader.

Opening stock sits in zone ``floor`` (and ``shelf-a``), a delivery arrives without a location, the
readers count ``shelf-a``, ``shelf-b`` and ``backroom``: a full-store count replaces the book of
every zone, so on-hand equals what was counted (it used to be added beside the book), the
unlocated delivery is reconciled, and the result — and the manager's discrepancy panel — shows book
vs counted per product, by name, with the zones.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.bootstrap import writer
from edge.node import EdgeNode
from edge.services.stock import CountItem
from edge.settings import EdgeSettings
from sync.zones import UNLOCATED
from tests.devices.conftest import PRODUCTS, serve, wait_for, write_config

QUIET_READER = "tags=12&rate=600&move_every_s=100000&exit_every_s=100000&seed=5"
NAMES = {sku: name for sku, _, name in PRODUCTS}


def test_a_full_store_count_replaces_the_book_of_every_zone(
    tmp_path: Path,
    node: EdgeNode,
    edge_settings: EdgeSettings,
    sim_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    node.stock.count([CountItem(sku, 6) for sku, _, _ in PRODUCTS], zone="floor")
    moved = node.stock.receive(PRODUCTS[0][0], 2)  # no location given
    assert moved.zone == UNLOCATED
    config = write_config(tmp_path, sim_name, QUIET_READER)
    with serve(edge_settings, node, monkeypatch, config) as live:
        staff = live.client("staff")
        assert wait_for(lambda: staff.get("/api/v1/devices/tags").json()["total"] >= 12)
        book = {sku: node.stock.levels(sku).on_hand for sku in NAMES}
        started = staff.post("/api/v1/devices/counts", json={"zone": ""})
        assert started.status_code == 201, started.text
        count_id = started.json()["session_id"]
        assert wait_for(lambda: staff.get(f"/api/v1/devices/counts/{count_id}").json()["tags"] == 12)
        result = staff.post(f"/api/v1/devices/counts/{count_id}/finish").json()
        panel = live.client("manager").get("/ui/manager/dashboard")
        assert panel.status_code == 200, panel.text
        shown = {d["sku"]: d for d in panel.json()["discrepancies"]}
    counted = {sku: 0 for sku in NAMES}
    for line in result["lines"]:
        counted[line["sku"]] += line["qty"]
        assert line["name"] == NAMES[line["sku"]]
    assert sum(counted.values()) == 12
    for sku in NAMES:
        levels = node.stock.levels(sku)
        assert levels.on_hand == counted[sku], (sku, levels.zones)  # not book + counted
        assert levels.zones.get("floor", 0) == 0 and levels.zones.get(UNLOCATED, 0) == 0
    products = {p["sku"]: p for p in result["products"]}
    assert set(products) == set(NAMES)
    for sku, p in products.items():
        assert (p["name"], p["book"], p["counted"]) == (NAMES[sku], book[sku], counted[sku])
        assert p["differs"] == (book[sku] != counted[sku])
    # The manager's discrepancy panel judges the same way (sync.zones): per product over the zones
    # the session replaced, with its name and book vs counted per zone; a relocation is no gap.
    assert set(shown) == {sku for sku, p in products.items() if p["differs"]}
    for sku, d in shown.items():
        assert (d["name"], d["book"], d["counted"]) == (NAMES[sku], book[sku], counted[sku])
        assert d["session"] == count_id
        per_zone = {z["zone"]: (z["book"], z["counted"]) for z in d["zones"]}
        assert per_zone == {x["zone"]: (x["book"], x["qty"]) for x in result["lines"] if x["sku"] == sku}
    # the zones the book held outside the readers' zones were reconciled to 0, with their book
    reconciled = {(z["sku"], z["zone"]): z for z in result["lines"] if z["zone"] in ("floor", UNLOCATED)}
    assert reconciled[(PRODUCTS[0][0], UNLOCATED)]["book"] == 2
    assert all(z["qty"] == 0 for z in reconciled.values())


def test_opening_stock_from_the_hubs_bootstrap_is_no_discrepancy(
    tmp_path: Path, edge_settings: EdgeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``make demo`` walk: right after the bootstrap, before any count, the manager's RFID
    discrepancy panel listed every product of the opening stock as "book 0, counted 400, +400"."""
    fresh = EdgeNode.open(tmp_path / "bootstrapped.db", "store-dev")
    rows = [{"sku": sku, "zone": "", "qty": 400} for sku, _, _ in PRODUCTS]
    try:
        with fresh.replica.write() as tx:
            writer.apply_page(
                tx, "stock", rows, {"hlc": "1796506397750.0000.cloud-1-1"}, "store-dev", first=0
            )
        with serve(edge_settings, fresh, monkeypatch, None) as live:
            panel = live.client("manager").get("/ui/manager/dashboard")
            assert panel.status_code == 200, panel.text
            assert panel.json()["discrepancies"] == []
    finally:
        fresh.close()
