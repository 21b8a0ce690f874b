"""The shared pure business rules (sync.zones, sync.returns) on small exact cases."""

from __future__ import annotations

from sync.returns import points_for_return, refusal, remaining
from sync.zones import UNLOCATED, by_product, replace_book


def test_a_zone_count_replaces_only_its_zones_and_a_full_count_every_zone() -> None:
    book = {("X", "floor"): 6, ("X", "shelf-a"): 1, ("X", UNLOCATED): 2, ("Y", "backroom"): 3}
    counted = {("X", "shelf-a"): 4}
    partial = replace_book(book, counted, ["shelf-a", "backroom"], full_store=False)
    assert [(x.sku, x.zone, x.counted, x.book) for x in partial] == [
        ("X", "shelf-a", 4, 1),
        ("Y", "backroom", 0, 3),
    ]
    full = replace_book(
        book, {("X", "shelf-a"): 4, ("X", "backroom"): 5}, ["shelf-a", "backroom"], full_store=True
    )
    assert {(x.sku, x.zone): x.counted for x in full} == {
        ("X", "floor"): 0, ("X", UNLOCATED): 0, ("X", "shelf-a"): 4, ("X", "backroom"): 5, ("Y", "backroom"): 0,
    }  # fmt: skip
    assert [(p.sku, p.book, p.counted, p.differs) for p in by_product(full)] == [
        ("X", 9, 9, False),
        ("Y", 3, 0, True),
    ]


def test_returnable_and_points_never_above_what_was_sold_and_earned() -> None:
    sold = {"A": 2, "B": 1}
    assert refusal("R1", sold, {"A": 2}, {"A": 1}) == "A on receipt R1 was already returned"
    assert refusal("R1", sold, {"A": 1}, {"A": 2}) == "only 1 × A left to return on receipt R1"
    assert refusal("R1", sold, {}, {"C": 1}) == "C is not on receipt R1"
    assert refusal("R1", sold, {"A": 1}, {"A": 1, "B": 1}) is None
    assert remaining(sold, {"A": 1}) == {"A": 1, "B": 1}
    value, total, earned = {"A": 1000, "B": 1200}, 2200, 22
    # two stores each take back one A, one not knowing of the other's return: 5 + 5, never twice 10
    first = points_for_return(
        earned, total, value=value, sold=sold, before={}, after={"A": 1}, reversed_known=0
    )
    second = points_for_return(
        earned, total, value=value, sold=sold, before={}, after={"A": 1}, reversed_known=0
    )
    assert (first, second) == (5, 5)
    last = points_for_return(earned, total, value=value, sold=sold, before={"A": 2}, after={"A": 2, "B": 1},
                             reversed_known=first + second)  # fmt: skip
    assert first + second + last == earned
    assert points_for_return(earned, total, value=value, sold=sold, before={}, after={"A": 2, "B": 1},
                             reversed_known=20) == 2  # fmt: skip
