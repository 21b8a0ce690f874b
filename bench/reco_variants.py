"""Variants of the default recommender tried for the NDCG target: each one's small grid is searched
on the validation month (Sep 2011) and its best point is then measured on the test month (Oct 2011).

    .venv/bin/python bench/reco_variants.py          # ~45 s with the cached purchases

Every variant keeps the default's ridge (λ 1000, 6 month starts, 50 weights per row) and changes
one thing: TIFU-style time decay of the own counts, a recency or last-visit boost, a user-kNN
neighbour component, per-customer normalisation of the own term, a learned per-item repeat curve,
a popularity prior, rising or Christmas items; and (issue #6, second round) an item's next-month
rebuy rate, quantity-aware own counts, months active, a cross-modulated own term and an EASE blend
on the normalised own history. Nothing here is served; the table in
docs/recommendations.md comes from these figures. Last line: one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import sys
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from reco import CACHE, Cache, add_path_option, fingerprint, sale_history  # noqa: E402

from models.data import Purchases, load_online_retail  # noqa: E402
from models.history import basket_counts, binary  # noqa: E402
from models.metrics import evaluate, top_k  # noqa: E402
from models.repeat_aware import _month_pair, fit_parts  # noqa: E402
from models.search import RepeatParams  # noqa: E402
from models.split import Split, last_month_split, month_start, validation_split  # noqa: E402

Matrix = np.ndarray
COUNT_EDGES = np.array([1, 2, 3, 4, 6, 9, 13, 20, 10**9])


class Setting:
    """What every variant needs on one split: the customers' own counts, the default's parts."""

    def __init__(self, split: Split, params: RepeatParams) -> None:
        self.split = split
        self.params = params
        counts = basket_counts(split.train)
        self.all_counts = counts
        self.counts = counts[split.customers]
        self.own = np.asarray(self.counts.todense(), dtype=np.float32)
        logged = self.counts.copy()
        logged.data = np.log1p(logged.data)
        self.parts = fit_parts(split.train, params.lam, params.months, keep=params.keep)
        self.cross = np.asarray((logged @ self.parts.next_month).todense(), dtype=np.float32)
        self.rate = self.parts.repeat_rate**params.beta

    def base(self, own: Matrix | None = None, multiplier: Matrix | float = 1.0) -> Matrix:
        own_term = (self.own if own is None else own) * self.rate * multiplier
        return own_term + self.params.cross * self.cross + self.parts.bias(self.params.cross, 0.0)

    def ndcg_hr(self, scores: Matrix) -> tuple[float, float]:
        split = self.split
        m = evaluate(top_k(scores, 10), split.targets, split.train.n_items, split.target_sizes)
        return m.ndcg, m.hr

    def window(self, days: float, end_days: float = 0.0) -> Matrix:
        train, end = self.split.train, self.split.test_start
        lo, hi = end - timedelta(days=days), end - timedelta(days=end_days)
        mask = (train.at >= int(lo.timestamp())) & (train.at < int(hi.timestamp()))
        return np.asarray(basket_counts(train.select(mask))[self.split.customers].todense(), np.float32)


Variant = Callable[[Setting, Any], Matrix]


def decayed(s: Setting, half_life: float) -> Matrix:
    """Own counts with each basket weighted by 2^(−age / half-life), age in days before the month."""
    train = s.split.train
    known = train.customer >= 0
    triples, first = np.unique(
        np.stack([train.customer[known], train.item[known], train.basket[known]], axis=1),
        axis=0,
        return_index=True,
    )
    age = (s.split.test_start.timestamp() - train.at[known][first]) / 86400.0
    weights = np.exp2(-age / half_life).astype(np.float32)
    matrix = sp.csr_matrix((weights, (triples[:, 0], triples[:, 1])), shape=s.all_counts.shape)
    return np.asarray(matrix[s.split.customers].todense(), np.float32)


def user_knn(s: Setting, neighbours: int) -> Matrix:
    logged = s.all_counts.copy()
    logged.data = np.log1p(logged.data)
    norms = np.sqrt(np.asarray(logged.multiply(logged).sum(axis=1)).ravel())
    unit = sp.diags(1.0 / np.maximum(norms, 1e-9)) @ logged
    sim = (unit[s.split.customers] @ unit.T).toarray()
    sim[np.arange(len(s.split.customers)), s.split.customers] = 0.0
    keep = np.argpartition(-sim, neighbours, axis=1)[:, :neighbours]
    kept = np.zeros_like(sim)
    np.put_along_axis(kept, keep, np.take_along_axis(sim, keep, axis=1), axis=1)
    vectors = (sp.csr_matrix(kept) @ unit).toarray()
    return (vectors / np.maximum(kept.sum(axis=1, keepdims=True), 1e-9)).astype(np.float32)


def repeat_curve(s: Setting, prior: float) -> Matrix:
    """P(item bought next month | bought in k baskets before), per item and count bucket, stacked
    over the training month starts and smoothed towards the global curve."""
    train = s.split.train
    n, buckets = train.n_items, len(COUNT_EDGES) - 1
    hits, seen = np.zeros((n, buckets)), np.zeros((n, buckets))
    first, last = train.span()
    cut, used = month_start(last), 0
    while used < s.params.months and cut > first:
        history, target = _month_pair(train, cut)
        coo = history.tocoo()
        counts = np.rint(np.expm1(coo.data)).astype(int)
        bucket = np.searchsorted(COUNT_EDGES, counts, side="right") - 1
        np.add.at(seen, (coo.col, bucket), 1.0)
        np.add.at(hits, (coo.col, bucket), np.asarray(target[coo.row, coo.col]).ravel())
        used += 1
        cut = month_start(cut - timedelta(days=1))
    curve = hits.sum(axis=0) / np.maximum(seen.sum(axis=0), 1.0)
    table = (hits + prior * curve[None, :]) / (seen + prior)
    own = s.counts.tocoo()
    out = np.zeros_like(s.own)
    bucket = np.searchsorted(COUNT_EDGES, own.data.astype(int), side="right") - 1
    out[own.row, own.col] = table[own.col, bucket]
    return out


def rebuy_rate(s: Setting, prior: float) -> Matrix:
    """Per item: P(bought in the month | in the history before it), over the training month starts,
    smoothed towards the overall rate and divided by it (1 = an average item)."""
    train = s.split.train
    hits, seen = np.zeros(train.n_items), np.zeros(train.n_items)
    first, last = train.span()
    cut, used = month_start(last), 0
    while used < s.params.months and cut > first:
        history, target = _month_pair(train, cut)
        held = binary(history)
        seen += np.asarray(held.sum(axis=0)).ravel()
        hits += np.asarray(held.multiply(target).sum(axis=0)).ravel()
        used += 1
        cut = month_start(cut - timedelta(days=1))
    overall = hits.sum() / max(seen.sum(), 1.0)
    return ((hits + prior * overall) / (seen + prior) / overall).astype(np.float32)


def units(s: Setting) -> Matrix:
    """Units bought per (customer, item): the wholesale quantity, not the number of baskets."""
    train = s.split.train
    known = train.customer >= 0
    matrix = sp.csr_matrix(
        (train.qty[known].astype(np.float32), (train.customer[known], train.item[known])),
        shape=s.all_counts.shape,
    )
    matrix.sum_duplicates()
    return np.asarray(matrix[s.split.customers].todense(), np.float32)


def months_active(s: Setting) -> Matrix:
    """Number of distinct 30-day periods (since the history starts) in which the customer bought the item."""
    train = s.split.train
    known = train.customer >= 0
    period = (train.at[known] - train.at.min()) // int(86400 * 30.4)
    triples = np.unique(np.stack([train.customer[known], train.item[known], period], axis=1), axis=0)
    matrix = sp.csr_matrix(
        (np.ones(len(triples), np.float32), (triples[:, 0], triples[:, 1])), shape=s.all_counts.shape
    )
    matrix.sum_duplicates()
    return np.asarray(matrix[s.split.customers].todense(), np.float32)


def ease_on_own(s: Setting, lam: float) -> Matrix:
    """EASE (binary Gram, zero diagonal) applied to the L2-normalised log-count own history."""
    x = binary(s.all_counts)
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    inverse = np.linalg.inv(gram)
    weights = -inverse / np.diag(inverse)[None, :]
    weights[np.diag_indices_from(weights)] = 0.0
    own = np.log1p(s.own)
    own /= np.maximum(np.sqrt((own * own).sum(axis=1, keepdims=True)), 1e-9)
    return (own @ weights.astype(np.float32)).astype(np.float32)


def item_share(train: Purchases, mask: np.ndarray, eps: float) -> Matrix:
    """Each item's share of the baskets in ``mask`` over its share of all baskets (smoothed)."""
    n = train.n_items
    every = np.unique(np.stack([train.item, train.basket], axis=1), axis=0)[:, 0]
    some = np.unique(np.stack([train.item[mask], train.basket[mask]], axis=1), axis=0)[:, 0]
    a, b = np.bincount(every, minlength=n).astype(float), np.bincount(some, minlength=n).astype(float)
    return (((b + eps) / (b.sum() + eps * n)) / ((a + eps) / (a.sum() + eps * n))).astype(np.float32)


def variants() -> dict[str, tuple[Iterable[Any], Variant]]:
    def rising(s: Setting, p: tuple[int, float, float]) -> Matrix:
        days, eps, eta = p
        recent = s.split.train.at >= int((s.split.train.span()[1] - timedelta(days=days)).timestamp())
        return s.base(multiplier=item_share(s.split.train, recent, eps) ** eta)

    def christmas(s: Setting, p: tuple[float, float]) -> Matrix:
        december = s.split.train.at < int(datetime(2011, 1, 1, tzinfo=UTC).timestamp())
        return s.base(multiplier=item_share(s.split.train, december, p[0]) ** p[1])

    def normalised(s: Setting, q: float) -> Matrix:
        total = np.maximum(s.own.sum(axis=1, keepdims=True), 1.0)
        return s.base(own=s.own * (total / total.mean()) ** -q)

    memo: dict[tuple[int, str, Any], Matrix] = {}

    def cached(s: Setting, key: str, arg: Any, make: Callable[[], Matrix]) -> Matrix:
        if (id(s), key, arg) not in memo:
            memo[(id(s), key, arg)] = make()
        return memo[(id(s), key, arg)]

    def rebuy(s: Setting, p: tuple[float, float]) -> Matrix:
        return s.base(multiplier=cached(s, "rebuy", p[0], lambda: rebuy_rate(s, p[0])) ** p[1])

    def units_per_basket(s: Setting, eta: float) -> Matrix:
        per = np.where(s.own > 0, cached(s, "units", None, lambda: units(s)) / np.maximum(s.own, 1.0), 0.0)
        typical = per.sum(axis=0) / np.maximum((s.own > 0).sum(axis=0), 1)
        return s.base(multiplier=np.where(s.own > 0, (per + 1.0) / (typical[None, :] + 1.0), 1.0) ** eta)

    def log_units(s: Setting, w: float) -> Matrix:
        return s.base(own=s.own ** (1 - w) * np.log1p(cached(s, "units", None, lambda: units(s))) ** w)

    def months(s: Setting, w: float) -> Matrix:
        return s.base(own=s.own ** (1 - w) * cached(s, "months", None, lambda: months_active(s)) ** w)

    def cross_modulated(s: Setting, a: float) -> Matrix:
        return s.base(multiplier=1.0 + a * np.maximum(s.cross, 0.0))

    def ease_blend(s: Setting, p: tuple[float, float]) -> Matrix:
        return s.base() + p[1] * cached(s, "ease", p[0], lambda: ease_on_own(s, p[0]))

    return {
        "default": ([None], lambda s, _p: s.base()),
        "time decay (half-life days)": (
            [30.0, 90.0, 180.0, 365.0],
            lambda s, h: s.base(own=decayed(s, h)),
        ),
        "recency boost (days, eta)": (
            [(d, e) for d in (30, 120) for e in (0.25, 0.5, 1.0)],
            lambda s, p: s.base() + p[1] * (s.window(p[0]) > 0),
        ),
        "user-kNN blend (K, alpha)": (
            [(k, a) for k in (50, 300) for a in (0.25, 1.0, 4.0)],
            lambda s, p: s.base() + p[1] * user_knn(s, p[0]),
        ),
        "own / history size^q": ([0.1, 0.25, 0.5], normalised),
        "repeat curve (prior, gamma)": (
            [(pr, g) for pr in (10.0, 50.0) for g in (0.5, 1.0, 2.0)],
            lambda s, p: repeat_curve(s, p[0]) + p[1] * s.cross + 1e-4 * s.parts.popularity,
        ),
        "popularity prior (w)": (
            [0.01, 0.1, 0.3, 1.0],
            lambda s, w: s.base() + w * s.parts.popularity,
        ),
        "rising items (days, eps, eta)": ([(30, 10.0, e) for e in (0.25, 0.5, 1.0)], rising),
        "Christmas items (eps, eta)": ([(10.0, e) for e in (0.1, 0.25, 0.5)], christmas),
        "rebuy rate^eta (prior, eta)": (
            [(pr, e) for pr in (5.0, 30.0, 200.0) for e in (0.25, 0.5, 1.0, 1.5)],
            rebuy,
        ),
        "units per basket rel^eta": ([-0.25, -0.1, 0.1, 0.25, 0.5], units_per_basket),
        "c^(1-w) log1p(units)^w": ([0.25, 0.5, 1.0], log_units),
        "c^(1-w) months^w": ([0.25, 0.5, 0.75, 1.0], months),
        "own x (1 + a cross)": ([1.0, 3.0, 10.0, 30.0], cross_modulated),
        "EASE on own blend (lam, alpha)": (
            [(lam, a) for lam in (300.0, 1000.0) for a in (1.0, 3.0, 10.0, 30.0)],
            ease_blend,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_path_option(parser)
    args = parser.parse_args()
    started = time.perf_counter()
    path = sale_history(args.path)
    purchases: Purchases = Cache(CACHE, fingerprint(path)).get("purchases", lambda: load_online_retail(path))
    params = RepeatParams()
    print(f"default {params}; fitting both months ...", flush=True)
    validation = Setting(validation_split(purchases), params)
    test = Setting(last_month_split(purchases), params)
    rows: dict[str, dict[str, Any]] = {}
    print(
        f"{'variant':<32} {'best on validation':<22} {'val NDCG':>8} {'val HR':>7} {'test NDCG':>9} {'test HR':>7}"
    )
    for name, (grid, score) in variants().items():
        t = time.perf_counter()
        tried = [(validation.ndcg_hr(score(validation, p)), p) for p in grid]
        (val_ndcg, val_hr), best = max(tried, key=lambda r: r[0][0])
        test_ndcg, test_hr = test.ndcg_hr(score(test, best))
        rows[name] = {"best": best, "val_ndcg10": round(val_ndcg, 4), "val_hr10": round(val_hr, 4)}
        rows[name] |= {"test_ndcg10": round(test_ndcg, 4), "test_hr10": round(test_hr, 4)}
        print(
            f"{name:<32} {best!s:<22} {val_ndcg:8.4f} {val_hr:7.4f} {test_ndcg:9.4f} {test_hr:7.4f}"
            f"  ({len(tried)} points, {time.perf_counter() - t:.0f} s)",
            flush=True,
        )
    print(f"total {time.perf_counter() - started:.0f} s")
    print(json.dumps({"variants": rows}, default=str))


if __name__ == "__main__":
    main()
