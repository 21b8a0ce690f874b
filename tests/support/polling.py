"""Bounded polling for tests that wait on another thread, process or browser."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(
    pred: Callable[[], bool],
    timeout: float,
    what: str,
    interval: float = 0.05,
    *,
    detail: Callable[[], object] | None = None,
    ignore: tuple[type[Exception], ...] = (),
) -> None:
    """Return once ``pred()`` is true; AssertionError naming ``what`` (and ``detail()``) after
    ``timeout`` seconds. Exceptions of the ``ignore`` types count as "not yet" (a restarting peer)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except ignore:
            pass
        time.sleep(interval)
    extra = f": {detail()}" if detail is not None else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}{extra}")
