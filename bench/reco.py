"""Recommendation benchmark: quality of every model and of the `implicit` ALS peer on the same time
split, and the latency of one edge recommendation request (model + store rules) on one core.

    .venv/bin/python bench/reco.py            # full: parameter searches on the validation month
    .venv/bin/python bench/reco.py --quick    # < 2 min: searched parameters and fitted results cached,
                                              # a smaller synthetic history for the scale section

Split: train on everything before the last complete month (Oct 2011), test on that month's baskets
of customers seen in training, each window netted on its own; parameters are chosen on the
validation month (Sep 2011, trained on what precedes it). Metrics count every distinct item a test
customer bought in the test month (repeat purchases count) and nothing is filtered for any model.

Scale section (``scale_*``, skip with ``--no-scale``): the default trained on a synthetic
100,000-item Zipf catalog, exported and signed, then loaded by a fresh edge-like child process
(onnxruntime + store rules) that reports its peak RSS and the latency of one request; baseline: the
same process with no model (popular fallback). Last line: one JSON object.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import functools
import hashlib
import itertools
import json
import pickle
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from models.data import Purchases, load_online_retail  # noqa: E402
from models.ease import Ease  # noqa: E402
from models.history import basket_counts, history_lists  # noqa: E402
from models.itemknn import ItemKNN  # noqa: E402
from models.metrics import RankingMetrics, evaluate, top_k  # noqa: E402
from models.popularity import Popularity  # noqa: E402
from models.search import Grid, RepeatParams, search_repeat_aware  # noqa: E402
from models.split import Split, last_month_split, validation_split  # noqa: E402
from models.training import fit_scorer, train_release  # noqa: E402

DEFAULT_CSV = REPO.parent / "shared" / "data" / "retail" / "online_retail_2010-12_2011-10.csv.gz"
CACHE = REPO / "bench" / ".cache"
CACHE_VERSION = 4
# Found by the full search (used by --quick when nothing is cached yet).
FALLBACK_PARAMS: dict[str, dict[str, Any]] = {
    "item-knn": {"neighbours": 200},
    "ease": {"lam": 300.0},
    "repeat-aware": asdict(RepeatParams()),
    "als": {"factors": 128, "regularization": 1.0, "weighting": "bm25", "alpha": 0.3, "iterations": 15},
}
ALS_DOCS = {"factors": 64, "regularization": 0.01, "weighting": "bm25", "alpha": 1.0, "iterations": 15}


def params_key(name: str) -> str:
    """Cache name of a model's searched parameters; the repeat-aware one follows its grid."""
    if name != "repeat-aware":
        return f"params-{name}"
    grid = hashlib.sha256(json.dumps(asdict(Grid()), sort_keys=True).encode()).hexdigest()[:10]
    return f"params-{name}-{grid}"


def log(msg: str) -> None:
    print(msg, flush=True)


# -- data and cache ------------------------------------------------------------------------


def fingerprint(path: Path) -> str:
    st = path.stat()
    return hashlib.sha256(f"{CACHE_VERSION}:{path.name}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[
        :16
    ]


class Cache:
    def __init__(self, root: Path, key: str) -> None:
        self.root = root / key
        self.root.mkdir(parents=True, exist_ok=True)

    def get(self, name: str, make: Callable[[], Any]) -> Any:
        path = self.root / f"{name}.pkl"
        if path.exists():
            return pickle.loads(path.read_bytes())  # our own cache files only
        value = make()
        path.write_bytes(pickle.dumps(value))
        return value

    def has(self, name: str) -> bool:
        return (self.root / f"{name}.pkl").exists()


# -- the implicit ALS peer -------------------------------------------------------------------


def als_input(counts: sp.csr_matrix, weighting: str, alpha: float) -> sp.csr_matrix:
    """Confidence-weighted user × item matrix, as implicit's docs recommend (BM25 or scaled counts)."""
    from implicit.nearest_neighbours import bm25_weight

    c = counts.astype(np.float32)
    if weighting == "bm25":
        return (bm25_weight(c, K1=100, B=0.8).tocsr() * alpha).astype(np.float32)
    out = c.copy()
    out.data = (alpha * (np.log1p(out.data) if weighting == "log" else out.data)).astype(np.float32)
    return out


def als_recommend(split: Split, params: dict[str, Any]) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from implicit.als import AlternatingLeastSquares

        x = als_input(basket_counts(split.train), params["weighting"], params["alpha"])
        model = AlternatingLeastSquares(
            factors=params["factors"],
            regularization=params["regularization"],
            iterations=params["iterations"],
            random_state=0,
            num_threads=1,
        )
        model.fit(x, show_progress=False)
        users = split.customers
        # Same rule as every other model: nothing already bought is filtered out.
        ids, _ = model.recommend(users, x[users], N=10, filter_already_liked_items=False)
    return np.asarray(ids, dtype=np.int64)


def search_als(validation: Split) -> tuple[dict[str, Any], float]:
    """Two stages on the validation month: regularisation × weighting at 64 factors, then the three
    best weightings × factors × iterations."""
    weightings = [("bm25", a) for a in (0.1, 0.3, 1.0, 3.0)]
    weightings += [("linear", a) for a in (0.3, 1.0, 3.0, 10.0)]
    weightings += [("log", a) for a in (1.0, 3.0, 10.0)]
    scored: list[tuple[float, dict[str, Any]]] = []

    def trial(params: dict[str, Any]) -> float:
        ndcg = _metrics(als_recommend(validation, params), validation).ndcg
        scored.append((ndcg, params))
        log(f"  als {params} -> ndcg@10 {ndcg:.4f}")
        return ndcg

    stage1 = []
    for reg, (w, a) in itertools.product((0.01, 0.1, 1.0), weightings):
        params = {"factors": 64, "regularization": reg, "weighting": w, "alpha": a, "iterations": 15}
        stage1.append((trial(params), params))
    stage1.sort(key=lambda t: -t[0])
    for _, base in stage1[:3]:
        for factors, iterations in itertools.product((32, 64, 128, 256), (15, 30)):
            if (factors, iterations) != (64, 15):
                trial({**base, "factors": factors, "iterations": iterations})
    best = max(scored, key=lambda t: t[0])
    return best[1], best[0]


# -- our models ----------------------------------------------------------------------------


def _metrics(recommended: np.ndarray, split: Split) -> RankingMetrics:
    return evaluate(recommended, split.targets, split.train.n_items, split.target_sizes)


def recommend_with(name: str, params: dict[str, Any], split: Split) -> np.ndarray:
    counts = basket_counts(split.train)[split.customers]
    if name == "popularity":
        model: Any = Popularity()
    elif name == "item-knn":
        model = ItemKNN(neighbours=params["neighbours"])
    elif name == "ease":
        model = Ease(lam=params["lam"])
    elif name == "repeat-aware":
        scorer = fit_scorer(split.train, RepeatParams(**params))
        return top_k(scorer.score(counts), 10)
    elif name in ("als", "als-docs"):
        return als_recommend(split, params)
    else:
        raise ValueError(name)
    model.fit(split.train)
    return top_k(model.score(counts), 10)


def search_params(name: str, validation: Split) -> dict[str, Any]:
    return search_als(validation)[0] if name == "als" else search_ours(name, validation)


def search_ours(name: str, validation: Split) -> dict[str, Any]:
    if name == "popularity":
        return {}
    if name == "repeat-aware":
        params, metrics = search_repeat_aware(validation, Grid())
        log(f"  repeat-aware best {params} -> ndcg@10 {metrics.ndcg:.4f}")
        return asdict(params)
    grid: list[dict[str, Any]] = (
        [{"neighbours": k} for k in (50, 200, 800)]
        if name == "item-knn"
        else [{"lam": lam} for lam in (50.0, 100.0, 300.0, 1000.0, 3000.0)]
    )
    best = max(grid, key=lambda p: _metrics(recommend_with(name, p, validation), validation).ndcg)
    log(f"  {name} best {best}")
    return best


# -- latency -------------------------------------------------------------------------------


def pin_one_core() -> str:
    try:
        core = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return f"pinned to core {core}"
    except (AttributeError, OSError):
        return "not pinned"


def percentiles(samples: list[float]) -> tuple[float, float]:
    ms = np.array(samples) * 1000
    return float(np.percentile(ms, 50)), float(np.percentile(ms, 99))


def latency(artifact: Any, public_key: Any, purchases: Purchases, requests: int) -> dict[str, Any]:
    """One request = model + store rules, in process, on one core. Measured twice: rules over an
    in-memory stock map, and the real edge path (stock fold, promotions, customer history read
    from a SQLite replica holding the whole catalog)."""
    from edge.node import EdgeNode
    from edge.recommend import EdgeRecommender, RecommendSettings
    from edge.services.stock import CountItem
    from models.rules import StoreRules
    from models.runtime import ModelRuntime
    from models.serving import RecommendationService
    from models.signing import public_key_b64

    rng = np.random.default_rng(0)
    skus = list(artifact.manifest.items)
    counts = basket_counts(purchases)
    active = np.flatnonzero(np.diff(counts.indptr) > 0)
    picked = rng.choice(active, size=min(200, len(active)), replace=False)
    histories = [[purchases.skus[i] for i in h] for h in history_lists(counts, picked)]
    stock = {s: int(rng.integers(0, 5)) for s in skus}  # ~20 % sold out here

    key = public_key_b64(public_key)
    runtime = ModelRuntime(public_key)
    runtime.install(artifact)
    service = RecommendationService(
        runtime,
        StoreRules(stock=lambda ss: {s: stock.get(s, 0) for s in ss}),
        popular_here=lambda n: list(artifact.manifest.popular[:n]),
    )
    samples = []
    for i in range(requests):
        history = histories[i % len(histories)]
        basket = history[-3:]
        t = time.perf_counter()
        service.recommend(history, exclude=basket, k=10)
        samples.append(time.perf_counter() - t)
    mem_p50, mem_p99 = percentiles(samples)

    with tempfile.TemporaryDirectory() as tmp:
        node = EdgeNode.open(Path(tmp) / "store.db", "bench-store")
        try:
            customers = _fill_replica(node, skus, stock, histories)
            node.stock.count([CountItem(s, q) for s, q in stock.items()], session="bench")
            recommender = EdgeRecommender(
                node.stock.ctx, RecommendSettings(public_key=key, dir=Path(tmp) / "models")
            )
            recommender.install(artifact)
            recommender.facts.popular_here(50)  # warm the cached best-sellers list
            by_kind: dict[str, list[float]] = {"for_you": [], "goes_well_with": [], "basket": []}
            for i in range(requests):
                history = histories[i % len(histories)]
                kind = ("for_you", "goes_well_with", "basket")[i % 3]
                t = time.perf_counter()
                if kind == "for_you":
                    recommender.for_customer(customers[i % len(customers)], history[-2:], 10)
                elif kind == "goes_well_with":
                    recommender.goes_well_with(history[0], (), 10)
                else:
                    recommender.for_basket(history[-5:], None, 10)
                by_kind[kind].append(time.perf_counter() - t)
        finally:
            node.close()
    every = [s for v in by_kind.values() for s in v]
    edge_p50, edge_p99 = percentiles(every)
    return {
        "memory_p50_ms": mem_p50,
        "memory_p99_ms": mem_p99,
        "edge_p50_ms": edge_p50,
        "edge_p99_ms": edge_p99,
        "edge_by_kind": {k: percentiles(v) for k, v in by_kind.items()},
        "requests": requests,
    }


def _fill_replica(node: Any, skus: list[str], stock: dict[str, int], histories: list[list[str]]) -> list[str]:
    """Catalog, prices and one customer per sampled history (as baseline sales, one per basket entry)."""
    customers = []
    at = datetime(2011, 10, 1, tzinfo=UTC)
    with node.replica.write() as tx:
        tx.conn.executemany(
            "INSERT INTO catalog (sku, name, category) VALUES (?, ?, '')", [(s, s) for s in skus]
        )
        tx.conn.executemany(
            "INSERT INTO prices VALUES (?, 0, '1970-01-01T00:00:00.000000Z', 100)", [(s,) for s in skus]
        )
        for c, history in enumerate(histories):
            cid = f"bench-c{c}"
            customers.append(cid)
            tx.execute("INSERT INTO customers (customer_id, created_at) VALUES (?, '2011-01-01')", (cid,))
            for n, sku in enumerate(history):
                rid = f"bench-r{c}-{n}"
                stamp = (at - timedelta(days=n % 300)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")
                tx.execute(
                    "INSERT INTO sales (receipt_id, store, channel, customer_id, at, hlc, total_cents, origin, "
                    "baseline) VALUES (?, 'bench-store', 'store', ?, ?, '', 100, 'bench-store', 1)",
                    (rid, cid, stamp),
                )
                tx.execute(
                    "INSERT INTO sale_lines (receipt_id, line_no, sku, qty, unit_cents) VALUES (?, 1, ?, 1, 100)",
                    (rid, sku),
                )
    return customers


# -- catalog scale -------------------------------------------------------------------------


def scale_section(quick: bool, requests: int) -> dict[str, Any]:
    """Train the default on a synthetic 100,000-item Zipf catalog, export and sign it, then load it
    in a fresh edge-like process (onnxruntime session + store rules over a stock map of the whole
    catalog) that reports its peak RSS and the latency of one request. Baseline in the same run: the
    same process serving the popular-here fallback without a model."""
    from models.artifact import build_artifact
    from models.itemitem import HEAD_ITEMS
    from models.onnx_export import to_onnx_bytes
    from models.signing import generate_private_key, public_key_b64
    from models.synthetic import CatalogShape, synthetic_history

    shape = CatalogShape(customers=5_000 if quick else 20_000)
    t = time.perf_counter()
    purchases = synthetic_history(shape)
    generate_s = time.perf_counter() - t
    log(
        f"scale: synthetic catalog {shape.items} items, {shape.customers} customers, {len(purchases)} lines, "
        f"{len(purchases.baskets)} baskets ({generate_s:.1f} s)"
    )
    params = RepeatParams()
    t = time.perf_counter()
    scorer = fit_scorer(purchases, params)
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    key = generate_private_key()
    buyers = np.bincount(purchases.item, minlength=purchases.n_items)
    artifact = build_artifact(
        to_onnx_bytes(scorer),
        key=key,
        kind="repeat-aware",
        items=purchases.skus,
        data_span=tuple(d.isoformat() for d in purchases.span()),  # type: ignore[arg-type]
        popular=tuple(purchases.skus[i] for i in np.argsort(-buyers, kind="stable")[:100]),
        params=params.as_dict(),
    )
    export_s = time.perf_counter() - t
    log(
        f"  trained in {train_s:.1f} s (head {HEAD_ITEMS} items exact), exported + signed in {export_s:.1f} s"
    )
    ease: dict[str, Any] = {}
    if not quick:  # EASE at the same scale (its rows pruned to the default's width)
        t = time.perf_counter()
        model = Ease(lam=300.0, keep=params.keep)
        model.fit(purchases)
        ease = {"scale_ease_train_s": round(time.perf_counter() - t, 1)}
        assert model.scorer is not None
        ease["scale_ease_model_bytes"] = len(to_onnx_bytes(model.scorer))
        log(
            f"  EASE (λ 300, keep {params.keep}): trained in {ease['scale_ease_train_s']} s, {ease['scale_ease_model_bytes']} bytes"
        )
        del model
    counts = basket_counts(purchases)
    rng = np.random.default_rng(1)
    active = np.flatnonzero(np.diff(counts.indptr) > 0)
    picked = rng.choice(active, size=min(300, len(active)), replace=False)
    histories = [[purchases.skus[i] for i in h] for h in history_lists(counts, picked)]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "model"
        artifact.write(folder)
        (Path(tmp) / "histories.json").write_text(json.dumps(histories))
        runs = {}
        for mode in ("fallback", "model"):
            out = subprocess.run(
                [sys.executable, __file__, "--scale-child", tmp, public_key_b64(key), mode, str(requests)],
                capture_output=True,
                text=True,
                check=True,
                timeout=600,
            )
            runs[mode] = json.loads(out.stdout.strip().splitlines()[-1])
    model, base = runs["model"], runs["fallback"]
    log(
        f"  edge-like process, model loaded: peak RSS {model['rss_mb']:.0f} MB (fallback only: {base['rss_mb']:.0f} MB); "
        f"one request (model + store rules, {requests} requests): p50 {model['p50_ms']:.3f} ms  p99 {model['p99_ms']:.3f} ms "
        f"(CPU time p99 {model['cpu_p99_ms']:.3f} ms; fallback p99 {base['p99_ms']:.3f} ms)"
    )
    dense_bytes = 2 * 8 * shape.items**2
    log(
        f"  model {len(artifact.onnx)} bytes ({scorer.weights.nnz} weights, width {scorer.width}); the dense fit "
        f"would hold two {shape.items}² float64 matrices = {dense_bytes / 1e9:.0f} GB"
    )
    return {
        "scale_items": len(artifact.manifest.items),
        "scale_lines": len(purchases),
        "scale_train_s": round(train_s, 1),
        "scale_model_bytes": len(artifact.onnx),
        "scale_edge_rss_mb": round(model["rss_mb"], 1),
        "scale_edge_rss_fallback_mb": round(base["rss_mb"], 1),
        "scale_p50_ms": round(model["p50_ms"], 3),
        "scale_p99_ms": round(model["p99_ms"], 3),
        "scale_p99_cpu_ms": round(model["cpu_p99_ms"], 3),
        "scale_fallback_p99_ms": round(base["p99_ms"], 3),
        "scale_dense_bytes": dense_bytes,
        **ease,
    }


def scale_child(folder: Path, key_b64: str, mode: str, requests: int) -> None:
    """The edge-like process: verify and load the artifact (``mode`` model) or not (fallback), serve
    ``requests`` requests with store rules, print peak RSS and latency as JSON."""
    from models.artifact import Artifact
    from models.rules import StoreRules
    from models.runtime import ModelRuntime
    from models.serving import RecommendationService
    from models.signing import load_public_key

    runtime = ModelRuntime(load_public_key(key_b64))
    artifact = Artifact.read(folder / "model")
    skus = artifact.manifest.items
    popular = list(artifact.manifest.popular)
    if mode == "model":
        runtime.install(artifact)
    del artifact
    rng = np.random.default_rng(0)
    stock = dict(zip(skus, rng.integers(0, 5, size=len(skus)).tolist(), strict=True))  # ~20 % sold out
    service = RecommendationService(
        runtime, StoreRules(stock=lambda ss: {s: stock.get(s, 0) for s in ss}), lambda n: popular[:n]
    )
    histories = json.loads((folder / "histories.json").read_text())
    wall, cpu = [], []
    for i in range(requests):
        history = histories[i % len(histories)]
        t, c = time.perf_counter(), time.process_time()
        answer = service.recommend(history, exclude=history[-3:], k=10)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        assert len(answer.items) == 10
    p50, p99 = percentiles(wall)
    _, cpu_p99 = percentiles(cpu)
    print(json.dumps({"rss_mb": peak_rss_mb(), "p50_ms": p50, "p99_ms": p99, "cpu_p99_ms": cpu_p99}))


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM: unlike ru_maxrss, it does not carry the parent's
    peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# -- main ----------------------------------------------------------------------------------

MODELS = ("popularity", "item-knn", "ease", "repeat-aware")


def add_path_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--path", type=Path, default=Path("..") / "shared" / "data" / "retail" / DEFAULT_CSV.name
    )


def sale_history(arg: Path) -> Path:
    """The Online Retail file named by ``--path`` (relative to the working directory), else the
    copy beside the repository; exits with a message when neither exists."""
    path = arg if arg.is_absolute() else (Path.cwd() / arg)
    if not path.exists():
        path = DEFAULT_CSV
    if not path.exists():
        sys.exit(f"sale history not found: {arg}")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="reuse cached searches/fits; < 2 min")
    add_path_option(parser)
    parser.add_argument(
        "--requests", type=int, default=None, help="latency samples (default 3000, quick 900)"
    )
    parser.add_argument("--scale-child", nargs=4, help=argparse.SUPPRESS)
    parser.add_argument("--no-scale", action="store_true", help="skip the 100,000-item catalog section")
    args = parser.parse_args()
    if args.scale_child:
        folder, key_b64, mode, count = args.scale_child
        scale_child(Path(folder), key_b64, mode, int(count))
        return
    started = time.perf_counter()
    path = sale_history(args.path)
    pinned = pin_one_core()
    cache = Cache(CACHE, fingerprint(path))
    log(f"reco bench ({'quick' if args.quick else 'full'}), {pinned}, cache {cache.root.relative_to(REPO)}")

    purchases: Purchases = cache.get("purchases", lambda: load_online_retail(path))
    test = last_month_split(purchases)
    validation = validation_split(purchases)
    log(
        f"data: {len(purchases)} lines, {purchases.n_items} items, {purchases.n_customers} customers; "
        f"test {test.test_start:%Y-%m}: {len(test.customers)} customers; validation {validation.test_start:%Y-%m}"
    )

    chosen: dict[str, dict[str, Any]] = {}
    for name in (*MODELS, "als"):
        if args.quick and not cache.has(params_key(name)):
            chosen[name] = FALLBACK_PARAMS.get(name, {})
            log(f"  {name}: no cached search, using the documented defaults {chosen[name]}")
            continue
        t = time.perf_counter()
        chosen[name] = cache.get(params_key(name), functools.partial(search_params, name, validation))
        log(f"  {name}: params {chosen[name]} ({time.perf_counter() - t:.1f} s)")
    chosen["als-docs"] = ALS_DOCS

    results: dict[str, RankingMetrics] = {}
    for name in (*MODELS, "als-docs", "als"):
        tag = hashlib.sha256(json.dumps(chosen[name], sort_keys=True).encode()).hexdigest()[:10]
        t = time.perf_counter()
        recs = cache.get(f"recs-{name}-{tag}", functools.partial(recommend_with, name, chosen[name], test))
        results[name] = _metrics(recs, test)
        log(f"  {name}: evaluated ({time.perf_counter() - t:.1f} s)")

    from models.signing import generate_private_key

    signer = cache.get("signing-key", lambda: generate_private_key().private_bytes_raw())
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.from_private_bytes(signer)
    params_tag = hashlib.sha256(json.dumps(chosen["repeat-aware"], sort_keys=True).encode()).hexdigest()[:10]
    release = cache.get(
        f"artifact-{params_tag}",
        lambda: train_release(purchases, key, params=RepeatParams(**chosen["repeat-aware"])).artifact,
    )
    requests = args.requests or (900 if args.quick else 3000)
    lat = latency(release, key.public_key(), purchases, requests)
    scale = {} if args.no_scale else scale_section(args.quick, requests)

    peer = results["als"]
    default = results["repeat-aware"]
    log("")
    log(f"quality on {test.test_start:%Y-%m} ({len(test.customers)} customers, k=10, nothing filtered)")
    log(f"{'model':<14} {'HR@10':>7} {'Recall@10':>10} {'NDCG@10':>8} {'coverage':>9}  params")
    for name in (*MODELS, "als-docs", "als"):
        m = results[name]
        label = {"als": "als (peer)", "als-docs": "als (docs)"}.get(name, name)
        log(f"{label:<14} {m.hr:7.4f} {m.recall:10.4f} {m.ndcg:8.4f} {m.coverage:9.4f}  {chosen[name]}")
    log(
        f"ratios default/peer: ndcg {default.ndcg / peer.ndcg:.3f} (target 1.25), "
        f"hr {default.hr / peer.hr:.3f} (target 1.05)"
    )
    log("")
    log(f"latency of one edge request, {lat['requests']} requests, k=10, {pinned}, onnxruntime 1 thread")
    log(
        f"  model + rules (stock map)        p50 {lat['memory_p50_ms']:.3f} ms  p99 {lat['memory_p99_ms']:.3f} ms"
    )
    log(
        f"  model + rules + SQLite replica   p50 {lat['edge_p50_ms']:.3f} ms  p99 {lat['edge_p99_ms']:.3f} ms"
    )
    for kind, (p50, p99) in lat["edge_by_kind"].items():
        log(f"    {kind:<16} p50 {p50:.3f} ms  p99 {p99:.3f} ms")
    log(
        f"  model: {release.manifest.model_id}, {len(release.onnx)} bytes, {len(release.manifest.items)} items"
    )
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    log(f"  machine load average: {load:.2f} on {os.cpu_count()} cores (p99 is sensitive to it)")
    log(f"total {time.perf_counter() - started:.1f} s")
    summary = {
        "hr10": round(default.hr, 4),
        "recall10": round(default.recall, 4),
        "ndcg10": round(default.ndcg, 4),
        "coverage10": round(default.coverage, 4),
        "peer_hr10": round(peer.hr, 4),
        "peer_ndcg10": round(peer.ndcg, 4),
        "peer_recall10": round(peer.recall, 4),
        "ndcg_ratio": round(default.ndcg / peer.ndcg, 3),
        "hr_ratio": round(default.hr / peer.hr, 3),
        "p50_ms": round(lat["edge_p50_ms"], 3),
        "p99_ms": round(lat["edge_p99_ms"], 3),
        "p99_ms_model_rules": round(lat["memory_p99_ms"], 3),
        "model_bytes": len(release.onnx),
        "items": len(release.manifest.items),
        "loadavg": round(load, 2),
        "models": {n: {"hr10": round(m.hr, 4), "ndcg10": round(m.ndcg, 4)} for n, m in results.items()},
        **scale,
        "quick": args.quick,
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
