"""The store's online questions to the cloud, over the sync link's RPC channel.

Implements :class:`edge.services.loyalty.LoyaltyAuthority` (online redemption authorisation),
:class:`edge.services.cloud_port.OrderDirectory` (receipts and online orders returned in this
store, and the hub's reservation of what is still returnable on them) and
:class:`edge.services.cloud_port.CustomerDirectory` (customers this store never saw). Until a
link is attached, and whenever the link is down or the hub does not answer in time, every question
answers ``None`` and the services apply their offline rule (the leased allowance; returns by
local receipt only; local customers only).
"""

from __future__ import annotations

import logging
from typing import Any

from edge.errors import Conflict, NotFound
from edge.services.cloud_port import CloudCustomer, LoyaltySnapshot
from edge.sync_link import SyncLink
from sync.errors import SyncError
from sync.hlc import Timestamp
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

    def hub_ms(self) -> int | None:
        """The hub's wall clock (epoch ms, ``clock.now``; edge/hub_clock.py times the round trip);
        None while offline or when the hub does not answer."""
        try:
            answer = self._call("clock.now", {})
        except RpcError as err:
            log.info("the cloud did not tell its time: %s", err)
            return None
        if not isinstance(answer, dict) or not isinstance(answer.get("now_ms"), int):
            return None
        return int(answer["now_ms"])

    def order_for_return(self, order_id: str) -> dict[str, Any] | None:
        try:
            answer = self._call("orders.lookup", {"order_id": order_id})
        except RpcError as err:
            raise NotFound(f"unknown order {order_id!r} (the cloud says: {err})") from err
        return answer if isinstance(answer, dict) else None

    def has_refund_authority(self) -> bool:
        return self._link is not None

    def reserve_return(
        self, return_id: str, receipt_id: str, lines: dict[str, int], own_sold: dict[str, int] | None
    ) -> dict[str, Any] | None:
        params: dict[str, Any] = {
            "return_id": return_id,
            "receipt_id": receipt_id,
            "lines": [{"sku": sku, "qty": qty} for sku, qty in lines.items()],
        }
        if own_sold is not None:
            params["own_sold"] = own_sold
        try:
            answer = self._call("returns.reserve", params)
        except RpcError as err:
            raise Conflict(f"the cloud refused the return on {receipt_id}: {err}") from err
        return answer if isinstance(answer, dict) else None

    def customer_for_lookup(
        self, *, kind: str | None = None, value: str | None = None, customer_id: str | None = None
    ) -> CloudCustomer | None:
        params = {"customer_id": customer_id} if customer_id is not None else {"kind": kind, "value": value}
        wanted = f"customer {customer_id!r}" if customer_id is not None else f"{kind} {value!r}"
        try:
            answer = self._call("customers.lookup", params)
        except RpcError as err:
            raise NotFound(f"no customer with {wanted} (the cloud says: {err})") from err
        if answer is None:
            return None
        try:
            return parse_customer(answer)
        except (KeyError, TypeError, ValueError, SyncError) as err:
            log.warning("malformed customers.lookup answer for %s: %r", wanted, err)
            return None


def parse_customer(answer: Any) -> CloudCustomer:
    """The hub's ``customers.lookup`` answer, checked. Raises KeyError/TypeError/ValueError."""
    if not isinstance(answer, dict):
        raise TypeError("answer is not an object")
    fields, stamps = answer["fields"], answer["field_hlc"]
    if not isinstance(fields, dict) or not isinstance(stamps, dict):
        raise TypeError("fields and field_hlc must be objects")
    for name in fields:
        Timestamp.parse(str(stamps[name]))
    identities = [(str(x["kind"]), str(x["value"])) for x in answer.get("identities") or []]
    loyalty = answer.get("loyalty")
    snapshot = None
    if loyalty is not None:
        points = loyalty["points"]
        if not isinstance(points, int) or isinstance(points, bool):
            raise TypeError("loyalty.points must be an integer")
        snapshot = LoyaltySnapshot(points=points, as_of_hlc=str(Timestamp.parse(str(loyalty["as_of_hlc"]))))
    customer_id = answer["customer_id"]
    if not isinstance(customer_id, str) or not customer_id:
        raise ValueError("customer_id must be a non-empty string")
    return CloudCustomer(
        customer_id=customer_id,
        fields=dict(fields),
        field_hlc={name: str(stamps[name]) for name in fields},
        identities=identities,
        created_at=str(answer.get("created_at") or ""),
        loyalty=snapshot,
        consent_proof=_consent_proof(answer.get("consent_proof")),
    )


def _consent_proof(found: Any) -> dict[str, Any] | None:
    if found is None:
        return None
    if not isinstance(found, dict) or not isinstance(found.get("granted"), bool):
        raise TypeError("consent_proof must be {granted, at, channel, wording_version}")
    return {
        "granted": found["granted"],
        "at": str(found["at"]),
        "channel": str(found["channel"]),
        "wording_version": str(found["wording_version"]),
    }
