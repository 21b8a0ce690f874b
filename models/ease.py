"""EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data").

Closed form: P = (XᵀX + λI)⁻¹, B = I − P·diag(1/diag(P)), i.e. B_ij = −P_ij / P_jj off the diagonal
and 0 on it. X is the binary customer × item matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.base import Scores
from models.data import Purchases
from models.history import basket_counts, binary
from models.linear import LinearScorer


def ease_weights(x: sp.csr_matrix, lam: float) -> Scores:
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    inverse = np.linalg.inv(gram)
    weights = inverse / -np.diag(inverse)[None, :]
    np.fill_diagonal(weights, 0.0)
    return weights.astype(np.float32)


class Ease:
    name = "ease"

    def __init__(self, lam: float = 300.0) -> None:
        if lam <= 0:
            raise ValueError("lambda must be positive")
        self.lam = lam
        self.scorer: LinearScorer | None = None

    def fit(self, train: Purchases) -> None:
        weights = ease_weights(binary(basket_counts(train)), self.lam)
        zeros = np.zeros(weights.shape[0], dtype=np.float32)
        self.scorer = LinearScorer(weights, zeros, zeros.copy(), "binary")

    def score(self, counts: sp.csr_matrix) -> Scores:
        if self.scorer is None:
            raise RuntimeError("fit first")
        return self.scorer.score(counts)
