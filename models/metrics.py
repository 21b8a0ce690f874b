"""Top-k ranking metrics with binary relevance.

``recommended`` is a (customers × k) array of item indices, best first; ``targets[i]`` the items
customer i actually bought; ``target_sizes[i]`` (optional) the size of their whole demand, which may
include items the model could not know (it only enlarges recall's denominator and NDCG's ideal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import numpy.typing as npt

from models.data import IntArray


@dataclass(frozen=True)
class RankingMetrics:
    hr: float
    recall: float
    ndcg: float
    coverage: float
    users: int
    k: int

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def evaluate(
    recommended: npt.NDArray[np.integer],
    targets: Sequence[IntArray],
    n_items: int,
    target_sizes: IntArray | None = None,
) -> RankingMetrics:
    """HR@k (share of customers with at least one hit), Recall@k (hits / demand), NDCG@k
    (DCG over the ideal DCG of min(k, demand) hits), catalog coverage (distinct recommended items
    over ``n_items``). Customers with an empty demand are not allowed."""
    users, k = recommended.shape
    if users != len(targets):
        raise ValueError(f"{users} recommendation lists for {len(targets)} customers")
    if users == 0:
        raise ValueError("no customers to evaluate")
    sizes = np.array([len(t) for t in targets]) if target_sizes is None else np.asarray(target_sizes)
    if (sizes <= 0).any():
        raise ValueError("every customer needs a non-empty demand")
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    hit_any = recall = ndcg = 0.0
    for row, target, size in zip(recommended, targets, sizes, strict=True):
        hits = np.isin(row, target)
        n_hits = int(hits.sum())
        hit_any += n_hits > 0
        recall += n_hits / size
        ndcg += float(discounts[hits].sum()) / float(discounts[: min(k, int(size))].sum())
    return RankingMetrics(
        hr=hit_any / users,
        recall=float(recall / users),
        ndcg=ndcg / users,
        coverage=len(np.unique(recommended)) / n_items,
        users=users,
        k=k,
    )


def top_k(scores: npt.NDArray[np.floating], k: int) -> npt.NDArray[np.int64]:
    """Row-wise indices of the k highest scores, best first (ties broken by lower index)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    part_scores = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -part_scores), axis=1)
    return np.take_along_axis(part, order, axis=1).astype(np.int64)
