"""The store's online questions to the cloud, over the sync link's RPC channel.

Implements :class:`edge.services.loyalty.LoyaltyAuthority` (online redemption authorisation) and
:class:`edge.services.cloud_port.OrderDirectory` (online orders returned in this store). Until a
link is attached, and whenever the link is down or the hub does not answer in time, every question
answers ``None`` and the services apply their offline rule (the leased allowance; returns by
local receipt only).
"""

from __future__ import annotations

import logging
from typing import Any

from edge.errors import NotFound
from edge.sync_link import SyncLink
from sync.rpc import RpcError, RpcTimeout

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 2.0


class CloudRpc:
    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s
        self._link: SyncLink | None = None

    def attach(self, link: SyncLink | None) -> None:
        self._link = link

    def _call(self, method: str, params: dict[str, Any]) -> Any:
        link = self._link
        if link is None or not link.transport.connected:
            return None
        try:
            return link.rpc.call(method, params, timeout=self.timeout_s)
        except RpcTimeout as err:
            log.info("cloud did not answer %s in time: %s", method, err)
            return None

    def authorise_redeem(self, customer_id: str, points: int, entry_id: str) -> bool | None:
        try:
            answer = self._call(
                "loyalty.authorise", {"customer_id": customer_id, "points": points, "entry_id": entry_id}
            )
        except RpcError as err:
            # The hub could not decide (e.g. a customer it does not know yet): offline rule.
            log.info("cloud could not authorise a redemption: %s", err)
            return None
        if not isinstance(answer, dict):
            return None
        return bool(answer.get("approved"))

    def order_for_return(self, order_id: str) -> dict[str, Any] | None:
        try:
            answer = self._call("orders.lookup", {"order_id": order_id})
        except RpcError as err:
            raise NotFound(f"unknown order {order_id!r} (the cloud says: {err})") from err
        return answer if isinstance(answer, dict) else None
