"""Item-item cosine kNN on who-bought-what (binary customer × item)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.base import Scores
from models.data import Purchases
from models.history import basket_counts, binary


class ItemKNN:
    """score(u, i) = Σ_{j in history(u)} sim(j, i), keeping each item's ``neighbours`` most similar."""

    name = "item-knn"

    def __init__(self, neighbours: int = 100, shrink: float = 10.0) -> None:
        self.neighbours = neighbours
        self.shrink = shrink
        self.similarity: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, train: Purchases) -> None:
        x = binary(basket_counts(train))
        co = (x.T @ x).toarray().astype(np.float32)
        norms = np.sqrt(np.diag(co)).astype(np.float32)
        sim = co / (np.outer(norms, norms) + self.shrink)
        np.fill_diagonal(sim, 0.0)
        self.similarity = sp.csr_matrix(_top_per_row(sim, self.neighbours))

    def score(self, counts: sp.csr_matrix) -> Scores:
        return np.asarray((binary(counts) @ self.similarity).todense(), dtype=np.float32)


def _top_per_row(matrix: Scores, keep: int) -> Scores:
    if keep >= matrix.shape[1]:
        return matrix
    cut = np.argpartition(-matrix, keep - 1, axis=1)[:, :keep]
    out = np.zeros_like(matrix)
    np.put_along_axis(out, cut, np.take_along_axis(matrix, cut, axis=1), axis=1)
    return out
