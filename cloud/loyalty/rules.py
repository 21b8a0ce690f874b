"""Earning rules: versioned, effective-dated; points = floor(cents / earn_per_unit_cents) × multiplier."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, select

from cloud.storage import schema as s
from cloud.timefmt import utc_now_text

DEFAULT_EARN_PER_UNIT_CENTS = 100
DEFAULT_EXPIRY_DAYS = 365


@dataclass(frozen=True)
class Rules:
    version: int = 0
    effective_from: str = "1970-01-01T00:00:00Z"
    earn_per_unit_cents: int = DEFAULT_EARN_PER_UNIT_CENTS
    multipliers: dict[str, float] = field(default_factory=dict)
    expiry_days: int = DEFAULT_EXPIRY_DAYS

    def points_for(self, cents: int, channel: str) -> int:
        """Points earned on ``cents`` spent on ``channel`` (never negative)."""
        if cents <= 0:
            return 0
        return int((cents // self.earn_per_unit_cents) * float(self.multipliers.get(channel, 1.0)))

    def to_body(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "effective_from": self.effective_from,
            "earn_per_unit_cents": self.earn_per_unit_cents,
            "multipliers": dict(self.multipliers),
            "expiry_days": self.expiry_days,
        }


def current(conn: Connection, at: str | None = None) -> Rules:
    """The rules in force at ``at`` (now by default): the highest version already effective."""
    row = (
        conn.execute(
            select(s.loyalty_rules)
            .where(s.loyalty_rules.c.effective_from <= (at or utc_now_text()))
            .order_by(s.loyalty_rules.c.effective_from.desc(), s.loyalty_rules.c.version.desc())
            .limit(1)
        )
        .mappings()
        .first()
    )
    if row is None:
        return Rules()
    return Rules(
        version=int(row["version"]),
        effective_from=row["effective_from"],
        earn_per_unit_cents=int(row["earn_per_unit_cents"]),
        multipliers={str(k): float(v) for k, v in json.loads(row["multipliers"]).items()},
        expiry_days=int(row["expiry_days"]),
    )
