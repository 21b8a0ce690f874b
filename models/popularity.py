"""Most-bought items: the baseline every model must beat, and the edge's fallback."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.base import Scores
from models.data import Purchases
from models.history import basket_counts, binary


class Popularity:
    """Items ranked by how many customers bought them (anonymous baskets count too)."""

    name = "popularity"

    def __init__(self) -> None:
        self.counts: Scores = np.zeros(0, dtype=np.float32)

    def fit(self, train: Purchases) -> None:
        buyers = np.asarray(binary(basket_counts(train)).sum(axis=0)).ravel()
        anonymous = np.bincount(train.item[train.customer < 0], minlength=train.n_items)
        self.counts = (buyers + anonymous).astype(np.float32)

    def score(self, counts: sp.csr_matrix) -> Scores:
        return np.tile(self.counts, (counts.shape[0], 1))
