"""Quarantine: payloads the hub will not apply (malformed, unauthorised, unprojectable).

Each is stored with its topic and reason, logged and counted; the worker carries on.
"""

from __future__ import annotations

import logging
from collections import Counter

from sqlalchemy import Engine, insert

from cloud.storage import schema as s
from cloud.timefmt import utc_now_text

log = logging.getLogger(__name__)


class Quarantine:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.counts: Counter[str] = Counter()

    def put(self, topic: str, reason: str, payload: bytes, kind: str) -> None:
        """Store the payload; ``kind`` is a short counter label (malformed, unauthorised, projection)."""
        self.counts[kind] += 1
        log.warning("quarantined %s payload on %s: %s", kind, topic, reason)
        with self.engine.begin() as conn:
            conn.execute(
                insert(s.quarantine).values(
                    received_at=utc_now_text(),
                    topic=topic[:256],
                    reason=f"{kind}: {reason}"[:4000],
                    payload=payload,
                )
            )

    @property
    def total(self) -> int:
        return sum(self.counts.values())
