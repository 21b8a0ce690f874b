"""The MQTT topic layout (docs/sync-protocol.md "Topics").

Every topic of a store lives under ``vitrine/v1/{store}/`` so one ACL pattern confines a store:

==================  =============  ===================================================
topic               direction      payload
==================  =============  ===================================================
``up``              store → cloud  op batch frame (:mod:`sync.wire`)
``down``            cloud → store  op batch frame
``ack/up``          cloud → store  ack of the uplink stream (hwm, gap flag)
``ack/down``        store → cloud  ack of the downlink stream
``rpc/req``         store → cloud  RPC request (JSON: id, method, params)
``rpc/res``         cloud → store  RPC response (JSON: id, result | error)
``presence``        store → all    retained birth ``online`` / Last Will ``offline``
``status``          store → cloud  retained JSON health report (backlog, skew, versions, devices)
==================  =============  ===================================================

Hub workers announce themselves on ``vitrine/v1/hub/presence/{client id}`` (retained birth, Last
Will). Stores subscribe to it and resend their unacked ops when a worker comes (back) online.
Hub workers use non-persistent sessions: a dead worker must not keep receiving its share of the
shared subscription; the stores' outboxes, not the broker, are the durable queue.

The cloud's workers subscribe with the shared subscription ``$share/hub/vitrine/v1/+/up``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.errors import SyncError

ROOT = "vitrine/v1"
SHARE_GROUP = "hub"


class TopicError(SyncError):
    """A topic is not one of ours or names an invalid store id."""


def check_store_id(store: str) -> str:
    if not store or store == "hub" or any(ch in store for ch in "/+#$. ") or len(store) > 64:
        raise TopicError(f"invalid store id {store!r}")
    return store


@dataclass(frozen=True, slots=True)
class StoreTopics:
    store: str

    def __post_init__(self) -> None:
        check_store_id(self.store)

    def _t(self, leaf: str) -> str:
        return f"{ROOT}/{self.store}/{leaf}"

    @property
    def up(self) -> str:
        return self._t("up")

    @property
    def down(self) -> str:
        return self._t("down")

    @property
    def ack_up(self) -> str:
        return self._t("ack/up")

    @property
    def ack_down(self) -> str:
        return self._t("ack/down")

    @property
    def rpc_req(self) -> str:
        return self._t("rpc/req")

    @property
    def rpc_res(self) -> str:
        return self._t("rpc/res")

    @property
    def presence(self) -> str:
        return self._t("presence")

    @property
    def status(self) -> str:
        return self._t("status")


HUB_PRESENCE = f"{ROOT}/hub/presence"  # + "/{worker client id}"; retained birth/will of hub workers


def hub_presence(client_id: str) -> str:
    return f"{HUB_PRESENCE}/{client_id}"


def all_stores(leaf: str) -> str:
    """Filter matching ``leaf`` for every store, e.g. ``all_stores("ack/down")``."""
    return f"{ROOT}/+/{leaf}"


def shared(filter_: str, group: str = SHARE_GROUP) -> str:
    """The MQTT 5 shared-subscription form of ``filter_``: each message goes to one group member."""
    return f"$share/{group}/{filter_}"


def store_of(topic: str) -> str:
    """The store id a topic belongs to; raises TopicError for foreign topics."""
    parts = topic.split("/")
    if len(parts) < 4 or f"{parts[0]}/{parts[1]}" != ROOT:
        raise TopicError(f"not a Vitrine topic: {topic!r}")
    return check_store_id(parts[2])


def leaf_of(topic: str) -> str:
    store_of(topic)
    return "/".join(topic.split("/")[3:])
