"""The repeat-aware next-month linear model (this project's default recommender).

Retail demand repeats: a third of what a customer buys in a month they bought before. The score of
item i for a history with basket counts c is

    score_i = c_i · r_i^β                      (own repeat, item-specific propensity r_i)
            + γ · (log1p(c) @ W)_i               (what such histories buy next month)
            + δ · trend_i                       (popular in the last 30 days)

W is a ridge regression from a customer's history (log1p counts up to a month start) to the items
they buy in that month, stacked over the last ``months`` month starts of training:
W = (Σ XᵀX + λI)⁻¹ Σ XᵀY, without an intercept: each row of W is then what a buyer of that item
buys next month, which is also what "goes well with" it for a one-item history. Unlike EASE there
is no zero-diagonal constraint: the target is the future, not the input. W is sparse and solved
exactly on the head of the catalog (:mod:`models.itemitem`); a history with no month start that has
customers on both sides (a single month) learns W as EASE on what is bought together instead.
Everything folds into one :class:`~models.linear.LinearScorer`, so the edge serves it with a
gather-and-sum graph.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np
import scipy.sparse as sp

from models.base import Scores
from models.data import Purchases
from models.history import basket_counts, binary
from models.itemitem import HEAD_ITEMS, Pairs, ridge_weights, solve_ease, solve_ridge, top_per_row
from models.linear import FloatArray, LinearScorer
from models.split import month_start, next_month

TREND_DAYS = 30


@dataclass(frozen=True)
class RepeatParts:
    """What fitting learns; the blend weights (β, γ, δ) are applied when building the scorer."""

    next_month: sp.csr_matrix
    """W: row j is what a buyer of j buys next month (sparse)."""
    repeat_rate: FloatArray
    trend: FloatArray
    popularity: FloatArray

    def pruned(self, keep: int) -> RepeatParts:
        """Keep each item's ``keep`` largest-magnitude next-month weights."""
        return replace(self, next_month=top_per_row(self.next_month, keep))

    def bias(self, cross: float, trend: float) -> FloatArray:
        del cross  # the cross term has no intercept; kept for a uniform call
        return (trend * self.trend + 1e-3 * self.popularity).astype(np.float32)

    def scorer(self, beta: float, cross: float, trend: float) -> LinearScorer:
        return LinearScorer(
            (self.next_month * np.float32(cross)).astype(np.float32),
            (self.repeat_rate**beta).astype(np.float32),
            self.bias(cross, trend),
            "log1p",
        )


def fit_parts(
    train: Purchases, lam: float, months: int, *, keep: int | None = None, head: int = HEAD_ITEMS
) -> RepeatParts:
    """``keep`` prunes each row of W as it is built (pruning again to fewer is exact: the ``k``
    largest of the ``keep`` largest are the ``k`` largest); ``head`` items are solved exactly
    (see :mod:`models.itemitem`), so up to ``head`` items this is the dense ridge."""
    counts = basket_counts(train)
    n = train.n_items
    buyers = np.asarray(binary(counts).sum(axis=0)).ravel()
    repeaters = np.asarray((counts >= 2).sum(axis=0)).ravel()
    repeat_rate = (repeaters + 1.0) / (buyers + 5.0)
    popularity = buyers / max(float(buyers.max()), 1.0)
    first, last = train.span()
    recent = train.at >= int((last - timedelta(days=TREND_DAYS)).timestamp())
    trend = np.bincount(train.item[recent], minlength=n).astype(np.float64)
    trend /= max(float(trend.max()), 1.0)

    xs: list[sp.csr_matrix] = []
    ys: list[sp.csr_matrix] = []
    cut = month_start(last)
    while len(xs) < months and cut > first:
        x, y = _month_pair(train, cut)
        if x.shape[0]:
            xs.append(x)
            ys.append(y)
        cut = month_start(cut - timedelta(days=1))
    if xs:
        weights = ridge_weights(Pairs(xs, ys), lam, solve_ridge, head=head, keep=keep)
    else:  # no month start with customers on both sides: what is bought together (EASE) instead
        together = binary(counts)
        weights = ridge_weights(
            Pairs([together], [together]), lam, solve_ease, head=head, keep=keep, zero_diagonal=True
        )
    return RepeatParts(
        weights,
        repeat_rate.astype(np.float32),
        trend.astype(np.float32),
        popularity.astype(np.float32),
    )


def _month_pair(train: Purchases, cut: datetime) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """History (log1p counts before ``cut``) → binary purchases that month, for active customers."""
    before = train.between(None, cut)
    month = train.between(cut, next_month(cut))
    history = basket_counts(before)
    target = binary(basket_counts(month))
    active = np.unique(month.customer[month.customer >= 0])
    active = active[np.diff(history.indptr)[active] > 0]
    x = history[active]
    x.data = np.log1p(x.data)
    return x, target[active]


class RepeatAware:
    name = "repeat-aware"

    def __init__(
        self,
        lam: float = 1000.0,
        beta: float = 0.25,
        cross: float = 12.0,
        trend: float = 0.0,
        months: int = 6,
    ) -> None:
        if lam <= 0 or months < 1:
            raise ValueError("lambda must be positive and months >= 1")
        self.lam, self.beta, self.cross, self.trend, self.months = lam, beta, cross, trend, months
        self.scorer: LinearScorer | None = None

    def fit(self, train: Purchases) -> None:
        self.scorer = fit_parts(train, self.lam, self.months).scorer(self.beta, self.cross, self.trend)

    def score(self, counts: sp.csr_matrix) -> Scores:
        if self.scorer is None:
            raise RuntimeError("fit first")
        return self.scorer.score(counts)
