"""Time split: train on everything before the last month, test on that month.

The test set is the last calendar month's purchases of customers already seen in training; each
test customer's target is every distinct product they bought that month (repeat purchases count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from models.data import IntArray, Purchases
from models.errors import DataError


@dataclass(frozen=True)
class Split:
    """``train`` is compacted (its own item/customer vocabularies).

    ``customers[i]`` is a train customer index; ``targets[i]`` the train-vocabulary items they bought
    in the test month; ``target_sizes[i]`` counts all their distinct test items, including products
    unknown to training (no model can recommend those, but they are part of the demand).
    """

    train: Purchases
    test_start: datetime
    test_end: datetime
    customers: IntArray
    targets: list[IntArray]
    target_sizes: IntArray


def month_start(at: datetime) -> datetime:
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def next_month(at: datetime) -> datetime:
    return datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=UTC)


def last_month_split(purchases: Purchases) -> Split:
    """Hold out the calendar month of the latest purchase."""
    if len(purchases) == 0:
        raise DataError("cannot split an empty purchase history")
    _, last = purchases.span()
    test_start = month_start(last)
    test_end = next_month(test_start)
    train = purchases.between(None, test_start).compact()
    test = purchases.between(test_start, test_end)
    if len(train) == 0 or len(test) == 0:
        raise DataError("split needs purchases both before and inside the last month")
    train_cust = {c: i for i, c in enumerate(train.customers)}
    train_sku = {s: i for i, s in enumerate(train.skus)}
    bought: dict[int, set[str]] = {}
    for cust, item in zip(test.customer.tolist(), test.item.tolist(), strict=True):
        if cust < 0:
            continue
        ix = train_cust.get(test.customers[cust])
        if ix is not None:
            bought.setdefault(ix, set()).add(test.skus[item])
    if not bought:
        raise DataError("no test-month customer was seen in training")
    customers = np.array(sorted(bought), dtype=np.int64)
    targets = [
        np.array(sorted(train_sku[s] for s in bought[int(c)] if s in train_sku), dtype=np.int64)
        for c in customers
    ]
    sizes = np.array([len(bought[int(c)]) for c in customers], dtype=np.int64)
    return Split(train, test_start, test_end, customers, targets, sizes)


def validation_split(purchases: Purchases) -> Split:
    """The split one month earlier: test on the month before the last, train on what precedes it."""
    _, last = purchases.span()
    return last_month_split(purchases.between(None, month_start(last)))


def mask_of(items: IntArray, n_items: int) -> npt.NDArray[np.bool_]:
    mask = np.zeros(n_items, dtype=bool)
    mask[items] = True
    return mask
