"""A populated edge node served by the real app under uvicorn, for tests that share one server
(module-scoped fixtures) or need the replica somewhere special (a small file system)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from edge.api.app import create_app
from edge.node import EdgeNode
from edge.settings import load_settings
from tests.edge.conftest import STORE, TOKENS, Wall, populate
from tests.support.server import served


@contextmanager
def serve_edge(directory: Path, **config: Any) -> Iterator[tuple[str, EdgeNode]]:
    """(base URL, node) of a node at ``directory/store.db`` with the conftest catalog and tokens;
    ``config`` goes to uvicorn (e.g. ``timeout_keep_alive``)."""
    node = EdgeNode.open(directory / "store.db", STORE, wall=Wall())
    populate(node)
    settings = load_settings(
        store_id=STORE,
        db_path=directory / "store.db",
        kiosk_token=TOKENS["kiosk"],
        staff_token=TOKENS["staff"],
        manager_token=TOKENS["manager"],
    )
    try:
        with served(create_app(settings, node=node), **config) as url:
            yield url, node
    finally:
        node.close()
