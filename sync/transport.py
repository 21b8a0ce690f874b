"""The MQTT transport: the only module that imports paho.

paho-mqtt 2 (callback API v2), MQTT 5, QoS 1, a persistent session (``clean_start=False`` and a
session expiry), reconnect with exponential backoff and full jitter, a retained birth message and a
Last Will on the presence topic. Callers see plain ``str`` topics and ``bytes`` payloads only.

Handlers run on paho's network thread and must return quickly (agents queue the payload and do
their work on their own thread).
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from sync.backoff import Backoff
from sync.errors import SyncError
from sync.wire import encode_json

log = logging.getLogger(__name__)

Handler = Callable[[str, bytes], None]
ConnectionListener = Callable[[bool], None]
# Fault hook for tests and the simulation: given an outgoing (topic, payload), what to put on the wire.
OutgoingFilter = Callable[[str, bytes], list[tuple[str, bytes]]]


class TransportError(SyncError):
    """The MQTT transport could not be configured or started."""


@dataclass(frozen=True)
class MqttConfig:
    host: str = "127.0.0.1"
    port: int = 1883
    client_id: str = "vitrine"
    username: str | None = None
    password: str | None = field(default=None, repr=False)  # never in a log line or a traceback
    keepalive_s: int = 15
    session_expiry_s: int = 7 * 24 * 3600  # the broker keeps our session (and QoS 1 queue) a week
    reconnect_min_s: float = 0.05
    reconnect_max_s: float = 1.0
    max_inflight: int = 1000
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None
    presence_topic: str | None = None  # retained birth "online" on connect, Last Will "offline"


@dataclass
class TransportStats:
    published_msgs: int = 0
    published_bytes: int = 0  # topic + payload + fixed MQTT header overhead, as on the wire
    received_msgs: int = 0
    connects: int = 0
    disconnects: int = 0


# PUBLISH fixed header (2) + topic length prefix (2) + packet id (2) + MQTT 5 property length (1)
_PUBLISH_OVERHEAD = 7


def presence_payload(client_id: str, state: str) -> bytes:
    return encode_json({"client": client_id, "state": state})


@dataclass
class _Route:
    filter: str
    match: str
    handler: Handler


class Transport:
    """One MQTT connection. Register handlers with :meth:`subscribe` before :meth:`start`."""

    def __init__(
        self,
        config: MqttConfig,
        *,
        rng: random.Random | None = None,
        outgoing_filter: OutgoingFilter | None = None,
    ) -> None:
        self.config = config
        self.stats = TransportStats()
        self._routes: list[_Route] = []
        self._listeners: list[ConnectionListener] = []
        self._backoff = Backoff(config.reconnect_min_s, config.reconnect_max_s, rng or random.Random())
        self._filter = outgoing_filter
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._client: paho.Client | None = None
        self._started = False

    # ---- configuration --------------------------------------------------------------------

    def subscribe(self, topic_filter: str, handler: Handler) -> None:
        """Deliver messages matching ``topic_filter`` (``$share/...`` allowed) to ``handler``."""
        match = topic_filter
        if topic_filter.startswith("$share/"):
            match = topic_filter.split("/", 2)[2]
        self._routes.append(_Route(topic_filter, match, handler))
        client = self._client
        if client is not None and self._connected.is_set():
            client.subscribe(topic_filter, qos=1)

    def add_connection_listener(self, listener: ConnectionListener) -> None:
        self._listeners.append(listener)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    # ---- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            return
        cfg = self.config
        client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id,
            protocol=paho.MQTTv5,
        )
        if cfg.username is not None:
            client.username_pw_set(cfg.username, cfg.password)
        if cfg.tls_ca is not None:
            try:
                client.tls_set(
                    ca_certs=str(cfg.tls_ca),
                    certfile=str(cfg.tls_cert) if cfg.tls_cert else None,
                    keyfile=str(cfg.tls_key) if cfg.tls_key else None,
                    cert_reqs=ssl.CERT_REQUIRED,
                    tls_version=ssl.PROTOCOL_TLS_CLIENT,
                )
            except (OSError, ssl.SSLError, ValueError) as err:
                raise TransportError(f"TLS configuration rejected: {err}") from err
        if cfg.presence_topic:
            client.will_set(
                cfg.presence_topic, presence_payload(cfg.client_id, "offline"), qos=1, retain=True
            )
        client.max_inflight_messages_set(cfg.max_inflight)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_connect_fail = self._on_connect_fail
        client.on_message = self._on_message
        first: Any = cfg.reconnect_min_s  # paho annotates int seconds but computes with floats
        client.reconnect_delay_set(first, first)
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = cfg.session_expiry_s
        props.ReceiveMaximum = max(1, min(65535, cfg.max_inflight))
        try:
            client.connect_async(
                cfg.host, cfg.port, keepalive=cfg.keepalive_s, clean_start=False, properties=props
            )
        except (OSError, ValueError) as err:
            raise TransportError(f"cannot connect to {cfg.host}:{cfg.port}: {err}") from err
        self._client = client
        self._started = True
        client.loop_start()

    def stop(self, announce: bool = True) -> None:
        """Disconnect cleanly; with ``announce`` the retained presence says ``offline`` first."""
        client, self._client = self._client, None
        if client is None:
            return
        if announce and self.config.presence_topic and self._connected.is_set():
            info = client.publish(
                self.config.presence_topic,
                presence_payload(self.config.client_id, "offline"),
                qos=1,
                retain=True,
            )
            if info.rc == MQTTErrorCode.MQTT_ERR_SUCCESS:
                try:
                    info.wait_for_publish(2.0)
                except (RuntimeError, ValueError):
                    log.debug("presence goodbye not confirmed")
        client.disconnect()
        client.loop_stop()
        self._set_connected(False)
        self._started = False

    # ---- publishing -----------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> bool:
        """QoS 1 publish. False when not connected (the caller keeps the data and retries)."""
        client = self._client
        if client is None or not self._connected.is_set():
            return False
        frames = self._filter(topic, payload) if self._filter else [(topic, payload)]
        for out_topic, out_payload in frames:
            info = client.publish(out_topic, out_payload, qos=1, retain=retain)
            if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return False
            with self._lock:
                self.stats.published_msgs += 1
                self.stats.published_bytes += len(out_topic) + len(out_payload) + _PUBLISH_OVERHEAD
        return True

    # ---- paho callbacks (network thread) --------------------------------------------------

    def _on_connect(self, client: paho.Client, _u: Any, _flags: Any, reason: Any, _props: Any) -> None:
        if reason.is_failure:
            log.warning("broker refused connection: %s", reason)
            self._jitter(client)
            return
        self._backoff.reset()
        self.stats.connects += 1
        _no_delay(client)
        for route in self._routes:
            client.subscribe(route.filter, qos=1)
        if self.config.presence_topic:
            client.publish(
                self.config.presence_topic,
                presence_payload(self.config.client_id, "online"),
                qos=1,
                retain=True,
            )
        self._set_connected(True)

    def _on_disconnect(self, client: paho.Client, _u: Any, _flags: Any, reason: Any, _props: Any) -> None:
        self.stats.disconnects += 1
        self._set_connected(False)
        self._jitter(client)

    def _on_connect_fail(self, client: paho.Client, _u: Any) -> None:
        self._jitter(client)

    def _jitter(self, client: paho.Client) -> None:
        # paho waits reconnect_min_delay when min == max: that is how our jittered delay is applied.
        delay: Any = self._backoff.next_delay()
        client.reconnect_delay_set(delay, delay)

    def _on_message(self, _c: paho.Client, _u: Any, message: paho.MQTTMessage) -> None:
        self.stats.received_msgs += 1
        topic, payload = message.topic, bytes(message.payload)
        for route in self._routes:
            if paho.topic_matches_sub(route.match, topic):
                try:
                    route.handler(topic, payload)
                except Exception:
                    # A handler bug must not kill the network thread; the protocol's resend recovers.
                    log.exception("handler for %s failed", route.filter)

    def _set_connected(self, up: bool) -> None:
        was = self._connected.is_set()
        if up:
            self._connected.set()
        else:
            self._connected.clear()
        if was != up:
            for listener in self._listeners:
                listener(up)


def _no_delay(client: paho.Client) -> None:
    """Disable Nagle on our side too (the broker sets it on its side): small acks and online batches
    must leave at once instead of waiting for a delayed TCP ACK (~40 ms per hop)."""
    sock = client.socket()
    if isinstance(sock, socket.socket):  # ssl.SSLSocket is one too
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            log.debug("could not set TCP_NODELAY")


@dataclass
class LinkFaults:
    """Outgoing-message faults for tests and the simulation: drop, duplicate, hold back (reorder).

    Seeded; only topics whose last segments are in ``leaves`` are affected (data and acks by default).
    """

    seed: int = 0
    drop_p: float = 0.0
    dup_p: float = 0.0
    reorder_p: float = 0.0
    leaves: tuple[str, ...] = ("up", "down", "ack/up", "ack/down")
    dropped: int = 0
    duplicated: int = 0
    reordered: int = 0
    _held: list[tuple[str, bytes]] = field(default_factory=list)
    _rng: random.Random = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def __call__(self, topic: str, payload: bytes) -> list[tuple[str, bytes]]:
        if not any(topic.endswith("/" + leaf) for leaf in self.leaves):
            return [(topic, payload)]
        with self._lock:
            out: list[tuple[str, bytes]] = []
            r = self._rng.random()
            if r < self.drop_p:
                self.dropped += 1
            elif r < self.drop_p + self.reorder_p:
                self.reordered += 1
                self._held.append((topic, payload))
                return []
            else:
                out.append((topic, payload))
                if self._rng.random() < self.dup_p:
                    self.duplicated += 1
                    out.append((topic, payload))
            out += self._held
            self._held = []
            return out
