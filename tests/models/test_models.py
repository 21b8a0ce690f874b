"""Model correctness on small synthetic data, and the comparison on the real split."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from models.data import Purchases
from models.ease import Ease, ease_weights
from models.evaluation import evaluate_model
from models.history import basket_counts, binary, counts_from_lists, history_lists
from models.itemknn import ItemKNN
from models.metrics import evaluate, top_k
from models.popularity import Popularity
from models.repeat_aware import RepeatAware, RepeatParts
from models.search import Grid, RepeatParams
from models.split import Split, last_month_split
from tests.models.conftest import synthetic_purchases


def test_ease_matches_the_constrained_least_squares_definition() -> None:
    rng = np.random.default_rng(3)
    x = sp.csr_matrix((rng.random((40, 6)) < 0.4).astype(np.float32))
    lam = 2.0
    b = ease_weights(x, lam).toarray()
    assert np.allclose(np.diag(b), 0)
    # Column j of B solves min ||X_j - X_{-j} b||² + λ||b||² over the other items (diag fixed to 0).
    dense = x.toarray().astype(np.float64)
    for j in range(6):
        others = [i for i in range(6) if i != j]
        a = dense[:, others]
        expected = np.linalg.solve(a.T @ a + lam * np.eye(5), a.T @ dense[:, j])
        assert np.allclose(b[others, j], expected, atol=1e-4)


def test_item_knn_cosine_on_a_tiny_matrix() -> None:
    from models.data import SaleRow, build_purchases
    from tests.models.conftest import T0

    rows = [
        SaleRow("u1", "b1", "i0", 1, T0),
        SaleRow("u1", "b1", "i1", 1, T0),
        SaleRow("u2", "b2", "i0", 1, T0),
        SaleRow("u2", "b2", "i1", 1, T0),
        SaleRow("u3", "b3", "i0", 1, T0),
        SaleRow("u3", "b3", "i2", 1, T0),
    ]
    p = build_purchases(rows)
    knn = ItemKNN(neighbours=5, shrink=0.0)
    knn.fit(p)
    sim = knn.similarity.toarray()
    # i0 bought by 3, i1 by 2 (both with i0), i2 by 1: cos(i0,i1)=2/sqrt(6), cos(i0,i2)=1/sqrt(3)
    assert sim[0, 1] == pytest.approx(2 / np.sqrt(6), rel=1e-5)
    assert sim[0, 2] == pytest.approx(1 / np.sqrt(3), rel=1e-5)
    assert sim[1, 2] == 0 and sim[0, 0] == 0


def _half(p: Purchases, item: int) -> int:
    return int(p.skus[item][3:]) // (len(p.skus) // 2)


@pytest.mark.parametrize("model", [Ease(lam=5.0), ItemKNN(neighbours=6), RepeatAware(lam=5.0, months=2)])
def test_models_learn_the_taste_groups(model: Ease | ItemKNN | RepeatAware) -> None:
    p = synthetic_purchases()
    split = last_month_split(p)
    model.fit(split.train)
    counts = basket_counts(split.train)[split.customers]
    scores = model.score(counts)
    for row, customer in zip(scores, split.customers, strict=True):
        group = int(split.train.customers[customer][1:]) % 2
        top = np.argsort(-row)[:3]
        assert all(_half(split.train, int(i)) == group for i in top)
    assert evaluate_model(model, split).hr > 0.9


def test_repeat_aware_ranks_what_a_customer_keeps_buying() -> None:
    p = synthetic_purchases()
    model = RepeatAware(lam=5.0, months=2, beta=0.5, cross=0.0)
    model.fit(p)
    counts = counts_from_lists([np.array([2, 2, 2, 4])], p.n_items)
    assert int(np.argmax(model.score(counts)[0])) == 2


def test_history_lists_round_trip() -> None:
    p = synthetic_purchases()
    counts = basket_counts(p)
    rows = np.arange(counts.shape[0])
    again = counts_from_lists(history_lists(counts, rows), p.n_items)
    assert (again != counts).nnz == 0
    assert (binary(counts).data == 1).all()


def test_popularity_and_quality_on_the_real_split(retail_split: Split, retail_parts: RepeatParts) -> None:
    split = retail_split
    pop = Popularity()
    pop.fit(split.train)
    baseline = evaluate_model(pop, split)
    counts = basket_counts(split.train)[split.customers]
    default = RepeatParams()
    scorer = retail_parts.scorer(beta=default.beta, cross=default.cross, trend=default.trend)
    ours = evaluate(top_k(scorer.score(counts), 10), split.targets, split.train.n_items, split.target_sizes)
    assert 0.3 < baseline.hr < 0.7
    assert ours.ndcg > 3 * baseline.ndcg
    assert ours.hr > 0.7


def test_default_parameters_are_a_point_of_the_default_grid() -> None:
    """The defaults are documented as the grid's validation winner, so they must lie on it."""
    params, grid = RepeatParams(), Grid()
    assert params.lam in grid.lams and params.beta in grid.betas and params.cross in grid.crosses
    assert params.trend in grid.trends and params.keep in grid.keeps and params.months == grid.months
