"""Reconnect delays: exponential backoff with full jitter (pure; the rng is injected).

Attempt ``n`` waits a uniform random time in ``[min_s, min(max_s, min_s * 2**n)]``, so a fleet
reconnecting after a broker restart spreads out instead of stampeding.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    min_s: float = 0.05
    max_s: float = 1.0
    rng: random.Random = field(default_factory=random.Random)
    attempt: int = 0

    def next_delay(self) -> float:
        cap = min(self.max_s, self.min_s * (2**self.attempt))
        self.attempt = min(self.attempt + 1, 32)
        return self.rng.uniform(self.min_s, max(cap, self.min_s))

    def reset(self) -> None:
        self.attempt = 0
