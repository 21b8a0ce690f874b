"""Where tests find the repo and the shared third-party data."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def shared_data() -> Path:
    """``../shared/data`` beside the repo (or $VITRINE_SHARED_DATA).

    A test that needs it and cannot find it fails: in CI a missing data set is a broken set-up,
    not a reason to skip.
    """
    root = Path(os.environ.get("VITRINE_SHARED_DATA", REPO.parent / "shared" / "data"))
    if not root.is_dir():
        raise FileNotFoundError(f"shared test data not found at {root} (expected ../shared/data)")
    return root
