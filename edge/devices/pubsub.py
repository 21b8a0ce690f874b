"""In-process pub/sub on the app's event loop: one topic per kiosk/handheld session, count, or feed.

:meth:`Topics.publish` may be called from any thread (reader and scanner threads do). Each subscriber
has a bounded queue; a slow subscriber loses its oldest messages, never blocks a publisher.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

Message = tuple[str, dict[str, Any]]


class Topics:
    def __init__(self, queue_size: int = 256) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[str, set[asyncio.Queue[Message]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self.dropped = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._loop_thread = threading.get_ident()

    def subscriber_count(self, topic: str) -> int:
        return len(self._subscribers.get(topic, ()))

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Message]]:
        if self._loop is None:
            self.bind(asyncio.get_running_loop())
        queue: asyncio.Queue[Message] = asyncio.Queue(self._queue_size)
        self._subscribers.setdefault(topic, set()).add(queue)
        try:
            yield queue
        finally:
            subs = self._subscribers.get(topic)
            if subs is not None:
                subs.discard(queue)
                if not subs:
                    del self._subscribers[topic]

    def publish(self, topic: str, name: str, data: dict[str, Any]) -> None:
        """Deliver ``(name, data)`` to the topic's current subscribers (thread-safe, never blocks)."""
        loop = self._loop
        if loop is None or topic not in self._subscribers:
            return
        if threading.get_ident() == self._loop_thread:
            self._deliver(topic, (name, data))
        elif not loop.is_closed():
            loop.call_soon_threadsafe(self._deliver, topic, (name, data))

    def _deliver(self, topic: str, message: Message) -> None:
        for queue in list(self._subscribers.get(topic, ())):
            if queue.full():
                queue.get_nowait()
                self.dropped += 1
            queue.put_nowait(message)
