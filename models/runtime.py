"""The edge's model runtime: one verified onnxruntime session, hot-swapped, with rollback.

Contract: :meth:`ModelRuntime.install` verifies an artifact (signature, hash) and builds its session
*before* it replaces the current model, so a bad artifact never displaces a good one. The swap is a
single reference assignment; a request reads the reference once, so it runs wholly on the old or
wholly on the new model. The replaced model is kept for :meth:`ModelRuntime.rollback`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from models.artifact import Artifact, Manifest, verify_artifact
from models.errors import ArtifactError


@dataclass(frozen=True, slots=True)
class Suggestion:
    sku: str
    score: float
    source: str  # "model" or "popular"


class LoadedModel:
    """A verified artifact with its session; immutable once built."""

    def __init__(self, artifact: Artifact, threads: int = 1) -> None:
        self.manifest: Manifest = artifact.manifest
        self.index = {sku: i for i, sku in enumerate(artifact.manifest.items)}
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        try:
            self.session = ort.InferenceSession(artifact.onnx, options, providers=["CPUExecutionProvider"])
            self._run(np.zeros(0, np.int64), np.zeros(0, np.int64), 1)
        except Exception as err:  # onnxruntime raises its own untyped errors
            raise ArtifactError(f"model {artifact.manifest.model_id} does not load: {err}") from err

    @property
    def model_id(self) -> str:
        return self.manifest.model_id

    @property
    def n_items(self) -> int:
        return len(self.manifest.items)

    def _run(self, history: np.ndarray, exclude: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        items, scores = self.session.run(
            None, {"history": history, "exclude": exclude, "k": np.array([k], dtype=np.int64)}
        )
        return items, scores

    def recommend(self, history: Sequence[str], exclude: Sequence[str], k: int) -> list[Suggestion]:
        """Top ``k`` known items for a history of skus (one entry per basket: repeats count).
        Unknown skus are ignored; excluded skus never come back."""
        hist = np.fromiter((self.index[s] for s in history if s in self.index), dtype=np.int64)
        excl = np.fromiter({self.index[s] for s in exclude if s in self.index}, dtype=np.int64)
        items, scores = self._run(hist, excl, max(1, k))
        skus = self.manifest.items
        return [
            Suggestion(skus[int(i)], float(s), "model")
            for i, s in zip(items, scores, strict=True)
            if np.isfinite(s)
        ]


class ModelRuntime:
    def __init__(self, trusted_key: Ed25519PublicKey, threads: int = 1) -> None:
        self._key = trusted_key
        self._threads = threads
        self._lock = threading.Lock()
        self._current: LoadedModel | None = None
        self._previous: LoadedModel | None = None

    @property
    def current(self) -> LoadedModel | None:
        return self._current

    @property
    def previous(self) -> LoadedModel | None:
        return self._previous

    def install(self, artifact: Artifact) -> Manifest:
        """Verify, load, then swap in ``artifact``; the replaced model becomes the rollback target.
        Raises :class:`~models.errors.ArtifactError` (or its SignatureError) and changes nothing
        if the artifact is unsigned, tampered with or does not load."""
        verify_artifact(artifact, self._key)
        loaded = LoadedModel(artifact, self._threads)
        with self._lock:
            if self._current is not None and self._current.model_id == loaded.model_id:
                return loaded.manifest
            self._previous, self._current = self._current, loaded
        return loaded.manifest

    def rollback(self) -> Manifest:
        """Swap back to the previous model (the current one becomes the previous)."""
        with self._lock:
            target = self._previous
            if target is None:
                raise ArtifactError("no previous model to roll back to")
            self._previous, self._current = self._current, target
            return target.manifest

    def recommend(self, history: Sequence[str], exclude: Sequence[str], k: int) -> list[Suggestion] | None:
        """The current model's suggestions, or None when no model is loaded."""
        model = self._current
        return None if model is None else model.recommend(history, exclude, k)
