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
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
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
# The UCI Online Retail file's full header, and the stock codes that are products (not POST, DOT, M,
# fees, vouchers): shared by the hub's import adapter and the edge's developer seed.
ONLINE_RETAIL_HEADER = (
    "InvoiceNo",
    "StockCode",
    "Description",
    "Quantity",
    "InvoiceDate",
    "UnitPrice",
    "CustomerID",
    "Country",
)
ONLINE_RETAIL_PRODUCT_CODE = re.compile(r"^(\d{5}[A-Za-z]{0,3}|DCGS[A-Z0-9]+)$")


def online_retail_category(description: str) -> str:
    """The file has no categories: the last word of three letters or more of the description
    ("WHITE HANGING HEART T-LIGHT HOLDER" -> "holder"), else "other"."""
    words = [w for w in re.split(r"[^A-Z]+", description.upper()) if len(w) > 2]
    return words[-1].lower() if words else "other"


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
    ledger: SaleLedger | None = field(default=None, repr=False, compare=False)
    """Where these lines came from, when built from sale rows (see :meth:`SaleLedger.window`)."""

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
        """Same lines, vocabularies reduced to what they use (items keep first-seen order). The
        ledger, if any, keeps its own vocabularies (a split maps windows by sku and customer id)."""
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
            self.ledger,
        )


def _reindex(codes: IntArray) -> tuple[list[int], IntArray]:
    uniq, first = np.unique(codes, return_index=True)
    order = uniq[np.argsort(first, kind="stable")]
    if not len(order):
        return [], np.zeros(0, dtype=np.int64)
    rank = np.zeros(int(order.max()) + 1, dtype=np.int64)
    rank[order] = np.arange(len(order))
    return order.tolist(), rank[codes]


@dataclass(frozen=True)
class SaleLedger:
    """Gross purchase lines and how each return was netted against them.

    ``lines`` holds every customer or anonymous purchase line with its bought quantity;
    ``netted_line[j]`` lost ``netted_qty[j]`` units to a return made at ``netted_at[j]``. A return
    nets against the same customer's most recent earlier purchases (last in, first out), so
    its allocation depends only on what happened before it: keeping the allocations of the
    returns made in a window gives the history as it was known in that window.
    """

    lines: Purchases
    netted_line: IntArray
    netted_qty: IntArray
    netted_at: IntArray

    def window(self, start: datetime | None = None, end: datetime | None = None) -> Purchases:
        """Purchases made in ``[start, end)`` net of the returns made in the same window; a
        return made later (or of a purchase made earlier) does not touch them. Vocabularies are
        the ledger's."""
        lo = -(2**62) if start is None else _utc_seconds(start)
        hi = 2**62 if end is None else _utc_seconds(end)
        returned = (self.netted_at >= lo) & (self.netted_at < hi)
        qty = self.lines.qty.copy()
        np.subtract.at(qty, self.netted_line[returned], self.netted_qty[returned])
        keep = (qty > 0) & (self.lines.at >= lo) & (self.lines.at < hi)
        p = self.lines
        return replace(
            p,
            item=p.item[keep],
            customer=p.customer[keep],
            basket=p.basket[keep],
            qty=qty[keep],
            at=p.at[keep],
            ledger=self,
        )


def build_ledger(rows: Iterable[SaleRow]) -> SaleLedger:
    """Drop non-product lines, index purchases and net returns (see :func:`build_purchases`)."""
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
    remaining = [row.qty for row in kept]
    open_lines: dict[tuple[str, str], list[int]] = defaultdict(list)
    allocations: list[tuple[int, int, int]] = []  # (position in kept, units, return time)
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
            taken = min(remaining[last], to_return)
            remaining[last] -= taken
            to_return -= taken
            allocations.append((last, taken, _utc_seconds(row.at)))
            if remaining[last] == 0:
                stack.pop()
        if to_return < -row.qty:
            netted += 1
        else:
            unmatched += 1
    sku_ix: dict[str, int] = {}
    cust_ix: dict[str, int] = {}
    basket_ix: dict[str, int] = {}
    line_of: dict[int, int] = {}
    cols: list[tuple[int, int, int, int, int]] = []
    for pos, row in enumerate(kept):
        if row.qty <= 0:
            continue
        line_of[pos] = len(cols)
        item = sku_ix.setdefault(row.sku, len(sku_ix))
        cust = -1 if row.customer_id is None else cust_ix.setdefault(row.customer_id, len(cust_ix))
        basket = basket_ix.setdefault(row.basket_id, len(basket_ix))
        cols.append((item, cust, basket, row.qty, _utc_seconds(row.at)))
    arr = np.array(cols, dtype=np.int64).reshape(-1, 5)
    alloc = np.array([(line_of[p], q, t) for p, q, t in allocations], dtype=np.int64).reshape(-1, 3)
    lines = Purchases(
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
    return SaleLedger(lines, alloc[:, 0].copy(), alloc[:, 1].copy(), alloc[:, 2].copy())


def build_purchases(rows: Iterable[SaleRow]) -> Purchases:
    """Clean and index sale rows.

    Non-product lines are dropped. A return (``qty`` < 0) reduces the same customer's most recent
    earlier purchases of that sku; returns with no such purchase (anonymous, or bought before the
    history starts) are dropped. Lines whose net quantity reaches 0 disappear, and so do products
    and customers left without a line. The result keeps its :class:`SaleLedger`, so a time split
    can net each window on its own.
    """
    return build_ledger(rows).window().compact()


def load_online_retail(path: Path) -> Purchases:
    return build_purchases(read_online_retail(path))
