"""What every recommender offers to evaluation and export."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from models.data import Purchases

Scores = npt.NDArray[np.float32]


class Recommender(Protocol):
    name: str

    def fit(self, train: Purchases) -> None:
        """Learn from purchases (compacted: items indexed 0..n_items-1)."""
        ...

    def score(self, counts: sp.csr_matrix) -> Scores:
        """(customers × items) scores from history basket counts (see :mod:`models.history`)."""
        ...
