"""What the sync agents need from the node they run on (edge or cloud), as Protocols.

The node implements these over its own storage; ``sync`` never touches a database itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sync.ops import Op


class Outbox(Protocol):
    """The durable queue of ops this node produced (transactional outbox)."""

    def read_after(self, seq: int, limit: int) -> list[Op]:
        """Ops with ``seq > seq`` in seq order, at most ``limit``."""
        ...

    def acked_seq(self) -> int:
        """Highest seq the peer has acknowledged (0 if none)."""
        ...

    def mark_acked(self, seq: int) -> None:
        """Record that the peer applied every op up to ``seq``; monotonic, never goes back."""
        ...

    def last_seq(self) -> int:
        """Highest seq written so far (0 if none)."""
        ...

    def hlc_at(self, seq: int) -> str | None:
        """The HLC of the op at ``seq`` (None if it does not exist or is no longer kept)."""
        ...

    def rewind_acked(self, seq: int) -> int:
        """The peer was restored from a backup and holds only up to ``seq``: set the acked mark
        back to it. Returns the lowest seq still kept (ops below it were pruned by retention)."""
        ...


class Inbox(Protocol):
    """Applies a peer's ops exactly once."""

    def high_water_mark(self, origin: str) -> int:
        """Highest contiguous seq applied from ``origin`` (0 if none)."""
        ...

    def fingerprint(self, origin: str) -> str | None:
        """The HLC of the op applied at the high-water mark (None if none): sent in acks so a
        sender restored from a backup notices the receiver holds ops it has lost."""
        ...

    def apply(self, origin: str, ops: Sequence[Op]) -> int:
        """Apply the ops that extend the high-water mark contiguously, in one transaction with the
        new mark, skipping those already applied. Returns the new high-water mark. Ops beyond a gap
        are not applied (the caller asks for a resend)."""
        ...
