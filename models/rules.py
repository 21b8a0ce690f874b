"""Store rules on top of the model: what the model cannot know about this store, right now.

* only items in stock here (live stock, asked for the candidates only);
* nothing already in the basket or just bought (the caller's ``exclude``);
* optionally, items on promotion here move up.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from models.runtime import Suggestion

StockLookup = Callable[[Sequence[str]], Mapping[str, int]]
"""skus → units on hand in this store (a missing sku means none)."""
PromotionLookup = Callable[[Sequence[str]], Collection[str]]
"""skus → those on promotion in this store now."""


@dataclass(frozen=True)
class StoreRules:
    stock: StockLookup
    promotions: PromotionLookup | None = None
    promotion_boost: float = 0.1
    """Added to a promoted item's score, as a share of the candidates' score range."""
    min_stock: int = 1

    def apply(self, candidates: Sequence[Suggestion], exclude: Iterable[str], k: int) -> list[Suggestion]:
        """The best ``k`` candidates that pass the rules, re-ranked by boosted score (stable)."""
        banned = set(exclude)
        seen: set[str] = set()
        pool = []
        for c in candidates:
            if c.sku not in banned and c.sku not in seen:
                seen.add(c.sku)
                pool.append(c)
        if not pool:
            return []
        on_hand = self.stock([c.sku for c in pool])
        pool = [c for c in pool if on_hand.get(c.sku, 0) >= self.min_stock]
        if self.promotions is not None and pool and self.promotion_boost:
            promoted = set(self.promotions([c.sku for c in pool]))
            if promoted:
                spread = max(c.score for c in pool) - min(c.score for c in pool)
                bonus = self.promotion_boost * (spread or 1.0)
                pool = [replace(c, score=c.score + bonus) if c.sku in promoted else c for c in pool]
                pool.sort(key=lambda c: -c.score)
        return pool[:k]
