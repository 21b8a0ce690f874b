"""A synthetic purchase history at catalog scale (for the scale benchmark and tests).

Items have Zipf popularity and belong to categories; each customer has a repertoire of items they
rebuy and a few favourite categories. A basket (size 1 + negative binomial, mean ≈ ``basket_mean``)
mixes repertoire items (repeats), items of the favourite categories (co-purchase structure) and
items drawn from the whole catalog by popularity. Built straight into :class:`~models.data.Purchases`
arrays (no per-row objects), so a history of millions of lines takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from models.data import Purchases

START = datetime(2024, 1, 1, tzinfo=UTC)
MONTH_S = 30 * 86_400


@dataclass(frozen=True)
class CatalogShape:
    items: int = 100_000
    customers: int = 20_000
    months: int = 12
    zipf: float = 1.0
    category_size: int = 50
    repertoire: int = 25
    favourites: int = 3
    baskets_per_month: float = 1.5
    basket_mean: float = 10.0
    mix: tuple[float, float, float] = (0.45, 0.35, 0.20)
    """Shares of repertoire, favourite-category and catalog-wide draws."""
    seed: int = 0


def _zipf_draw(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(size)), len(cdf) - 1)


def synthetic_history(shape: CatalogShape = CatalogShape()) -> Purchases:
    """Every customer and every item of the catalog in the vocabularies (sku ``S000000`` …)."""
    rng = np.random.default_rng(shape.seed)
    n, users = shape.items, shape.customers
    rank_weight = 1.0 / np.arange(1, n + 1) ** shape.zipf
    cdf = np.cumsum(rank_weight) / rank_weight.sum()
    by_rank = rng.permutation(n)  # item index of each popularity rank
    n_categories = max(1, n // shape.category_size)
    category_items = rng.permutation(n)[: n_categories * shape.category_size].reshape(n_categories, -1)
    # within a category, items keep their global popularity order
    category_items = np.take_along_axis(
        category_items, np.argsort(np.argsort(by_rank)[category_items], axis=1), axis=1
    )
    inner = 1.0 / np.arange(1, shape.category_size + 1) ** shape.zipf
    inner_cdf = np.cumsum(inner) / inner.sum()
    repertoire = by_rank[_zipf_draw(rng, cdf, users * shape.repertoire)].reshape(users, -1)
    favourites = rng.integers(0, n_categories, size=(users, shape.favourites))

    activity = rng.gamma(2.0, shape.baskets_per_month / 2.0, size=users)
    per_month = rng.poisson(np.repeat(activity[None, :], shape.months, axis=0))  # months × users
    month_of = np.repeat(np.arange(shape.months), per_month.sum(axis=1))
    customer = np.concatenate([np.repeat(np.arange(users), row) for row in per_month])
    baskets = len(customer)
    at = START.timestamp() + month_of * MONTH_S + rng.integers(0, MONTH_S, size=baskets)
    order = np.argsort(at, kind="stable")
    customer, at = customer[order], at[order]
    sizes = 1 + rng.negative_binomial(2, 2 / (2 + shape.basket_mean - 1), size=baskets)
    sizes = np.minimum(sizes, 80)

    line_basket = np.repeat(np.arange(baskets), sizes)
    line_customer = customer[line_basket]
    lines = len(line_basket)
    source = rng.choice(3, size=lines, p=np.asarray(shape.mix) / sum(shape.mix))
    item = by_rank[_zipf_draw(rng, cdf, lines)]
    own = source == 0
    item[own] = repertoire[line_customer[own], rng.integers(0, shape.repertoire, size=int(own.sum()))]
    fav = source == 1
    cats = favourites[line_customer[fav], rng.integers(0, shape.favourites, size=int(fav.sum()))]
    item[fav] = category_items[cats, _zipf_draw(rng, inner_cdf, int(fav.sum()))]
    qty = 1 + rng.poisson(0.5, size=lines)
    return Purchases(
        tuple(f"S{i:06d}" for i in range(n)),
        tuple(f"C{c:06d}" for c in range(users)),
        tuple(f"B{b:08d}" for b in range(baskets)),
        item.astype(np.int64),
        line_customer.astype(np.int64),
        line_basket.astype(np.int64),
        qty.astype(np.int64),
        at[line_basket].astype(np.int64),
    )
