"""Customer histories as count matrices: how many distinct baskets of each customer hold each item."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from models.data import IntArray, Purchases


def basket_counts(purchases: Purchases) -> sp.csr_matrix:
    """(customers × items) number of distinct baskets per customer and item; anonymous lines ignored."""
    known = purchases.customer >= 0
    # a basket belongs to one customer: distinct (basket, item) pairs are the distinct triples
    key = purchases.basket[known] * max(purchases.n_items, 1) + purchases.item[known]
    _, first = np.unique(key, return_index=True)
    matrix = sp.csr_matrix(
        (
            np.ones(len(first), dtype=np.float32),
            (purchases.customer[known][first], purchases.item[known][first]),
        ),
        shape=(purchases.n_customers, purchases.n_items),
    )
    matrix.sum_duplicates()
    return matrix


def history_lists(counts: sp.csr_matrix, rows: IntArray) -> list[IntArray]:
    """The edge-side form of a history: each item index repeated once per basket that held it."""
    out = []
    for row in rows.tolist():
        start, end = counts.indptr[row], counts.indptr[row + 1]
        out.append(
            np.repeat(counts.indices[start:end].astype(np.int64), counts.data[start:end].astype(np.int64))
        )
    return out


def counts_from_lists(histories: Sequence[IntArray], n_items: int) -> sp.csr_matrix:
    """Inverse of :func:`history_lists`: repeated indices become counts."""
    rows = np.concatenate(
        [np.full(len(h), i, dtype=np.int64) for i, h in enumerate(histories)] or [np.zeros(0, np.int64)]
    )
    cols = np.concatenate([np.asarray(h, dtype=np.int64) for h in histories] or [np.zeros(0, np.int64)])
    if cols.size and (cols.min() < 0 or cols.max() >= n_items):
        raise ValueError("history item index out of range")
    matrix = sp.csr_matrix(
        (np.ones(len(cols), dtype=np.float32), (rows, cols)), shape=(len(histories), n_items)
    )
    matrix.sum_duplicates()
    return matrix


def binary(counts: sp.csr_matrix) -> sp.csr_matrix:
    out = counts.copy()
    out.data[:] = 1.0
    return out
