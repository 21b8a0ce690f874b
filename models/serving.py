"""One recommendation request: model (or popular-here fallback) → store rules → top k.

The service asks the model for more candidates than it needs, because the store rules remove some
(sold out here, in the basket); it widens the request until ``k`` survive or the catalog is
exhausted, then tops up from what is popular in this store.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from models.rules import StoreRules
from models.runtime import ModelRuntime, Suggestion

PopularHere = Callable[[int], Sequence[str]]
"""n → this store's n best-selling skus, best first."""

MAX_K = 100


@dataclass(frozen=True)
class Recommendations:
    items: list[Suggestion]
    model_id: str | None
    """None when the fallback answered alone (no model loaded)."""


class RecommendationService:
    def __init__(self, runtime: ModelRuntime, rules: StoreRules, popular_here: PopularHere) -> None:
        self.runtime = runtime
        self.rules = rules
        self.popular_here = popular_here

    def recommend(self, history: Sequence[str], exclude: Sequence[str], k: int = 10) -> Recommendations:
        """Up to ``k`` suggestions for a history (skus, one per basket; may be empty), never one
        of ``exclude`` nor one out of stock here."""
        if not 1 <= k <= MAX_K:
            raise ValueError(f"k must be between 1 and {MAX_K}")
        model = self.runtime.current
        chosen: list[Suggestion] = []
        if model is not None:
            want = 4 * k + len(exclude) + 20
            while True:
                candidates = model.recommend(history, exclude, want)
                chosen = self.rules.apply(candidates, exclude, k)
                if len(chosen) >= k or want >= model.n_items:
                    break
                want = min(model.n_items, want * 4)
        if len(chosen) < k:
            chosen += self._popular(exclude, {c.sku for c in chosen}, k - len(chosen))
        return Recommendations(chosen, None if model is None else model.model_id)

    def _popular(self, exclude: Sequence[str], taken: set[str], n: int) -> list[Suggestion]:
        ranked = self.popular_here(4 * n + len(exclude) + len(taken) + 20)
        size = len(ranked)
        candidates = [Suggestion(sku, float(size - i), "popular") for i, sku in enumerate(ranked)]
        return self.rules.apply(candidates, [*exclude, *taken], n)
