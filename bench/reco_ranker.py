"""Issue #6, third round: a non-linear learned ranker (gradient-boosted trees, LightGBM) on top of the
default recommender, tried for the NDCG target and chosen on the validation month only.

    .venv/bin/python bench/reco_ranker.py            # ~4 min on a quiet 2-core machine
    .venv/bin/python bench/reco_ranker.py --quick    # 3 training months, 15 leaves only

For an evaluated month E (validation: Sep 2011, test: Oct 2011) the ranker is trained on the month
starts before E (3 or 6 of them): for each start m, the history is everything before m, the label
is "bought in month m", the candidates are the customer's own items plus the default's 30 best new
items, and the default model itself is refitted on what precedes m (no leak). Features per
(customer, item): basket count, share of the customer's baskets, log repeat rate, cross term,
default score, popularity, last-30-day sales, 30-day growth, Christmas share (Dec 2010), days since
the customer last / first bought the item, days since the customer's last visit, the customer's
baskets and distinct items, units per basket, baskets in Dec 2010. Objectives: LambdaRank
(truncated at 20) and pointwise binary log-loss; the ranker alone and blended into the default
score as default + θ · ranker. Nothing here is served. Last line: one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import argparse
import itertools
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from reco import CACHE, Cache, add_path_option, fingerprint, sale_history  # noqa: E402

from models.data import Purchases, load_online_retail  # noqa: E402
from models.history import basket_counts, binary  # noqa: E402
from models.metrics import evaluate, top_k  # noqa: E402
from models.repeat_aware import RepeatParts, fit_parts  # noqa: E402
from models.search import RepeatParams  # noqa: E402
from models.split import Split, last_month_split, month_start, next_month, validation_split  # noqa: E402

DAY = 86400.0
NEW_CANDIDATES = 30
NEVER = 999.0
PARAMS = RepeatParams()
FEATURES = [
    "count",
    "share",
    "log_rate",
    "cross",
    "default",
    "popularity",
    "trend",
    "growth",
    "christmas",
    "since_last",
    "since_first",
    "since_visit",
    "baskets",
    "distinct",
    "units_per_basket",
    "december",
]
Matrix = np.ndarray


def default_parts(history: Purchases, memo: dict[float, RepeatParts], cut: datetime) -> RepeatParts:
    if cut.timestamp() not in memo:
        memo[cut.timestamp()] = fit_parts(history, PARAMS.lam, PARAMS.months, keep=PARAMS.keep)
    return memo[cut.timestamp()]


def _units(history: Purchases, rows: Matrix, shape: tuple[int, int]) -> Matrix:
    """Units bought per (customer, item), for ``rows``."""
    known = history.customer >= 0
    values = history.qty[known].astype(np.float32)
    matrix = sp.csr_matrix((values, (history.customer[known], history.item[known])), shape=shape)
    matrix.sum_duplicates()
    return np.asarray(matrix[rows].todense(), np.float32)


def features(history: Purchases, cut: datetime, customers: Matrix, parts: RepeatParts) -> dict[str, Matrix]:
    """Dense (customers × items) feature matrices from what was known before ``cut``."""
    n, t0 = history.n_items, cut.timestamp()
    counts = basket_counts(history)
    own = np.asarray(counts[customers].todense(), np.float32)
    logged = counts[customers].copy()
    logged.data = np.log1p(logged.data)
    cross = np.asarray((logged @ parts.next_month).todense(), np.float32)
    default = own * parts.repeat_rate**PARAMS.beta + PARAMS.cross * cross + parts.bias(PARAMS.cross, 0.0)

    known = history.customer >= 0
    cust, item, at = history.customer[known], history.item[known], history.at[known]
    order = np.lexsort((at, item, cust))
    pair = cust[order].astype(np.int64) * n + item[order]
    pairs, first = np.unique(pair, return_index=True)
    last = np.r_[first[1:] - 1, len(pair) - 1]
    row_of = np.full(history.n_customers, -1)
    row_of[customers] = np.arange(len(customers))
    rows, cols = row_of[pairs // n], pairs % n
    mine = rows >= 0
    since_last = np.full(own.shape, NEVER, np.float32)
    since_first = np.full(own.shape, NEVER, np.float32)
    since_last[rows[mine], cols[mine]] = (t0 - at[order][last][mine]) / DAY
    since_first[rows[mine], cols[mine]] = (t0 - at[order][first][mine]) / DAY

    visit = np.full(history.n_customers, NEVER)
    np.minimum.at(visit, cust, (t0 - at) / DAY)
    baskets = np.bincount(
        np.unique(np.stack([cust, history.basket[known]], 1), axis=0)[:, 0], minlength=history.n_customers
    ).astype(np.float32)[customers]
    units = _units(history, customers, counts.shape)
    december_mask = history.at < datetime(2011, 1, 1, tzinfo=UTC).timestamp()
    december = np.asarray(basket_counts(history.select(december_mask))[customers].todense(), np.float32)

    recent = history.at >= t0 - 30 * DAY
    before = (history.at >= t0 - 60 * DAY) & ~recent
    sold_recent = np.bincount(history.item[recent], minlength=n).astype(np.float32)
    sold_before = np.bincount(history.item[before], minlength=n).astype(np.float32)
    sold_dec = np.bincount(history.item[december_mask], minlength=n).astype(np.float32)
    sold_all = np.bincount(history.item, minlength=n).astype(np.float32)
    christmas = np.log(
        ((sold_dec + 5) / (sold_dec.sum() + 5 * n)) / ((sold_all + 5) / (sold_all.sum() + 5 * n))
    )

    grid = np.ones(own.shape, np.float32)
    return {
        "count": own,
        "share": own / np.maximum(baskets[:, None], 1.0),
        "log_rate": np.log(parts.repeat_rate)[None, :] * grid,
        "cross": cross,
        "default": default,
        "popularity": parts.popularity[None, :] * grid,
        "trend": np.log1p(sold_recent)[None, :] * grid,
        "growth": np.log((sold_recent + 5) / (sold_before + 5))[None, :] * grid,
        "christmas": christmas[None, :] * grid,
        "since_last": since_last,
        "since_first": since_first,
        "since_visit": visit[customers][:, None] * grid,
        "baskets": baskets[:, None] * grid,
        "distinct": (own > 0).sum(axis=1, keepdims=True) * grid,
        "units_per_basket": units / np.maximum(own, 1.0),
        "december": december,
    }


def candidates(own: Matrix, default: Matrix) -> Matrix:
    chosen = own > 0
    new_only = np.where(chosen, -np.inf, default)
    best_new = np.argpartition(-new_only, NEW_CANDIDATES, axis=1)[:, :NEW_CANDIDATES]
    np.put_along_axis(chosen, best_new, True, axis=1)
    return chosen


def rows_of(feats: dict[str, Matrix], chosen: Matrix) -> tuple[Matrix, Matrix, Matrix]:
    r, i = np.nonzero(chosen)
    return np.stack([feats[f][r, i] for f in FEATURES], axis=1), r, i


class Month:
    """One evaluated month: its training rows (earlier month starts) and its own candidate rows."""

    def __init__(self, split: Split, months: int) -> None:
        self.split = split
        train, memo = split.train, {}
        xs, ys, groups = [], [], []
        cut = split.test_start
        for _ in range(months):
            cut = month_start(cut - timedelta(days=1))
            history, month = train.between(None, cut), train.between(cut, next_month(cut))
            seen = np.diff(basket_counts(history).indptr) > 0
            active = np.unique(month.customer[month.customer >= 0])
            active = active[seen[active]]
            feats = features(history, cut, active, default_parts(history, memo, cut))
            chosen = candidates(feats["count"], feats["default"])
            x, r, i = rows_of(feats, chosen)
            bought = np.asarray(binary(basket_counts(month))[active].todense()) > 0
            xs.append(x)
            ys.append(bought[r, i].astype(np.int32))
            per_customer = np.bincount(r, minlength=len(active))
            groups.append(per_customer[per_customer > 0])
        self.x, self.y, self.groups = np.concatenate(xs), np.concatenate(ys), np.concatenate(groups)
        feats = features(
            train, split.test_start, split.customers, default_parts(train, memo, split.test_start)
        )
        self.default = feats["default"]
        self.chosen = candidates(feats["count"], self.default)
        self.eval_x, self.eval_r, self.eval_i = rows_of(feats, self.chosen)

    def ndcg_hr(self, scores: Matrix) -> tuple[float, float]:
        split = self.split
        m = evaluate(top_k(scores, 10), split.targets, split.train.n_items, split.target_sizes)
        return m.ndcg, m.hr

    def ranker_scores(self, objective: str, leaves: int) -> Matrix:
        params = {
            "objective": objective,
            "num_leaves": leaves,
            "learning_rate": 0.05,
            "min_data_in_leaf": 50 if leaves <= 15 else 100,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "feature_fraction": 0.8,
            "lambdarank_truncation_level": 20,
            "num_threads": 2,
            "seed": 7,
            "verbose": -1,
        }
        data = lgb.Dataset(self.x, self.y, group=self.groups if objective == "lambdarank" else None)
        booster = lgb.train(params, data, num_boost_round=300)
        scores = np.full(self.default.shape, -np.inf, np.float32)
        scores[self.eval_r, self.eval_i] = booster.predict(self.eval_x)
        return scores

    def blended(self, ranker: Matrix, theta: float | None) -> Matrix:
        if theta is None:
            return ranker
        return np.where(self.chosen, self.default + theta * ranker, self.default)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_path_option(parser)
    parser.add_argument("--quick", action="store_true", help="3 training months and 15 leaves only")
    args = parser.parse_args()
    started = time.perf_counter()
    path = sale_history(args.path)
    purchases: Purchases = Cache(CACHE, fingerprint(path)).get("purchases", lambda: load_online_retail(path))
    months_grid, leaves_grid = ((3,), (15,)) if args.quick else ((3, 6), (15, 31))
    thetas: list[float | None] = [None, 0.3, 1.0, 3.0]
    print(
        f"{'months':>6} {'objective':<10} {'leaves':>6} {'theta':>6} {'val NDCG':>8} {'val HR':>7} {'test NDCG':>9} {'test HR':>7}"
    )
    results: list[dict[str, Any]] = []
    baseline: dict[str, float] = {}
    for months in months_grid:
        validation, test = (
            Month(validation_split(purchases), months),
            Month(last_month_split(purchases), months),
        )
        if not baseline:
            (vn, vh), (tn, th) = validation.ndcg_hr(validation.default), test.ndcg_hr(test.default)
            baseline = {"val_ndcg10": round(vn, 4), "val_hr10": round(vh, 4)}
            baseline |= {"test_ndcg10": round(tn, 4), "test_hr10": round(th, 4)}
            print(f"{'default':<33} {vn:8.4f} {vh:7.4f} {tn:9.4f} {th:7.4f}", flush=True)
        for objective, leaves in itertools.product(("lambdarank", "binary"), leaves_grid):
            on_val = validation.ranker_scores(objective, leaves)
            on_test = test.ranker_scores(objective, leaves)
            for theta in thetas:
                vn, vh = validation.ndcg_hr(validation.blended(on_val, theta))
                tn, th = test.ndcg_hr(test.blended(on_test, theta))
                shown = "alone" if theta is None else f"{theta:g}"
                print(
                    f"{months:>6} {objective:<10} {leaves:>6} {shown:>6} {vn:8.4f} {vh:7.4f} {tn:9.4f} {th:7.4f}",
                    flush=True,
                )
                results.append(
                    {"months": months, "objective": objective, "leaves": leaves, "theta": theta}
                    | {"val_ndcg10": round(vn, 4), "val_hr10": round(vh, 4)}
                    | {"test_ndcg10": round(tn, 4), "test_hr10": round(th, 4)}
                )
    best = max(results, key=lambda r: r["val_ndcg10"])
    print(f"best on validation: {best}; default: {baseline}")
    print(f"total {time.perf_counter() - started:.0f} s")
    print(json.dumps({"default": baseline, "best_on_validation": best, "grid": results}))


if __name__ == "__main__":
    main()
