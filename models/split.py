"""Time split: train on everything before the last complete month, test on that month.

A month is complete when the history reaches its last day (a file ending on 9 December tests on
November, not on 9 days of December; what comes after the test month is left out). Each window is
netted on its own: a return made in the test month never rewrites the training history, and a
test-month purchase returned within the month is not demand. The test set is the test month's
purchases of customers already seen in training; each test customer's target is every distinct
product they bought that month (repeat purchases count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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


def last_complete_month(last: datetime) -> datetime:
    """Start of the latest calendar month the history covers to its last day, given the time of
    the latest purchase."""
    start = month_start(last)
    if (last + timedelta(days=1)).month != last.month:
        return start
    return month_start(start - timedelta(days=1))


def last_month_split(purchases: Purchases) -> Split:
    """Hold out the last complete calendar month."""
    if len(purchases) == 0:
        raise DataError("cannot split an empty purchase history")
    return month_split(purchases, last_complete_month(purchases.span()[1]))


def validation_split(purchases: Purchases) -> Split:
    """The split one month earlier: test on the complete month before the test month, train on
    what precedes it."""
    if len(purchases) == 0:
        raise DataError("cannot split an empty purchase history")
    test_start = last_complete_month(purchases.span()[1])
    return month_split(purchases, month_start(test_start - timedelta(days=1)))


def _window(purchases: Purchases, start: datetime | None, end: datetime) -> Purchases:
    """Lines of ``[start, end)`` netted within the window when the ledger is known (histories
    built from sale rows); synthetic purchase arrays carry no returns to net."""
    if purchases.ledger is not None:
        return purchases.ledger.window(start, end)
    return purchases.between(start, end)


def month_split(purchases: Purchases, test_start: datetime) -> Split:
    """Test on the calendar month starting at ``test_start``, train on everything before it."""
    test_end = next_month(test_start)
    train = _window(purchases, None, test_start).compact()
    test = _window(purchases, test_start, test_end)
    if len(train) == 0 or len(test) == 0:
        raise DataError(
            f"split needs purchases both before and inside {test_start:%Y-%m} (a complete month): "
            "give a longer sale history"
        )
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


def mask_of(items: IntArray, n_items: int) -> npt.NDArray[np.bool_]:
    mask = np.zeros(n_items, dtype=bool)
    mask[items] = True
    return mask
