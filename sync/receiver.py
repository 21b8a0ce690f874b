"""The receiving side of one op stream, as pure functions and a small throttle (no I/O).

Given the stream's high-water mark (highest contiguous seq applied) and a batch, :func:`plan`
says which ops extend the mark, how many are duplicates, and whether a gap was seen. The caller
applies ``plan.apply`` and stores ``plan.new_hwm`` in one transaction, then acks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sync.ops import Op


@dataclass(frozen=True, slots=True)
class Plan:
    apply: tuple[Op, ...]
    duplicates: int
    gap: bool
    new_hwm: int


def plan(hwm: int, ops: Iterable[Op]) -> Plan:
    """Ops with seq ``hwm+1, hwm+2, ...`` (contiguous) are applied; seq ``<= hwm`` are duplicates;
    anything after a missing seq is held back and reported as a gap."""
    by_seq: dict[int, Op] = {}
    duplicates = 0
    for op in ops:
        if op.seq <= hwm or op.seq in by_seq:
            duplicates += 1
        else:
            by_seq[op.seq] = op
    take: list[Op] = []
    nxt = hwm + 1
    while nxt in by_seq:
        take.append(by_seq.pop(nxt))
        nxt += 1
    return Plan(tuple(take), duplicates, bool(by_seq), nxt - 1)


class GapThrottle:
    """Asks for a resend at most once per ``holdoff_s`` for the same high-water mark, so a burst of
    batches after one lost message produces one resend, not one per batch."""

    def __init__(self, holdoff_s: float = 0.5) -> None:
        self.holdoff_s = holdoff_s
        self._last: dict[str, tuple[int, float]] = {}

    def should_request(self, origin: str, hwm: int, now: float) -> bool:
        last = self._last.get(origin)
        if last is not None and last[0] == hwm and now - last[1] < self.holdoff_s:
            return False
        self._last[origin] = (hwm, now)
        return True
