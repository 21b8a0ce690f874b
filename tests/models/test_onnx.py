"""The ONNX graph returns what the Python scorer computes."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from models.history import basket_counts, counts_from_lists, history_lists
from models.linear import LinearScorer
from models.onnx_export import to_onnx_bytes
from models.repeat_aware import RepeatParts
from models.search import RepeatParams
from models.split import Split
from tests.models.conftest import random_scorer


def _session(scorer: LinearScorer) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(to_onnx_bytes(scorer), options, providers=["CPUExecutionProvider"])


def _run(
    session: ort.InferenceSession, history: list[int], exclude: list[int], k: int
) -> tuple[np.ndarray, np.ndarray]:
    items, scores = session.run(
        None,
        {
            "history": np.array(history, dtype=np.int64),
            "exclude": np.array(exclude, dtype=np.int64),
            "k": np.array([k], dtype=np.int64),
        },
    )
    return items, scores


@pytest.mark.parametrize("transform", ["log1p", "binary"])
def test_parity_with_the_python_scorer(transform: str) -> None:
    n = 40
    scorer = random_scorer(n, seed=7, transform=transform)
    session = _session(scorer)
    rng = np.random.default_rng(0)
    for _ in range(25):
        history = rng.integers(0, n, size=int(rng.integers(0, 15))).tolist()
        exclude = rng.integers(0, n, size=int(rng.integers(0, 5))).tolist()
        expected = scorer.score(counts_from_lists([np.array(history, dtype=np.int64)], n))[0]
        expected[exclude] = -np.inf
        items, scores = _run(session, history, exclude, 10)
        assert items.tolist() == np.argsort(-expected, kind="stable")[:10].tolist()
        assert np.allclose(scores, expected[items], rtol=1e-5, atol=1e-5)


def test_trained_model_parity(retail_split: Split, retail_parts: RepeatParts) -> None:
    default = RepeatParams()  # the default blend; retail_parts stands in for the ridge (cheaper λ, months)
    scorer = retail_parts.scorer(beta=default.beta, cross=default.cross, trend=default.trend)
    session = _session(scorer)
    counts = basket_counts(retail_split.train)
    rows = retail_split.customers[:30]
    expected = scorer.score(counts[rows])
    for history, row in zip(history_lists(counts, rows), expected, strict=True):
        items, scores = _run(session, history.tolist(), [], 10)
        assert np.allclose(scores, row[items], rtol=1e-4, atol=1e-4)
        assert np.allclose(scores, np.sort(row)[::-1][:10], rtol=1e-4, atol=1e-4)


def test_edges_of_the_input_space() -> None:
    n = 8
    scorer = random_scorer(n, seed=1)
    session = _session(scorer)
    items, scores = _run(session, [], [], 3)  # empty history: the bias ranks
    assert items.tolist() == np.argsort(-scorer.bias, kind="stable")[:3].tolist()
    items, _ = _run(session, [1, 2], [], 100)  # k beyond the catalog is clipped
    assert len(items) == n
    items, scores = _run(session, [1], list(range(n - 2)), n)  # exclusions come last, at -inf
    assert set(items[:2].tolist()) == {n - 2, n - 1}
    assert np.isneginf(scores[2:]).all()


def test_cross_weights_travel_sparse() -> None:
    dense = random_scorer(60, seed=2)
    sparse = dense.pruned(5)
    assert len(to_onnx_bytes(sparse)) < len(to_onnx_bytes(dense)) / 3
