"""Sparse item-item weights: exact against the dense forms on small catalogs, bounded at scale."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import onnxruntime as ort
import pytest
import scipy.sparse as sp

import models.itemitem as itemitem
from models.data import Purchases
from models.ease import ease_weights
from models.history import basket_counts, binary, history_lists
from models.itemitem import Pairs, head_items, top_per_row
from models.itemknn import ItemKNN
from models.onnx_export import to_onnx_bytes
from models.repeat_aware import _month_pair, fit_parts
from models.split import month_start
from models.synthetic import CatalogShape, synthetic_history


def _dense_prune(weights: np.ndarray, keep: int) -> np.ndarray:
    """The dense pruning the model used before (each row's ``keep`` largest magnitudes)."""
    cut = np.argpartition(-np.abs(weights), keep - 1, axis=1)[:, :keep]
    out = np.zeros_like(weights)
    np.put_along_axis(out, cut, np.take_along_axis(weights, cut, axis=1), axis=1)
    return out


def _dense_ridge(train: Purchases, lam: float, months: int) -> np.ndarray:
    """W = (Σ XᵀX + λI)⁻¹ Σ XᵀY over the month starts, densely (the previous implementation)."""
    n = train.n_items
    gram, cross = np.zeros((n, n)), np.zeros((n, n))
    cut, used = month_start(train.span()[1]), 0
    while used < months and cut > train.span()[0]:
        x, y = _month_pair(train, cut)
        if x.shape[0]:
            gram += (x.T @ x).toarray()
            cross += (x.T @ y).toarray()
            used += 1
        cut = month_start(cut - timedelta(days=1))
    return np.linalg.solve(gram + lam * np.eye(n), cross)


@pytest.fixture(scope="module")
def small() -> Purchases:
    return synthetic_history(CatalogShape(items=300, customers=400, months=5, category_size=10, seed=3))


def test_sparse_pruning_keeps_what_the_dense_pruning_keeps() -> None:
    rng = np.random.default_rng(0)
    dense = rng.normal(size=(50, 80)) * (rng.random((50, 80)) < 0.6)
    for keep in (1, 7, 80):
        sparse = top_per_row(sp.csr_matrix(dense), keep).toarray()
        assert np.array_equal(sparse, _dense_prune(dense, keep).astype(np.float32))
        assert np.array_equal(itemitem.top_per_dense_row(dense, keep).toarray(), sparse)


def test_ridge_is_the_dense_solve_when_the_catalog_fits_the_head(small: Purchases) -> None:
    expected = _dense_ridge(small, 50.0, 3)
    parts = fit_parts(small, 50.0, 3)
    assert np.allclose(parts.next_month.toarray(), expected, atol=1e-6)
    pruned = fit_parts(small, 50.0, 3, keep=12).next_month.toarray()
    assert np.allclose(pruned, _dense_prune(expected, 12), atol=1e-6)
    assert np.diff(fit_parts(small, 50.0, 3, keep=12).next_month.indptr).max() <= 12


def test_beyond_the_head_the_weights_take_the_shrunk_diagonal_form(
    small: Purchases, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = binary(basket_counts(small))
    xd = x.toarray().astype(np.float64)
    gram = xd.T @ xd
    lam, head = 20.0, 60
    chosen = head_items(np.diag(gram), head)
    monkeypatch.setattr(itemitem, "BLOCK_PAIRS", 500)  # many row blocks
    assert len(Pairs([x], [x]).row_blocks()) > 5
    b = ease_weights(x, lam, head=head).toarray()
    # the head block is EASE on the head items alone
    assert np.allclose(
        b[np.ix_(chosen, chosen)], ease_weights(x[:, chosen], lam, head=head).toarray(), atol=1e-6
    )
    tail = np.ones(small.n_items, dtype=bool)
    tail[chosen] = False
    diagonal = itemitem.TAIL_SHRINK * gram / (np.diag(gram) + lam)[:, None]
    np.fill_diagonal(diagonal, 0.0)
    assert np.allclose(b[tail], diagonal[tail], atol=1e-6)
    assert np.allclose(
        b[np.ix_(chosen, np.flatnonzero(tail))], diagonal[np.ix_(chosen, np.flatnonzero(tail))], atol=1e-6
    )
    # EASE over the whole catalog when it fits the head: blocks change nothing
    assert np.allclose(ease_weights(x, lam).toarray(), ease_weights(x, lam, head=10_000).toarray())


def test_item_knn_blockwise_equals_one_block(small: Purchases, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = ItemKNN(neighbours=8)
    whole.fit(small)
    monkeypatch.setattr(itemitem, "BLOCK_PAIRS", 300)
    blocks = ItemKNN(neighbours=8)
    blocks.fit(small)
    assert np.allclose(whole.similarity.toarray(), blocks.similarity.toarray())


def test_a_zipf_catalog_serves_from_neighbour_lists_of_fixed_width() -> None:
    p = synthetic_history(CatalogShape(items=3000, customers=800, months=4, seed=5))
    parts = fit_parts(p, 100.0, 2, keep=20, head=300)
    scorer = parts.scorer(beta=0.25, cross=12.0, trend=0.0)
    assert scorer.width <= 20 and scorer.n_items == 3000
    onnx_bytes = to_onnx_bytes(scorer)
    assert len(onnx_bytes) < 3001 * 20 * 8 + 3001 * 8 + 4096  # items × keep, never items²
    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    counts = basket_counts(p)
    rows = np.flatnonzero(np.diff(counts.indptr) > 0)[:20]
    expected = scorer.score(counts[rows])
    for history, row in zip(history_lists(counts, rows), expected, strict=True):
        items, scores = session.run(
            None, {"history": history, "exclude": np.zeros(0, np.int64), "k": np.array([10], np.int64)}
        )
        assert np.allclose(scores, np.sort(row)[::-1][:10], rtol=1e-5, atol=1e-5)
        assert np.allclose(row[items], scores, rtol=1e-5, atol=1e-5)
