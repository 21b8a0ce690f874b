"""What every store service is built from: the replica, the store's identity and a wall clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from edge.replica.database import Replica
from sync.hlc import Timestamp
from sync.instants import instant_text


def iso(moment: datetime) -> str:
    return instant_text(moment)


@dataclass(slots=True)
class StoreContext:
    replica: Replica
    store_id: str
    default_zone: str = "floor"
    wall: Callable[[], float] = field(default=time.time)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.wall(), UTC)

    def now_iso(self, plus: timedelta | None = None) -> str:
        moment = self.now()
        return iso(moment + plus if plus else moment)


def id_from_hlc(prefix: str, hlc: str) -> str:
    """A store-unique, sortable id derived from an HLC reading issued by this store."""
    ts = Timestamp.parse(hlc)
    return f"{prefix}-{ts.node}-{ts.wall_ms}-{ts.counter}"


def age_s(as_of: str | None, now: datetime) -> float | None:
    """Seconds from ``as_of`` (ISO UTC) to ``now``; never negative (a clock ahead reads as just now)."""
    if not as_of:
        return None
    try:
        then = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return max(0.0, round((now - then).total_seconds(), 1))
