"""Fixtures for the recommender tests: the real Online Retail history (loaded once) and keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from models.artifact import Artifact, build_artifact
from models.data import Purchases, SaleRow, build_purchases, read_online_retail
from models.linear import LinearScorer
from models.onnx_export import to_onnx_bytes
from models.repeat_aware import RepeatParts, fit_parts
from models.signing import generate_private_key
from models.split import Split, last_month_split

T0 = datetime(2024, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="session")
def retail_rows(retail_csv: Path) -> list[SaleRow]:
    return list(read_online_retail(retail_csv))


@pytest.fixture(scope="session")
def retail(retail_rows: list[SaleRow]) -> Purchases:
    return build_purchases(retail_rows)


@pytest.fixture(scope="session")
def retail_split(retail: Purchases) -> Split:
    return last_month_split(retail)


@pytest.fixture(scope="session")
def retail_parts(retail_split: Split) -> RepeatParts:
    """The repeat-aware model's parts on the real training months (3 month starts, to stay quick)."""
    return fit_parts(retail_split.train, 300.0, 3, keep=50)


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return generate_private_key()


def random_scorer(n: int, seed: int = 0, transform: str = "log1p") -> LinearScorer:
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(n, n)).astype(np.float32)
    weights[rng.random((n, n)) < 0.5] = 0.0
    return LinearScorer(
        weights,
        rng.random(n).astype(np.float32),
        (0.1 * rng.normal(size=n)).astype(np.float32),
        transform,  # type: ignore[arg-type]
    )


def make_artifact(key: Ed25519PrivateKey, skus: tuple[str, ...], seed: int = 0) -> Artifact:
    scorer = random_scorer(len(skus), seed)
    return build_artifact(
        to_onnx_bytes(scorer),
        key=key,
        kind="test",
        items=skus,
        data_span=("2024-01-01T00:00:00+00:00", "2024-02-01T00:00:00+00:00"),
        metrics={"ndcg10": 0.5},
        params={"seed": seed},
    )


def synthetic_rows(n_customers: int = 60, n_items: int = 12, months: int = 4, seed: int = 1) -> list[SaleRow]:
    """Customers in two taste groups (first vs second half of the items) buying weekly."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(n_customers):
        half = range(0, n_items // 2) if c % 2 == 0 else range(n_items // 2, n_items)
        for week in range(months * 4):
            if rng.random() < 0.5:
                continue
            basket = f"b{c}-{week}"
            for item in rng.choice(list(half), size=3, replace=False):
                rows.append(
                    SaleRow(f"c{c}", basket, f"sku{item}", 1, T0 + timedelta(days=7 * week, hours=c % 5))
                )
    return rows


def synthetic_purchases(
    n_customers: int = 60, n_items: int = 12, months: int = 4, seed: int = 1
) -> Purchases:
    return build_purchases(synthetic_rows(n_customers, n_items, months, seed))
