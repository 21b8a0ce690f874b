"""A linear scorer over history counts, the one form the ONNX graph serves.

``score = transform(c) @ weights + repeat * c + bias`` where ``c`` is the vector of basket counts
of a history and ``transform`` is ``log1p`` or ``binary`` (c > 0). EASE is the case repeat = bias = 0
with a binary transform; the repeat-aware model uses all three terms. ``weights`` is a sparse
items × items matrix (CSR, float32): at catalog scale each row keeps only its strongest neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from models.base import Scores
from models.itemitem import top_per_row

Transform = Literal["log1p", "binary"]
FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class LinearScorer:
    weights: sp.csr_matrix
    """Given dense or sparse; kept as float32 CSR without explicit zeros."""
    repeat: FloatArray
    bias: FloatArray
    transform: Transform

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", top_per_row(self.weights, None))
        n = self.weights.shape[0]
        if self.weights.shape != (n, n) or self.repeat.shape != (n,) or self.bias.shape != (n,):
            raise ValueError("weights must be n×n, repeat and bias length n")
        if self.transform not in ("log1p", "binary"):
            raise ValueError(f"unknown transform {self.transform!r}")

    @property
    def n_items(self) -> int:
        return int(self.weights.shape[0])

    @property
    def width(self) -> int:
        """The most non-zero weights any row has."""
        return int(np.diff(self.weights.indptr).max(initial=0))

    def transformed(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        out = counts.astype(np.float32, copy=True)
        out.data = np.log1p(out.data) if self.transform == "log1p" else np.ones_like(out.data)
        return out

    def score(self, counts: sp.csr_matrix) -> Scores:
        w = self.weights
        if w.nnz * 8 > w.shape[0] * w.shape[1]:  # mostly full (unpruned EASE): a dense product is faster
            scores = np.asarray(self.transformed(counts) @ w.toarray(), dtype=np.float32)
        else:
            scores = np.asarray((self.transformed(counts) @ w).todense(), dtype=np.float32)
        scores += np.asarray(counts.multiply(self.repeat[None, :]).todense(), dtype=np.float32)
        scores += self.bias[None, :]
        return scores

    def pruned(self, keep: int) -> LinearScorer:
        """Keep the ``keep`` largest-magnitude cross weights of each row (for a compact artifact)."""
        return LinearScorer(top_per_row(self.weights, keep), self.repeat, self.bias, self.transform)
