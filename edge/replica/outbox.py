"""``sync.ports.Outbox`` over the replica's ``outbox`` / ``outbox_ack`` tables."""

from __future__ import annotations

from edge.replica.database import Replica, op_from_row
from sync.ops import Op


class ReplicaOutbox:
    """The durable queue of this store's ops. Ops are written by services through ``Tx.emit``."""

    def __init__(self, replica: Replica) -> None:
        self._replica = replica

    def read_after(self, seq: int, limit: int) -> list[Op]:
        rows = (
            self._replica.reader()
            .execute(
                "SELECT seq, hlc, type, v, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (seq, limit)
            )
            .fetchall()
        )
        return [op_from_row(self._replica.store_id, row) for row in rows]

    def acked_seq(self) -> int:
        row = self._replica.reader().execute("SELECT seq FROM outbox_ack WHERE id = 1").fetchone()
        return int(row[0]) if row else 0

    def mark_acked(self, seq: int) -> None:
        with self._replica.write() as tx:
            # Never beyond what exists, never backwards.
            tx.execute(
                "UPDATE outbox_ack SET seq = max(seq, min(?, (SELECT coalesce(max(seq), 0) FROM outbox))) "
                "WHERE id = 1",
                (seq,),
            )

    def hlc_at(self, seq: int) -> str | None:
        row = self._replica.reader().execute("SELECT hlc FROM outbox WHERE seq = ?", (seq,)).fetchone()
        return str(row[0]) if row else None

    def rewind_acked(self, seq: int) -> int:
        """The cloud was restored from a backup: everything after ``seq`` is sent again."""
        with self._replica.write() as tx:
            tx.execute("UPDATE outbox_ack SET seq = min(seq, ?) WHERE id = 1", (seq,))
            row = tx.one("SELECT coalesce(min(seq), 0) FROM outbox")
        return int(row[0]) if row else 0

    def last_seq(self) -> int:
        row = self._replica.reader().execute("SELECT coalesce(max(seq), 0) FROM outbox").fetchone()
        return int(row[0])

    def prune(self, older_than_ms: int) -> int:
        """Drop acknowledged ops whose HLC wall time is before ``older_than_ms`` (retention). The last
        acknowledged op always stays: it is the stream's fingerprint. Returns how many went."""
        with self._replica.write() as tx:
            acked = int(tx.one("SELECT seq FROM outbox_ack WHERE id = 1")[0])  # type: ignore[index]
            stamp = f"{older_than_ms:013d}"
            gone = tx.execute("DELETE FROM outbox WHERE seq < ? AND hlc < ?", (acked, stamp)).rowcount
            tx.execute("DELETE FROM inbox_seen WHERE hlc < ?", (stamp,))
        return int(gone)

    def backlog(self) -> int:
        """Ops written but not yet acknowledged by the cloud."""
        return self.last_seq() - self.acked_seq()
