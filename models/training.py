"""Train, evaluate and package the default recommender from a purchase history.

Steps: (1) optionally search parameters on the validation month, (2) fit on everything before the
last month and measure on it (the manifest's metrics), (3) refit on the whole history and export
that to a signed ONNX artifact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.artifact import Artifact, build_artifact
from models.data import Purchases
from models.errors import DataError
from models.history import basket_counts, binary
from models.linear import LinearScorer
from models.metrics import RankingMetrics, evaluate, top_k
from models.onnx_export import to_onnx_bytes
from models.repeat_aware import fit_parts
from models.search import Grid, RepeatParams, search_repeat_aware
from models.split import last_month_split, validation_split

KIND = "repeat-aware"
POPULAR_IN_MANIFEST = 100
Progress = Callable[[str], None]


@dataclass(frozen=True)
class TrainingResult:
    artifact: Artifact
    params: RepeatParams
    test: RankingMetrics | None
    """None when the history has no complete month to test on (see ``notes``)."""
    validation: RankingMetrics | None
    notes: tuple[str, ...] = ()
    """Why a step was skipped (a history too short to search or to evaluate on)."""


def fit_scorer(purchases: Purchases, params: RepeatParams) -> LinearScorer:
    return (
        fit_parts(purchases, params.lam, params.months, keep=params.keep)
        .scorer(params.beta, params.cross, params.trend)
        .pruned(params.keep)
    )


def train_release(
    purchases: Purchases,
    key: Ed25519PrivateKey,
    *,
    params: RepeatParams | None = None,
    grid: Grid | None = None,
    progress: Progress | None = None,
) -> TrainingResult:
    """``params`` fixed, or searched over ``grid`` (default grid) when None. A history too short
    for the search (two complete months) keeps the default parameters, one too short to evaluate
    (one complete month after some training history) releases a model without test metrics; both
    are said in ``notes``."""
    step = progress or (lambda _msg: None)
    purchases = purchases.compact()
    validation_metrics = None
    notes: list[str] = []
    if params is None:
        step("search")
        try:
            validation = validation_split(purchases)
        except DataError as err:
            notes.append(f"search skipped, default parameters kept: {err}")
            params = RepeatParams()
        else:
            params, validation_metrics = search_repeat_aware(validation, grid or Grid())
    step("evaluate")
    test = None
    try:
        split = last_month_split(purchases)
    except DataError as err:
        notes.append(f"not evaluated: {err}")
    else:
        scorer = fit_scorer(split.train, params)
        scores = scorer.score(basket_counts(split.train)[split.customers])
        test = evaluate(top_k(scores, 10), split.targets, split.train.n_items, split.target_sizes)
    step("fit")
    final = fit_scorer(purchases, params)
    step("export")
    start, end = purchases.span()
    buyers = np.asarray(binary(basket_counts(purchases)).sum(axis=0)).ravel()
    popular = tuple(purchases.skus[i] for i in np.argsort(-buyers, kind="stable")[:POPULAR_IN_MANIFEST])
    metrics = (
        {}
        if test is None
        else {"hr10": test.hr, "recall10": test.recall, "ndcg10": test.ndcg, "coverage10": test.coverage}
    )
    artifact = build_artifact(
        to_onnx_bytes(final),
        key=key,
        kind=KIND,
        items=purchases.skus,
        data_span=(start.isoformat(), end.isoformat()),
        popular=popular,
        metrics=metrics,
        params=params.as_dict(),
    )
    return TrainingResult(artifact, params, test, validation_metrics, tuple(notes))
