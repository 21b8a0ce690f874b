"""Sale history as purchases: baskets by receipt, customers, products.

Two entry points feed one builder:

* :func:`read_online_retail` turns the UCI Online Retail CSV into neutral :class:`SaleRow` s;
* any store (edge replica, cloud hub) can yield :class:`SaleRow` s itself.

:func:`build_purchases` then drops non-product lines, nets returns against the same customer's
earlier purchases of the same product, and indexes what remains into numpy arrays.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from models.errors import DataError

# Lines that are not merchandise: postage, carriage, manual adjustments, discounts, samples, fees,
# charity commission, bad-debt adjustments, and gift vouchers (matched by prefix below).
NON_PRODUCT_CODES = frozenset(
    {"POST", "DOT", "M", "D", "C2", "S", "B", "BANK CHARGES", "AMAZONFEE", "CRUK", "PADS"}
)
NON_PRODUCT_PREFIXES = ("GIFT_",)

IntArray = npt.NDArray[np.int64]
RETAIL_COLUMNS = ("InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID")


@dataclass(frozen=True, slots=True)
class SaleRow:
    """One line of a receipt. ``qty`` < 0 is a return of that many units.

    ``customer_id`` is None for anonymous sales; ``at`` is timezone-aware UTC (naive = UTC).
    """

    customer_id: str | None
    basket_id: str
    sku: str
    qty: int
    at: datetime


def is_product(sku: str) -> bool:
    code = sku.strip().upper()
    return bool(code) and code not in NON_PRODUCT_CODES and not code.startswith(NON_PRODUCT_PREFIXES)


def _utc_seconds(at: datetime) -> int:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return int(at.timestamp())


def read_online_retail(path: Path) -> Iterator[SaleRow]:
    """Yield the sale rows of the Online Retail CSV (plain or ``.gz``).

    Cancellation invoices (``C…``) become negative quantities (returns); adjustment invoices
    (``A…``), zero-price lines and negative quantities outside a cancellation (stock write-offs)
    are not sales and are skipped. Non-product lines are left for :func:`build_purchases`.
    """
    if not path.exists():
        raise DataError(f"sale history not found: {path}")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
            reader = csv.reader(text)
            header = next(reader, [])
            missing = [c for c in RETAIL_COLUMNS if c not in header]
            if missing:
                raise DataError(f"{path.name}: missing columns {missing}")
            cols = [header.index(c) for c in RETAIL_COLUMNS]
            for line, rec in enumerate(reader, start=2):
                row = _parse_retail_record([rec[i] for i in cols], path.name, line)
                if row is not None:
                    yield row
    except (OSError, EOFError, UnicodeDecodeError, csv.Error, IndexError) as err:
        raise DataError(f"cannot read {path}: {err!r}") from err


def _parse_retail_record(rec: list[str], name: str, line: int) -> SaleRow | None:
    invoice, code, quantity, date, unit_price, customer = rec
    try:
        qty = int(quantity)
        price = float(unit_price)
        at = datetime.fromisoformat(date.strip()).replace(tzinfo=UTC)
    except ValueError as err:
        raise DataError(f"{name}:{line}: {err}") from err
    kind = invoice[:1].upper()
    if kind == "A" or price <= 0 or qty == 0:
        return None
    if kind == "C":
        qty = -abs(qty)
    elif qty < 0:
        return None
    customer = customer.strip()
    if customer.endswith(".0"):
        customer = customer[:-2]
    return SaleRow(customer or None, invoice.strip(), code.strip(), qty, at)


@dataclass(frozen=True)
class CleaningStats:
    rows: int = 0
    non_product: int = 0
    returns_netted: int = 0
    returns_unmatched: int = 0


@dataclass(frozen=True)
class Purchases:
    """Net purchase lines, sorted by time. Index arrays point into the vocabularies.

    ``customer`` is -1 for anonymous lines. Every line has ``qty`` > 0 after netting.
    """

    skus: tuple[str, ...]
    customers: tuple[str, ...]
    baskets: tuple[str, ...]
    item: IntArray
    customer: IntArray
    basket: IntArray
    qty: IntArray
    at: IntArray
    stats: CleaningStats = field(default_factory=CleaningStats)

    def __len__(self) -> int:
        return int(self.item.shape[0])

    @property
    def n_items(self) -> int:
        return len(self.skus)

    @property
    def n_customers(self) -> int:
        return len(self.customers)

    def span(self) -> tuple[datetime, datetime]:
        if len(self) == 0:
            raise DataError("no purchases")
        return (
            datetime.fromtimestamp(int(self.at[0]), UTC),
            datetime.fromtimestamp(int(self.at[-1]), UTC),
        )

    def select(self, mask: npt.NDArray[np.bool_]) -> Purchases:
        """The lines where ``mask`` holds, with the same vocabularies."""
        return Purchases(
            self.skus,
            self.customers,
            self.baskets,
            self.item[mask],
            self.customer[mask],
            self.basket[mask],
            self.qty[mask],
            self.at[mask],
            self.stats,
        )

    def between(self, start: datetime | None, end: datetime | None) -> Purchases:
        """Lines with ``start <= at < end`` (either bound may be open)."""
        mask = np.ones(len(self), dtype=bool)
        if start is not None:
            mask &= self.at >= _utc_seconds(start)
        if end is not None:
            mask &= self.at < _utc_seconds(end)
        return self.select(mask)

    def compact(self) -> Purchases:
        """Same lines, vocabularies reduced to what they use (items keep first-seen order)."""
        items, item = _reindex(self.item)
        custs, cust = _reindex(self.customer[self.customer >= 0])
        customer = np.full(len(self), -1, dtype=np.int64)
        customer[self.customer >= 0] = cust
        bask, basket = _reindex(self.basket)
        return Purchases(
            tuple(self.skus[i] for i in items),
            tuple(self.customers[i] for i in custs),
            tuple(self.baskets[i] for i in bask),
            item,
            customer,
            basket,
            self.qty,
            self.at,
            self.stats,
        )


def _reindex(codes: IntArray) -> tuple[list[int], IntArray]:
    uniq, first = np.unique(codes, return_index=True)
    order = uniq[np.argsort(first, kind="stable")]
    lookup = {int(old): new for new, old in enumerate(order)}
    return [int(o) for o in order], np.fromiter((lookup[int(c)] for c in codes), np.int64, len(codes))


def build_purchases(rows: Iterable[SaleRow]) -> Purchases:
    """Clean and index sale rows.

    Non-product lines are dropped. A return (``qty`` < 0) reduces the same customer's most recent
    earlier purchases of that sku; returns with no such purchase (anonymous, or bought before the
    history starts) are dropped. Lines whose net quantity reaches 0 disappear.
    """
    n_rows = 0
    non_product = 0
    kept: list[SaleRow] = []
    for row in rows:
        n_rows += 1
        if not is_product(row.sku):
            non_product += 1
            continue
        if row.qty != 0:
            kept.append(row)
    kept.sort(key=lambda r: _utc_seconds(r.at))
    net = [row.qty for row in kept]
    open_lines: dict[tuple[str, str], list[int]] = defaultdict(list)
    netted = unmatched = 0
    for pos, row in enumerate(kept):
        key = (row.customer_id or "", row.sku)
        if row.qty > 0:
            if row.customer_id is not None:
                open_lines[key].append(pos)
            continue
        to_return = -row.qty
        stack = open_lines.get(key, []) if row.customer_id is not None else []
        while to_return > 0 and stack:
            last = stack[-1]
            taken = min(net[last], to_return)
            net[last] -= taken
            to_return -= taken
            if net[last] == 0:
                stack.pop()
        if to_return < -row.qty:
            netted += 1
        else:
            unmatched += 1
        net[pos] = 0
    sku_ix: dict[str, int] = {}
    cust_ix: dict[str, int] = {}
    basket_ix: dict[str, int] = {}
    cols: list[tuple[int, int, int, int, int]] = []
    for row, qty in zip(kept, net, strict=True):
        if qty <= 0:
            continue
        item = sku_ix.setdefault(row.sku, len(sku_ix))
        cust = -1 if row.customer_id is None else cust_ix.setdefault(row.customer_id, len(cust_ix))
        basket = basket_ix.setdefault(row.basket_id, len(basket_ix))
        cols.append((item, cust, basket, qty, _utc_seconds(row.at)))
    arr = np.array(cols, dtype=np.int64).reshape(-1, 5)
    return Purchases(
        tuple(sku_ix),
        tuple(cust_ix),
        tuple(basket_ix),
        arr[:, 0].copy(),
        arr[:, 1].copy(),
        arr[:, 2].copy(),
        arr[:, 3].copy(),
        arr[:, 4].copy(),
        CleaningStats(n_rows, non_product, netted, unmatched),
    )


def load_online_retail(path: Path) -> Purchases:
    return build_purchases(read_online_retail(path))
