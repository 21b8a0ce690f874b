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
HELD = "HELD"
HELD_DIR = ".held"
MAX_HELD = 5


class ArtifactShelf:
    """``root/<model_id>/`` per artifact; ``root/CURRENT`` and ``root/PREVIOUS`` name model ids;
    ``root/HELD`` lists releases kept in ``root/.held/`` until this edge can verify them.

    Writes go to a temporary sibling and are renamed into place, so a crash never leaves a
    half-written artifact or pointer behind.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, artifact: Artifact) -> Path:
        """Keep ``artifact`` under its id; a damaged copy already there (missing, truncated or
        altered files) is replaced by this one."""
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / artifact.manifest.model_id
        if target.exists() and _same(target, artifact):
            return target
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            artifact.write(staging)
            if target.exists():
                damaged = Path(tempfile.mkdtemp(prefix=".damaged-", dir=self.root))
                os.replace(target, damaged / "artifact")
                shutil.rmtree(damaged, ignore_errors=True)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

    # -- releases held until they can be verified ------------------------------------------
    def hold(self, artifact: Artifact) -> None:
        """Keep a release this edge could not verify (no or another trusted key) so it can be
        installed once the key is configured; at most :data:`MAX_HELD`, oldest dropped."""
        held = [m for m in self.held_ids() if m != artifact.manifest.model_id]
        folder = self.root / HELD_DIR
        folder.mkdir(parents=True, exist_ok=True)
        ArtifactShelf(folder).save(artifact)
        held.append(artifact.manifest.model_id)
        for dropped in held[:-MAX_HELD]:
            shutil.rmtree(folder / dropped, ignore_errors=True)
        self._write_pointer(HELD, "\n".join(held[-MAX_HELD:]))

    def held_ids(self) -> list[str]:
        """Held releases in the order they arrived."""
        path = self.root / HELD
        return [line for line in path.read_text().split() if line] if path.exists() else []

    def load_held(self, model_id: str) -> Artifact:
        return ArtifactShelf(self.root / HELD_DIR).load(model_id)

    def drop_held(self, model_id: str) -> None:
        self._write_pointer(HELD, "\n".join(m for m in self.held_ids() if m != model_id))
        shutil.rmtree(self.root / HELD_DIR / model_id, ignore_errors=True)

    def load(self, model_id: str) -> Artifact:
        if "/" in model_id or model_id.startswith("."):
            raise ArtifactError(f"bad model id {model_id!r}")
        return Artifact.read(self.root / model_id)

    def _pointer(self, name: str) -> str | None:
        path = self.root / name
        return path.read_text().strip() or None if path.exists() else None

    def _write_pointer(self, name: str, model_id: str | None) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
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


def _same(directory: Path, artifact: Artifact) -> bool:
    try:
        kept = Artifact.read(directory)
    except ArtifactError:
        return False
    return kept == artifact


def restore(runtime: ModelRuntime, shelf: ArtifactShelf) -> list[str]:
    """Install the previous then the current artifact, so rollback works after a restart.
    Returns the problems met, each ``"<model_id>: <reason>"`` (an artifact that fails verification
    or loading is skipped; releasing the same model again repairs it, see :meth:`ArtifactShelf.save`)."""
    problems = []
    for model_id in (shelf.previous_id(), shelf.current_id()):
        if model_id is None:
            continue
        try:
            runtime.install(shelf.load(model_id))
        except ModelError as err:
            problems.append(f"{model_id}: {err}")
    return problems
