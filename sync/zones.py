"""Stock zones: how a count session over a set of zones replaces the book (one rule, both sides).

The book of a store is stock per (sku, zone) = last count + deltas after it in HLC order
(:mod:`sync.fold`). Zones are the places the readers and people count (``shelf-a``,
``backroom``…), plus:

* ``unlocated`` (:data:`UNLOCATED`): stock whose place nobody gave (a delivery received without a
  location). It is part of on-hand, and a full-store count reconciles it;
* any other zone the book holds but no count covers (e.g. opening stock loaded into ``floor``).

A count session over zones Z writes one ``stock.count`` per (sku, zone) it replaces:

* every zone in Z, for every sku counted there or booked there (0 when booked but not seen);
* a **full-store** session also replaces every other zone the book holds a quantity in (0: the
  units are where the count found them), so after it on-hand equals the count exactly.

Discrepancies are judged per product over the session's scope: the book of every zone replaced
vs what was counted. Units found on another shelf than booked are a relocation, not a discrepancy.
The hub's stock-accuracy report applies the same rule to the ``stock.count`` ops of a session.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

UNLOCATED = "unlocated"

Cell = tuple[str, str]  # (sku, zone)


@dataclass(frozen=True, slots=True)
class CountLine:
    sku: str
    zone: str
    counted: int
    book: int


@dataclass(frozen=True, slots=True)
class ProductCount:
    sku: str
    counted: int
    book: int

    @property
    def differs(self) -> bool:
        return self.counted != self.book


def replace_book(
    book: Mapping[Cell, int], counted: Mapping[Cell, int], zones: Collection[str], *, full_store: bool
) -> list[CountLine]:
    """The counts a session writes, in (sku, zone) order, each with the book it replaces."""
    scope = set(zones)
    cells = {cell for cell in counted if cell[1] in scope}
    cells |= {cell for cell, qty in book.items() if cell[1] in scope and qty != 0}
    if full_store:
        cells |= {cell for cell, qty in book.items() if qty != 0}
        cells |= set(counted)
    return [
        CountLine(sku, zone, int(counted.get((sku, zone), 0)), int(book.get((sku, zone), 0)))
        for sku, zone in sorted(cells)
    ]


def by_product(lines: Collection[CountLine]) -> list[ProductCount]:
    """Book vs counted per product over the zones the session replaced."""
    totals: dict[str, list[int]] = {}
    for line in lines:
        acc = totals.setdefault(line.sku, [0, 0])
        acc[0] += line.counted
        acc[1] += line.book
    return [ProductCount(sku, c, b) for sku, (c, b) in sorted(totals.items())]
