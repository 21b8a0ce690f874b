"""Hyper-parameter search for the repeat-aware model on the validation month (by NDCG@10)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from models.history import basket_counts
from models.metrics import RankingMetrics, evaluate, top_k
from models.repeat_aware import fit_parts
from models.split import Split


@dataclass(frozen=True)
class RepeatParams:
    """Defaults: the best of the default :class:`Grid` on the Sep 2011 validation month."""

    lam: float = 1000.0
    beta: float = 0.25
    cross: float = 12.0
    trend: float = 0.0
    months: int = 6
    keep: int = 50
    """Next-month weights kept per item in the exported model."""

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class Grid:
    lams: Sequence[float] = (300.0, 1000.0, 3000.0)
    betas: Sequence[float] = (0.25, 0.5, 1.0)
    crosses: Sequence[float] = (4.0, 8.0, 12.0, 16.0)
    trends: Sequence[float] = (0.0, 0.3)
    keeps: Sequence[int] = (50, 200)
    months: int = 6

    def size(self) -> int:
        return len(self.lams) * len(self.betas) * len(self.crosses) * len(self.trends) * len(self.keeps)


def search_repeat_aware(
    validation: Split, grid: Grid | None = None, progress: Callable[[int], None] | None = None
) -> tuple[RepeatParams, RankingMetrics]:
    """Best parameters on ``validation``. The ridge solve runs once per λ and the history-times-
    weights product once per (λ, keep); the blend weights only rescale precomputed parts."""
    grid = grid or Grid()
    counts = basket_counts(validation.train)[validation.customers]
    own = np.asarray(counts.todense(), dtype=np.float32)
    logged = counts.copy()
    logged.data = np.log1p(logged.data)
    best: tuple[RepeatParams, RankingMetrics] | None = None
    for lam in grid.lams:
        parts = fit_parts(validation.train, lam, grid.months, keep=max(grid.keeps))
        for keep in grid.keeps:
            pruned = parts.pruned(keep)
            cross_part = np.asarray((logged @ pruned.next_month).todense(), dtype=np.float32)
            for beta, cross, trend in itertools.product(grid.betas, grid.crosses, grid.trends):
                scores = own * pruned.repeat_rate**beta + cross * cross_part + pruned.bias(cross, trend)
                metrics = evaluate(
                    top_k(scores, 10), validation.targets, validation.train.n_items, validation.target_sizes
                )
                if best is None or metrics.ndcg > best[1].ndcg:
                    best = (RepeatParams(lam, beta, cross, trend, grid.months, keep), metrics)
                if progress is not None:
                    progress(1)
    if best is None:
        raise ValueError("empty search grid")
    return best
