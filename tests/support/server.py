"""Serve an ASGI app under a real uvicorn on a free loopback port, in a thread, for one test."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from sync.broker import free_port


@contextmanager
def served(app: Any, *, startup_s: float = 20.0, **config: Any) -> Iterator[str]:
    """Yields the base URL while ``app`` runs; ``config`` overrides uvicorn.Config defaults.

    Long-lived responses (server-sent events) must not hold the shutdown: graceful shutdown is
    bounded to 2 s unless ``config`` says otherwise."""
    port = free_port()
    options: dict[str, Any] = {"log_level": "warning", "lifespan": "on", "timeout_graceful_shutdown": 2}
    options.update(config)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, **options))
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
