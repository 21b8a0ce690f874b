"""Where an edge keeps verified artifacts on disk, and which one is current (survives restarts)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from models.artifact import Artifact
from models.errors import ArtifactError, ModelError
from models.runtime import ModelRuntime

CURRENT = "CURRENT"
PREVIOUS = "PREVIOUS"


class ArtifactShelf:
    """``root/<model_id>/`` per artifact; ``root/CURRENT`` and ``root/PREVIOUS`` name model ids.

    Writes go to a temporary sibling and are renamed into place, so a crash never leaves a
    half-written artifact or pointer behind.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, artifact: Artifact) -> Path:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / artifact.manifest.model_id
        if target.exists():
            return target
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            artifact.write(staging)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    def load(self, model_id: str) -> Artifact:
        if "/" in model_id or model_id.startswith("."):
            raise ArtifactError(f"bad model id {model_id!r}")
        return Artifact.read(self.root / model_id)

    def _pointer(self, name: str) -> str | None:
        path = self.root / name
        return path.read_text().strip() or None if path.exists() else None

    def _write_pointer(self, name: str, model_id: str | None) -> None:
        tmp = self.root / f".{name}.tmp"
        tmp.write_text(model_id or "")
        os.replace(tmp, self.root / name)

    def current_id(self) -> str | None:
        return self._pointer(CURRENT)

    def previous_id(self) -> str | None:
        return self._pointer(PREVIOUS)

    def mark_current(self, model_id: str) -> None:
        """Record ``model_id`` as current; the former current becomes previous."""
        self.root.mkdir(parents=True, exist_ok=True)
        former = self.current_id()
        if former == model_id:
            return
        self._write_pointer(PREVIOUS, former)
        self._write_pointer(CURRENT, model_id)

    def mark_rolled_back(self) -> None:
        current, previous = self.current_id(), self.previous_id()
        self._write_pointer(CURRENT, previous)
        self._write_pointer(PREVIOUS, current)


def restore(runtime: ModelRuntime, shelf: ArtifactShelf) -> list[str]:
    """Install the previous then the current artifact, so rollback works after a restart.
    Returns the problems met (each artifact that failed verification or loading is skipped)."""
    problems = []
    for model_id in (shelf.previous_id(), shelf.current_id()):
        if model_id is None:
            continue
        try:
            runtime.install(shelf.load(model_id))
        except ModelError as err:
            problems.append(f"{model_id}: {err}")
    return problems
