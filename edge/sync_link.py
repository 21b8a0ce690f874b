"""Wires the sync agents into an edge node: uplink (outbox → cloud), downlink (cloud → inbox), RPC.

``SyncLink(config, outbox, inbox).start()`` connects to the broker and runs both agents on one pump
thread (so the node's storage is touched from that thread only); :meth:`SyncLink.status` is what the
manager UI shows; :meth:`SyncLink.notify` after a commit sends new ops at once (else within 0.2 s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sync.downlink import DownlinkAgent
from sync.ops import CLOUD_ORIGIN
from sync.ports import Inbox, Outbox
from sync.pump import Pump
from sync.rpc import RpcClient
from sync.sender import SenderConfig
from sync.status_report import Source, StatusReporter
from sync.topics import HUB_PRESENCE, StoreTopics
from sync.transport import MqttConfig, OutgoingFilter, Transport
from sync.uplink import OnDiverged, UplinkAgent


@dataclass(frozen=True)
class SyncLinkConfig:
    store_id: str
    broker_host: str = "127.0.0.1"
    broker_port: int = 1883
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line or a traceback
    tls_ca: Path | None = None
    reconnect_max_s: float = 1.0
    ack_timeout_s: float = 3.0
    status_every_s: float = 15.0  # the store's health report to the hub (sync.status_report)

    @classmethod
    def from_settings(cls, settings: Any) -> SyncLinkConfig:
        """From an ``EdgeSettings`` carrying the ``mqtt_*`` fields."""
        secret = getattr(settings, "mqtt_password", None)
        return cls(
            store_id=settings.store_id,
            broker_host=settings.mqtt_host,
            broker_port=settings.mqtt_port,
            username=getattr(settings, "mqtt_username", None) or None,
            password=secret.get_secret_value() if secret is not None and secret.get_secret_value() else None,
            tls_ca=getattr(settings, "mqtt_tls_ca", None),
        )

    def mqtt(self) -> MqttConfig:
        topics = StoreTopics(self.store_id)
        return MqttConfig(
            host=self.broker_host,
            port=self.broker_port,
            client_id=self.store_id,  # the broker binds a store's user to this id (sync.credentials)
            username=self.username,
            password=self.password,
            tls_ca=self.tls_ca,
            reconnect_max_s=self.reconnect_max_s,
            presence_topic=topics.presence,
        )


@dataclass(frozen=True)
class SyncStatus:
    online: bool
    backlog: int  # ops written but not yet acknowledged by the cloud
    oldest_unsynced_age_s: float | None
    last_contact_at: float | None  # unix time of the last ack or batch from the cloud
    recovery: str | None = None  # the cloud holds ops this replica lost: what to run
    resend_unavailable: int | None = None  # the cloud asked again for ops older than the retention

    def to_dict(self) -> dict[str, Any]:
        return {
            "online": self.online,
            "backlog": self.backlog,
            "oldest_unsynced_age_s": self.oldest_unsynced_age_s,
            "last_contact_at": self.last_contact_at,
            "recovery": self.recovery,
            "resend_unavailable": self.resend_unavailable,
        }


class SyncLink:
    def __init__(
        self,
        config: SyncLinkConfig,
        outbox: Outbox,
        inbox: Inbox,
        outgoing_filter: OutgoingFilter | None = None,
        on_diverged: OnDiverged | None = None,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.topics = StoreTopics(config.store_id)
        self.transport = Transport(config.mqtt(), outgoing_filter=outgoing_filter)
        self.uplink = UplinkAgent(
            outbox,
            config.store_id,
            self.topics.up,
            self.transport.publish,
            SenderConfig(ack_timeout_s=config.ack_timeout_s),
            on_diverged=on_diverged,
        )
        self.downlink = DownlinkAgent(inbox, CLOUD_ORIGIN, self.topics.ack_down, self.transport.publish)
        self.rpc = RpcClient(self.topics, self.transport.publish)
        t = self.transport
        t.subscribe(self.topics.ack_up, self.uplink.on_ack_message)
        t.subscribe(self.topics.down, self.downlink.on_batch_message)
        t.subscribe(self.topics.rpc_res, self.rpc.on_response)
        t.subscribe(f"{HUB_PRESENCE}/+", self._on_hub_presence)
        t.add_connection_listener(self.uplink.on_connection)
        t.add_connection_listener(self.downlink.on_connection)
        t.add_connection_listener(self.rpc.on_connection)
        self.reporter = StatusReporter(self.topics.status, self.transport.publish, config.status_every_s)
        self.pump = Pump([self.uplink, self.downlink, self.reporter], name=f"sync-{config.store_id}")
        self._started = False

    def _on_hub_presence(self, topic: str, payload: bytes) -> None:
        self.uplink.on_peer_presence(topic, payload)
        self.downlink.on_peer_presence(topic, payload)

    def start(self) -> None:
        if not self._started:
            self._started = True
            self.pump.start()
            self.transport.start()

    def stop(self) -> None:
        if self._started:
            self._started = False
            self.transport.stop()
            self.pump.stop()

    def notify(self) -> None:
        self.uplink.notify()

    def report_status(self, source: Source) -> None:
        """Publish ``source()`` to the hub every ``status_every_s`` from now on (the fleet view)."""
        self.reporter.source = source

    def status(self) -> SyncStatus:
        """Online/offline, outbox backlog, age of the oldest unsynced op, last contact with the cloud."""
        acked = self.outbox.acked_seq()
        backlog = max(0, self.outbox.last_seq() - acked)
        age = None
        if backlog:
            oldest = self.outbox.read_after(acked, 1)
            if oldest:
                age = max(0.0, time.time() - int(oldest[0].hlc.split(".", 1)[0]) / 1000)
        contacts = [t for t in (self.uplink.stats.last_ack_at, self.downlink.stats.last_batch_at) if t]
        return SyncStatus(
            self.transport.connected,
            backlog,
            age,
            max(contacts) if contacts else None,
            self.uplink.halted,
            self.uplink.stats.resend_unavailable,
        )
