"""The hub's copy of this store's stream, read over MQTT for ``vitrine-edge restore-from-cloud``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from edge.errors import StorageError
from edge.replica.recovery import FetchPage
from edge.sync_link import SyncLinkConfig
from sync.errors import SyncError
from sync.ops import Op
from sync.rpc import RpcClient
from sync.topics import StoreTopics
from sync.transport import Transport


@contextmanager
def fetch_history(settings: Any, timeout_s: float) -> Iterator[FetchPage]:
    """Connects with the store's broker credentials; yields ``fetch(after, limit)``."""
    if not settings.mqtt_host:
        raise StorageError("no sync link configured (VITRINE_EDGE_MQTT_HOST): cannot reach the hub")
    config = SyncLinkConfig.from_settings(settings)
    topics = StoreTopics(config.store_id)
    transport = Transport(config.mqtt())
    rpc = RpcClient(topics, transport.publish)
    transport.subscribe(topics.rpc_res, rpc.on_response)
    transport.start()
    try:
        if not transport.wait_connected(timeout_s):
            raise StorageError(
                f"cannot reach the broker at {config.broker_host}:{config.broker_port} within {timeout_s:.0f}s"
            )

        def fetch(after: int, limit: int) -> tuple[int, list[Op]]:
            try:
                answer = rpc.call("sync.history", {"after": after, "limit": limit}, timeout=timeout_s)
                return int(answer["hwm"]), [Op.from_dict(doc) for doc in answer["ops"]]
            except (SyncError, KeyError, TypeError, ValueError) as err:
                raise StorageError(f"the hub did not give this store's history: {err}") from err

        yield fetch
    finally:
        transport.stop()
