"""An edge process for the kill -9 fault tests:
``python -m tests.sync.edge_proc DB STORE PORT MODE N [sqlite|replica]``.

MODE ``commit-then-die``: commit N ops to the outbox, then SIGKILL itself before any publish.
MODE ``publish-and-wait``: commit N ops (if not there yet), run the sync link, print ``published``
once every op went out, then keep running (the test kills it before the acks arrive).
MODE ``sync``: run the sync link until every op is acked, print ``synced``, exit 0.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from edge.sync_link import SyncLink, SyncLinkConfig
from sync.testing.workload import make_ops
from tests.sync.harness import open_node


def main() -> int:
    db, store, port, mode, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    node = open_node(sys.argv[6] if len(sys.argv) > 6 else "sqlite", Path(db), store)
    if node.last_seq() < count:
        node.write(make_ops(store, node.last_seq() + 1, count - node.last_seq(), seed=7))
    if mode == "commit-then-die":
        os.kill(os.getpid(), signal.SIGKILL)
    link = SyncLink(
        SyncLinkConfig(store_id=store, broker_port=port, reconnect_max_s=0.3, ack_timeout_s=1.0), node, node
    )
    link.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if mode == "publish-and-wait" and link.uplink.stats.ops_sent >= count:
            sys.stdout.write("published\n")
            sys.stdout.flush()
            time.sleep(60)
        if mode == "sync" and node.acked_seq() >= count:
            link.stop()
            sys.stdout.write("synced\n")
            return 0
        time.sleep(0.02)
    return 1


if __name__ == "__main__":
    sys.exit(main())
