"""Item-item cosine kNN on who-bought-what (binary customer × item)."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.base import Scores
from models.data import Purchases
from models.history import basket_counts, binary
from models.itemitem import Pairs, top_per_row


class ItemKNN:
    """score(u, i) = Σ_{j in history(u)} sim(j, i), keeping each item's ``neighbours`` most similar."""

    name = "item-knn"

    def __init__(self, neighbours: int = 100, shrink: float = 10.0) -> None:
        self.neighbours = neighbours
        self.shrink = shrink
        self.similarity: sp.csr_matrix = sp.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, train: Purchases) -> None:
        x = binary(basket_counts(train))
        pairs = Pairs([x], [x])
        norms = np.sqrt(pairs.input_mass())
        blocks = []
        for start, stop in pairs.row_blocks():  # co-occurrence stays sparse, a block of rows at a time
            co = pairs.cross_rows(start, stop).tocoo()
            rows = co.row + start
            sim = co.data / (norms[rows] * norms[co.col] + self.shrink)
            off = rows != co.col
            block = sp.csr_matrix((sim[off], (co.row[off], co.col[off])), shape=(stop - start, x.shape[1]))
            blocks.append(top_per_row(block, self.neighbours))
        self.similarity = sp.csr_matrix(sp.vstack(blocks, format="csr"), dtype=np.float32)

    def score(self, counts: sp.csr_matrix) -> Scores:
        return np.asarray((binary(counts) @ self.similarity).todense(), dtype=np.float32)
