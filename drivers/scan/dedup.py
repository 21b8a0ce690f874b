"""De-duplication of repeated decodes: a code held in front of a camera is one scan, not thirty."""

from __future__ import annotations


class Deduplicator:
    """Pure: ``accept(key, now)`` is True for the first sighting of ``key`` and again only after
    ``window_s`` seconds without seeing it. Every sighting (accepted or not) restarts the window, so a
    code that stays in view produces one event; removed and shown again after the window, a new one.
    """

    def __init__(self, window_s: float = 2.0, *, max_keys: int = 10_000) -> None:
        if window_s < 0:
            raise ValueError("window_s must be >= 0")
        self.window_s = window_s
        self.max_keys = max_keys
        self._last_seen: dict[str, float] = {}

    def accept(self, key: str, now: float) -> bool:
        last = self._last_seen.pop(key, None)
        self._last_seen[key] = now  # re-inserted: dict order is least recently seen first
        if len(self._last_seen) > self.max_keys:
            self._evict(now)
        return last is None or now - last >= self.window_s

    def _evict(self, now: float) -> None:
        for key, seen in list(self._last_seen.items()):
            if now - seen < self.window_s and len(self._last_seen) <= self.max_keys:
                break
            del self._last_seen[key]
