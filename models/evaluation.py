"""Evaluate a recommender on a split: every model sees the same histories and the same rule.

The rule: nothing is filtered. A customer's earlier purchases stay eligible, because buying again
is real demand and the metrics count repeat purchases.
"""

from __future__ import annotations

from models.base import Recommender
from models.history import basket_counts
from models.metrics import RankingMetrics, evaluate, top_k
from models.split import Split

K = 10


def evaluate_model(model: Recommender, split: Split, k: int = K) -> RankingMetrics:
    """Scores the split's test customers from their training histories (model already fitted)."""
    scores = model.score(basket_counts(split.train)[split.customers])
    return evaluate(top_k(scores, k), split.targets, split.train.n_items, split.target_sizes)
