"""Ranking metrics on hand-computed cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.metrics import evaluate, top_k


def test_hand_made_case() -> None:
    recommended = np.array([[1, 2, 3], [4, 5, 6]])
    targets = [np.array([2, 9]), np.array([7])]
    m = evaluate(recommended, targets, n_items=10)
    assert m.hr == pytest.approx(0.5)
    assert m.recall == pytest.approx((1 / 2 + 0) / 2)
    # user 0: hit at rank 2 -> 1/log2(3); ideal for 2 targets in top 3 -> 1 + 1/log2(3)
    assert m.ndcg == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)) / 2)
    assert m.coverage == pytest.approx(6 / 10)


def test_perfect_and_demand_beyond_the_catalog() -> None:
    recommended = np.array([[3, 1]])
    assert evaluate(recommended, [np.array([1, 3])], n_items=4).ndcg == pytest.approx(1.0)
    # two more demanded items the model could not know: recall halves, ideal DCG still capped at k
    m = evaluate(recommended, [np.array([1, 3])], n_items=4, target_sizes=np.array([4]))
    assert m.recall == pytest.approx(0.5)
    assert m.ndcg == pytest.approx(1.0)


def test_bad_input() -> None:
    with pytest.raises(ValueError):
        evaluate(np.array([[1]]), [np.array([1]), np.array([2])], n_items=3)
    with pytest.raises(ValueError):
        evaluate(np.array([[1]]), [np.array([], dtype=np.int64)], n_items=3)


def test_top_k_orders_and_breaks_ties_by_index() -> None:
    scores = np.array([[0.1, 0.9, 0.5, 0.9], [1.0, 0.0, 0.0, 2.0]], dtype=np.float32)
    assert top_k(scores, 3).tolist() == [[1, 3, 2], [3, 0, 1]]
    assert top_k(scores, 10).shape == (2, 4)
