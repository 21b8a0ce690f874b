"""EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse Data").

Closed form: P = (XᵀX + λI)⁻¹, B = I − P·diag(1/diag(P)), i.e. B_ij = −P_ij / P_jj off the diagonal
and 0 on it. X is the binary customer × item matrix. At catalog scale the inverse is taken on the
head of the catalog only (see :mod:`models.itemitem`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from models.base import Scores
from models.data import Purchases
from models.history import basket_counts, binary
from models.itemitem import HEAD_ITEMS, Pairs, ridge_weights, solve_ease
from models.linear import LinearScorer


def ease_weights(
    x: sp.csr_matrix, lam: float, *, keep: int | None = None, head: int = HEAD_ITEMS
) -> sp.csr_matrix:
    """Sparse B: the closed form on the ``head`` items of largest mass (exact when the catalog
    fits), ``B_ji = G_ji / (G_jj + λ)`` elsewhere (see :mod:`models.itemitem`), rows pruned to
    ``keep``."""
    pairs = Pairs([x], [x])
    return ridge_weights(pairs, lam, solve_ease, head=head, keep=keep, zero_diagonal=True)


class Ease:
    name = "ease"

    def __init__(self, lam: float = 300.0, keep: int | None = None, head: int = HEAD_ITEMS) -> None:
        if lam <= 0:
            raise ValueError("lambda must be positive")
        self.lam, self.keep, self.head = lam, keep, head
        self.scorer: LinearScorer | None = None

    def fit(self, train: Purchases) -> None:
        x = binary(basket_counts(train))
        weights = ease_weights(x, self.lam, keep=self.keep, head=self.head)
        zeros = np.zeros(weights.shape[0], dtype=np.float32)
        self.scorer = LinearScorer(weights, zeros, zeros.copy(), "binary")

    def score(self, counts: sp.csr_matrix) -> Scores:
        if self.scorer is None:
            raise RuntimeError("fit first")
        return self.scorer.score(counts)
