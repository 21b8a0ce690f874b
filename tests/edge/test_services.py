"""Store services over a real replica file."""

from __future__ import annotations

import pytest

from edge.errors import Conflict, Invalid, NotFound
from edge.node import EdgeNode
from edge.replica.integrity import check
from edge.services.returns import ReturnLine
from edge.services.selling import Basket, BasketLine
from edge.services.stock import CountItem
from sync.ops import Op
from sync.zones import UNLOCATED
from tests.edge.conftest import START, STORE, Wall


def ops_of(node: EdgeNode, type_: str) -> list[Op]:
    return [op for op in node.outbox.read_after(0, 10_000) if op.type == type_]


def enrol(node: EdgeNode, name: str = "Ann Example", **fields: object) -> str:
    return node.customers.enrol({"name": name, **fields}).customer_id


def give_points(node: EdgeNode, customer_id: str, points: int) -> None:
    from edge.services.loyalty import write_entry

    with node.replica.write() as tx:
        write_entry(
            tx, STORE, entry_id=f"gift-{customer_id}-{points}", customer_id=customer_id, kind="adjust",
            points=points, ref="test", channel="store", at="2026-01-01T00:00:00Z",
        )  # fmt: skip


def lease(node: EdgeNode, customer_id: str, points: int, lease_id: str = "L1") -> None:
    seq = node.inbox.high_water_mark("cloud") + 1
    body = {"store": STORE, "customer_id": customer_id, "points": points, "lease_id": lease_id,
            "expires_at": "2100-01-01T00:00:00Z"}  # fmt: skip
    node.inbox.apply("cloud", [Op("cloud", seq, "0000000000001.0000.cloud", "loyalty.allowance", body)])


def test_sale_prices_promotes_earns_moves_stock_and_writes_ops(node: EdgeNode) -> None:
    customer = enrol(node)
    receipt = node.selling.sell(
        Basket([BasketLine("85123A", 2), BasketLine("22423", 1)], customer_id=customer, payment_ref="card-1")
    )
    assert [line.line_cents for line in receipt.lines] == [510, 1275 - 255]
    assert receipt.lines[1].promo_id == "p-cake"
    assert receipt.total_cents == 1530 and receipt.points_earned == 15
    assert node.stock.levels("85123A").on_hand == 8
    assert node.loyalty.view(customer).balance == 15
    (sale_op,) = ops_of(node, "sale.recorded")
    assert sale_op.body["receipt_id"] == receipt.receipt_id
    assert sale_op.body["lines"][1] == {"sku": "22423", "qty": 1, "unit_cents": 1275, "discount_cents": 255}
    deltas = [op.body for op in ops_of(node, "stock.delta")]
    assert {(d["sku"], d["qty"], d["reason"]) for d in deltas} == {
        ("85123A", -2, "sale"),
        ("22423", -1, "sale"),
    }
    assert node.selling.receipt(receipt.receipt_id) == receipt
    assert check(node.replica.reader(), STORE).ok


def test_overselling_is_recorded_and_flagged(node: EdgeNode) -> None:
    receipt = node.selling.sell(Basket([BasketLine("71053", 5)]))
    assert receipt.oversold and receipt.lines[0].oversold
    assert node.stock.levels("71053").on_hand == -3


def test_channel_multiplier_from_cloud_rules(node: EdgeNode) -> None:
    customer = enrol(node)
    rules = {"version": 7, "effective_from": "2000-01-01T00:00:00Z", "earn_per_unit_cents": 100,
             "multipliers": {"kiosk": 3}, "expiry_days": 365}  # fmt: skip
    node.inbox.apply("cloud", [Op("cloud", 1, "0000000000001.0000.cloud", "loyalty.rules", rules)])
    receipt = node.selling.sell(Basket([BasketLine("85123A", 4)], channel="kiosk", customer_id=customer))
    assert receipt.points_earned == 30  # 1020 cents -> 10 points x3


def test_bad_sales_are_refused_without_partial_writes(node: EdgeNode) -> None:
    before = node.outbox.last_seq()
    with pytest.raises(NotFound, match="unknown sku"):
        node.selling.sell(Basket([BasketLine("85123A", 1), BasketLine("NOPE", 1)]))
    with pytest.raises(Invalid):
        node.selling.sell(Basket([BasketLine("85123A", 0)]))
    with pytest.raises(Invalid):
        node.selling.sell(Basket([BasketLine("85123A", 1000)]))
    with pytest.raises(NotFound, match="customer"):
        node.selling.sell(Basket([BasketLine("85123A", 1)], customer_id="ghost"))
    assert node.outbox.last_seq() == before
    assert node.stock.levels("85123A").on_hand == 10


def test_redemption_needs_balance_and_offline_allowance(node: EdgeNode) -> None:
    customer = enrol(node)
    give_points(node, customer, 300)
    with pytest.raises(Conflict, match="allowance"):
        node.selling.sell(Basket([BasketLine("22423", 1)], customer_id=customer, redeem_points=100))
    lease(node, customer, 150)
    receipt = node.selling.sell(Basket([BasketLine("22423", 1)], customer_id=customer, redeem_points=100))
    assert receipt.redeemed_cents == 100 and receipt.paid_cents == 920 and receipt.points_earned == 9
    assert node.loyalty.view(customer).balance == 300 - 100 + 9
    assert node.loyalty.view(customer).allowance_remaining == 50
    with pytest.raises(Conflict, match="allowance"):
        node.selling.sell(Basket([BasketLine("22423", 1)], customer_id=customer, redeem_points=60))
    with pytest.raises(Conflict, match="cannot redeem"):
        node.selling.sell(Basket([BasketLine("22423", 1)], customer_id=customer, redeem_points=900))


def test_online_authority_decides_when_reachable(node: EdgeNode) -> None:
    class Cloud:
        def __init__(self, answer: bool | None) -> None:
            self.answer = answer
            self.asked: list[str] = []

        def authorise_redeem(self, customer_id: str, points: int, entry_id: str) -> bool | None:
            self.asked.append(entry_id)
            return self.answer

    customer = enrol(node)
    give_points(node, customer, 100)
    cloud = Cloud(True)
    node.selling.authority = cloud
    receipt = node.selling.sell(Basket([BasketLine("22423", 1)], customer_id=customer, redeem_points=50))
    assert receipt.redeemed_cents == 50 and cloud.asked == [f"{receipt.receipt_id}:redeem"]
    assert node.loyalty.view(customer).allowance_remaining == 0  # online: no lease needed
    node.selling.authority = Cloud(False)
    with pytest.raises(Conflict, match="refused"):
        node.selling.sell(Basket([BasketLine("22423", 1)], customer_id=customer, redeem_points=10))


def test_return_by_receipt_restores_stock_reverses_points_and_refuses_double(node: EdgeNode) -> None:
    customer = enrol(node)
    receipt = node.selling.sell(
        Basket([BasketLine("85123A", 3), BasketLine("71053", 1)], customer_id=customer)
    )
    assert receipt.points_earned == 11  # 1104 cents
    first = node.returns.return_items([ReturnLine("85123A", 1)], receipt_id=receipt.receipt_id)[0]
    assert first.refund_cents == 255 and first.points_reversed == 2
    second = node.returns.return_items(
        [ReturnLine("85123A", 2), ReturnLine("71053", 1)], receipt_id=receipt.receipt_id
    )[0]
    assert first.refund_cents + second.refund_cents == receipt.paid_cents
    assert first.points_reversed + second.points_reversed == receipt.points_earned
    assert node.loyalty.view(customer).balance == 0
    assert node.stock.levels("85123A").on_hand == 10
    with pytest.raises(Conflict, match="already returned"):
        node.returns.return_items([ReturnLine("85123A", 1)], receipt_id=receipt.receipt_id)
    with pytest.raises(NotFound):
        node.returns.return_items([ReturnLine("85123A", 1)], receipt_id="R-nope")
    assert check(node.replica.reader(), STORE).ok


def test_return_over_quantity_and_unknown_line(node: EdgeNode) -> None:
    receipt = node.selling.sell(Basket([BasketLine("85123A", 2)]))
    with pytest.raises(Conflict, match="only 2"):
        node.returns.return_items([ReturnLine("85123A", 3)], receipt_id=receipt.receipt_id)
    with pytest.raises(Conflict, match="not on receipt"):
        node.returns.return_items([ReturnLine("71053", 1)], receipt_id=receipt.receipt_id)
    with pytest.raises(Invalid):
        node.returns.return_items([ReturnLine("85123A", 1)], receipt_id=receipt.receipt_id, customer_id="x")


def test_return_by_customer_lookup_and_online_order(node: EdgeNode) -> None:
    customer = enrol(node)
    node.selling.sell(Basket([BasketLine("85123A", 1)], customer_id=customer, channel="kiosk"))
    records = node.returns.return_items([ReturnLine("85123A", 1)], customer_id=customer)
    assert records[0].refund_cents == 255
    with pytest.raises(Conflict, match="left to return"):
        node.returns.return_items([ReturnLine("85123A", 1)], customer_id=customer)
    place_order(node, "W-1", customer)
    with pytest.raises(Conflict, match="placed"):
        node.returns.return_items([ReturnLine("71053", 1)], order_id="W-1")
    node.orders.pick("W-1", "staff")
    node.orders.collect("W-1", customer, "PK42", "staff")
    record = node.returns.return_items([ReturnLine("71053", 1)], order_id="W-1")[0]
    assert record.refund_cents == 339 and record.receipt_id == "W-1"


def place_order(node: EdgeNode, order_id: str, customer_id: str, pickup_code: str | None = "PK42") -> None:
    body = {"order_id": order_id, "kind": "click_collect", "customer_id": customer_id, "store": STORE,
            "lines": [{"sku": "71053", "qty": 2, "unit_cents": 339}], "total_cents": 678,
            "channel": "click_collect", "at": "2026-09-20T10:00:00Z", "pickup_code": pickup_code}  # fmt: skip
    seq = node.inbox.high_water_mark("cloud") + 1
    node.inbox.apply("cloud", [Op("cloud", seq, "0000000000002.0000.cloud", "order.placed", body)])


def test_click_and_collect_verifies_customer_and_code(node: EdgeNode) -> None:
    customer = enrol(node, email="ann@example.com")
    other = enrol(node, name="Bob")
    place_order(node, "W-7", customer)
    with pytest.raises(Conflict, match="placed"):
        node.orders.collect("W-7", customer, "PK42", "staff")
    assert node.orders.pick("W-7", "staff").state == "picked"
    assert node.stock.levels("71053").on_hand == 0
    with pytest.raises(Conflict, match="does not match"):
        node.orders.collect("W-7", other, "PK42", "staff")
    with pytest.raises(Conflict, match="pickup code"):
        node.orders.collect("W-7", "ANN@example.com", "WRONG", "staff")
    assert node.orders.collect("W-7", "ANN@example.com", "PK42", "staff").state == "collected"
    states = [op.body["state"] for op in ops_of(node, "order.transition")]
    assert states == ["picked", "collected"]


def test_cancel_after_pick_puts_stock_back(node: EdgeNode) -> None:
    customer = enrol(node)
    place_order(node, "W-9", customer, None)
    node.orders.pick("W-9", "staff")
    assert node.orders.cancel("W-9", "manager").state == "cancelled"
    assert node.stock.levels("71053").on_hand == 2
    with pytest.raises(Conflict):
        node.orders.pick("W-9", "staff")


def test_receive_adjust_count(node: EdgeNode) -> None:
    assert node.stock.receive("71053", 10, ref="PO-1").on_hand == 12
    assert node.stock.adjust("71053", -3, "damage").on_hand == 9
    with pytest.raises(Invalid):
        node.stock.adjust("71053", -1, "theft")
    with pytest.raises(NotFound):
        node.stock.receive("NOPE", 1)
    node.stock.receive("71053", 4, zone="backroom")
    node.stock.count([CountItem("71053", 7)], zone="floor")  # replaces the book of floor only
    levels = node.stock.levels("71053")
    assert levels.zones == {"backroom": 4, "floor": 7, UNLOCATED: 10} and levels.on_hand == 21
    assert check(node.replica.reader(), STORE).ok


def test_reservation_lowers_availability_and_expires(node: EdgeNode, wall: Wall) -> None:
    customer = enrol(node)
    reservation = node.reservations.reserve(customer, "71053", 2, hours=2)
    assert node.catalog.product("71053").available == 0
    with pytest.raises(Conflict, match="available"):
        node.reservations.reserve(customer, "71053", 1, hours=1)
    wall.advance(3 * 3600)
    assert node.reservations.get(reservation.reservation_id).state == "expired"
    with pytest.raises(Conflict, match="expired"):
        node.selling.sell(Basket([BasketLine("71053", 1, reservation.reservation_id)], customer_id=customer))
    assert node.reservations.expire_due() == 1


def test_reservation_fulfilled_by_sale(node: EdgeNode) -> None:
    customer = enrol(node)
    reservation = node.reservations.reserve(customer, "85123A", 2, hours=24)
    node.selling.sell(Basket([BasketLine("85123A", 2, reservation.reservation_id)], customer_id=customer))
    assert node.reservations.get(reservation.reservation_id).state == "fulfilled"
    states = [op.body["state"] for op in ops_of(node, "reservation.set")]
    assert states == ["active", "fulfilled"]


def test_customers_enrol_update_identities_and_wishlist(node: EdgeNode) -> None:
    ann = node.customers.enrol(
        {"name": "Ann", "email": "Ann@Example.com", "consent_marketing": True}, consent_wording="kiosk-1"
    )
    assert ann.email == "ann@example.com" and ann.card and ann.consent_marketing
    assert node.customers.lookup("email", "ANN@example.com").customer_id == ann.customer_id
    with pytest.raises(Conflict, match="already belongs"):
        node.customers.enrol({"name": "Eve", "email": "ann@example.com"})
    with pytest.raises(Invalid):
        node.customers.enrol({"name": "Eve", "email": "not-an-email"})
    updated = node.customers.update(
        ann.customer_id, {"phone": "+44 20 7946 0000", "consent_marketing": False}, consent_wording="kiosk-2"
    )
    assert updated.consent_proof is not None and updated.consent_proof.wording_version == "kiosk-2"
    assert updated.phone == "+442079460000" and not updated.consent_marketing
    node.customers.set_wishlist(ann.customer_id, "22423", True)
    assert node.customers.wishlist(ann.customer_id).skus == ["22423"]
    node.customers.set_wishlist(ann.customer_id, "22423", False)
    assert node.customers.wishlist(ann.customer_id).skus == []
    with pytest.raises(NotFound):
        node.customers.set_wishlist(ann.customer_id, "NOPE", True)


def test_inbox_applies_contiguously_once_and_stops_at_gap(node: EdgeNode) -> None:
    customer = enrol(node)

    def entry(seq: int, points: int) -> Op:
        body = {"entry_id": f"online-{seq}", "customer_id": customer, "kind": "earn", "points": points,
                "ref": "web", "channel": "online", "store": "online", "at": "2026-09-20T10:00:00Z"}  # fmt: skip
        return Op("cloud", seq, f"00000000000{seq:02d}.0000.cloud", "loyalty.entry", body)

    assert node.inbox.apply("cloud", [entry(1, 10), entry(2, 20), entry(4, 40)]) == 2
    assert node.inbox.apply("cloud", [entry(1, 10), entry(2, 20)]) == 2  # re-delivery: no effect
    assert node.loyalty.view(customer).balance == 30
    assert node.inbox.apply("cloud", [entry(3, 30), entry(4, 40)]) == 4
    assert node.loyalty.view(customer).balance == 100
    assert node.inbox.high_water_mark("cloud") == 4


def test_inbox_batch_is_atomic_with_its_mark(node: EdgeNode) -> None:
    good = Op("cloud", 1, "0000000000001.0000.cloud", "stock.delta",
              {"sku": "85123A", "store": STORE, "zone": "floor", "qty": -1, "reason": "order", "ref": "W"})  # fmt: skip
    bad = Op("cloud", 2, "0000000000002.0000.cloud", "loyalty.entry", {"nonsense": True})
    from sync.errors import MalformedOp

    with pytest.raises(MalformedOp):
        node.inbox.apply("cloud", [good, bad])
    assert node.inbox.high_water_mark("cloud") == 0
    assert node.stock.levels("85123A").on_hand == 10


def test_customer_fields_last_writer_wins_by_hlc(node: EdgeNode) -> None:
    ann = enrol(node, name="Ann")
    old = Op(
        "cloud",
        1,
        "0000000000001.0000.cloud",
        "customer.upsert",
        {"customer_id": ann, "fields": {"name": "Old"}},
    )
    new = Op("cloud", 2, "9999999999999.0000.cloud", "customer.upsert",
             {"customer_id": ann, "fields": {"name": "Newest", "email": "n@example.com"}})  # fmt: skip
    node.inbox.apply("cloud", [old])
    assert node.customers.get(ann).name == "Ann"
    node.inbox.apply("cloud", [new])
    assert node.customers.get(ann).name == "Newest"
    assert node.customers.lookup("email", "n@example.com").customer_id == ann


def test_price_checkpoint_is_effective_dated(node: EdgeNode, wall: Wall) -> None:
    body = {"version": 3, "effective_from": "2026-09-22T00:00:00Z", "prices": [{"sku": "85123A", "cents": 199}],
            "promotions": [{"promo_id": "other-store", "sku": "85123A", "store": "store-9", "kind": "price",
                            "value": 1, "starts": "2000-01-01T00:00:00Z", "ends": "2100-01-01T00:00:00Z"}]}  # fmt: skip
    node.inbox.apply("cloud", [Op("cloud", 1, "0000000000001.0000.cloud", "price.checkpoint", body)])
    assert node.catalog.product("85123A").price_cents == 255
    wall.advance(2 * 86400)  # past midnight, still offline: the new price applies
    product = node.catalog.product("85123A")
    assert product.price_cents == 199 and product.promotion is None


def test_outbox_port_reads_and_acks(node: EdgeNode) -> None:
    last = node.outbox.last_seq()
    assert [op.seq for op in node.outbox.read_after(0, 1000)] == list(range(1, last + 1))
    node.outbox.mark_acked(2)
    node.outbox.mark_acked(1)
    assert node.outbox.acked_seq() == 2
    node.outbox.mark_acked(10_000)
    assert node.outbox.acked_seq() == last
    assert node.outbox.backlog() == 0


@pytest.mark.parametrize(
    "code",
    [
        "5901234123457",  # EAN-13, as printed
        "05901234123457",  # GTIN-14, as stored
        "(01)05901234123457",
        "0105901234123457",
        "]C10105901234123457\x1d10LOT7",
        "https://id.gs1.org/01/5901234123457",
        "https://example.com/shop/01/05901234123457/21/SER1?17=271231",
    ],
)
def test_gtin_lookup_by_every_form(node: EdgeNode, code: str) -> None:
    assert node.catalog.by_gtin(code).sku == "22423"


def test_search_finds_a_product_by_any_gtin_form(node: EdgeNode) -> None:
    for text in ("5901234123457", "(01)05901234123457", "https://id.gs1.org/01/5901234123457"):
        assert [p.sku for p in node.catalog.search(text)] == ["22423"]


def test_gtin_lookup_errors(node: EdgeNode) -> None:
    with pytest.raises(Invalid, match="check digit"):
        node.catalog.by_gtin("5901234123458")
    with pytest.raises(Invalid, match="not a GTIN"):
        node.catalog.by_gtin("22423")
    with pytest.raises(NotFound, match="04000000000006"):
        node.catalog.by_gtin("4000000000006")


def test_catalog_checkpoint_summary_and_balance_snapshot(node: EdgeNode) -> None:
    customer = enrol(node)
    give_points(node, customer, 40)
    catalog = {"version": 2, "items": [
        {"sku": "NEW1", "gtin": "4006381333931", "name": "New lamp", "category": "lighting", "attributes": {"w": 5}},
    ]}  # fmt: skip
    summary = {"store": "store-2", "items": [{"sku": "85123A", "qty": 7}]}
    balance = {"customer_id": customer, "balance": 500, "as_of_hlc": "9999999999998.0000.cloud"}
    node.inbox.apply(
        "cloud",
        [
            Op("cloud", 1, "0000000000001.0000.cloud", "catalog.checkpoint", catalog),
            Op("cloud", 2, "0000000000002.0000.cloud", "stock.summary", summary),
            Op("cloud", 3, "0000000000003.0000.cloud", "loyalty.balance", balance),
            Op("cloud", 4, "0000000000004.0000.cloud", "catalog.checkpoint", {"version": 1, "items": []}),
        ],
    )
    new = node.catalog.product("NEW1")
    assert (
        new.gtin == "04006381333931" and new.attributes
    )  # stored as GTIN-14 whatever form came == {"w": 5} and new.price_cents is None
    assert node.catalog.product("71053").gtin is None  # the GTIN moved to the new sku
    assert node.stock.levels("85123A").other_stores == {"store-2": 7}
    assert node.loyalty.view(customer).balance == 500
    with pytest.raises(Conflict, match="no price"):
        node.selling.sell(Basket([BasketLine("NEW1", 1)]))


def test_stock_levels_follow_the_fold_whatever_the_arrival_order(node: EdgeNode) -> None:
    late_old_delta = Op("cloud", 1, "0000000000005.0000.cloud", "stock.delta",
                        {"sku": "85123A", "store": STORE, "zone": "floor", "qty": -3, "reason": "order", "ref": "W"})  # fmt: skip
    node.inbox.apply("cloud", [late_old_delta])
    assert node.stock.levels("85123A").on_hand == 10  # older than the opening count: absorbed by it
    ahead = f"{int(START * 1000) + 5000:013d}.0000.cloud"
    count = Op(
        "cloud", 2, ahead, "stock.count", {"sku": "85123A", "store": STORE, "zone": "floor", "qty": 50}
    )
    node.inbox.apply("cloud", [count])
    assert node.stock.levels("85123A").on_hand == 50
    node.selling.sell(Basket([BasketLine("85123A", 2)]))  # the clock observed the count: the sale is after it
    assert node.stock.levels("85123A").on_hand == 48
    report = check(node.replica.reader(), STORE)
    assert report.ok, report.problems


def test_a_replica_held_by_another_process_is_a_clear_storage_error(node: EdgeNode) -> None:
    import sqlite3

    from edge.errors import StorageError

    other = sqlite3.connect(node.replica.path, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    node.replica._writer.execute("PRAGMA busy_timeout = 50")
    try:
        with pytest.raises(StorageError, match="busy"):
            node.selling.sell(Basket([BasketLine("85123A", 1)]))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert node.selling.sell(Basket([BasketLine("85123A", 1)])).total_cents == 255
