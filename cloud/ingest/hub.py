"""Start the hub's sync loops: ingest (shared subscription), downlink publisher, RPC server.

``vitrine-cloud`` (cloud/cli.py) and ``python -m cloud.ingest.worker`` both call :func:`start_hub`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine

from cloud.ingest import presence
from cloud.ingest.agent import IngestAgent
from cloud.ingest.apply import Projector, StreamApplier, no_projection
from cloud.ingest.downlink import DownlinkPublisher
from cloud.ingest.quarantine import Quarantine
from cloud.ingest.summaries import SummaryPublisher
from cloud.settings import DEFAULT_SUMMARY_INTERVAL_S
from sync.hlc import HybridClock
from sync.pump import Agent, Pump
from sync.rpc import RpcHandler, RpcServer
from sync.topics import all_stores, hub_presence, shared
from sync.transport import MqttConfig, OutgoingFilter, Transport

log = logging.getLogger(__name__)


@dataclass
class Hub:
    transport: Transport
    pump: Pump
    ingest: IngestAgent | None
    downlink: DownlinkPublisher | None
    quarantine: Quarantine
    rpc: RpcServer | None = None
    extra: list[object] = field(default_factory=list)
    summaries: SummaryPublisher | None = None

    def stop(self) -> None:
        self.transport.stop(announce=False)
        self.pump.stop()


def start_hub(
    engine: Engine,
    mqtt: MqttConfig,
    *,
    projector: Projector | None = None,
    ingest: bool = True,
    downlink: bool = True,
    rpc_handlers: dict[str, RpcHandler] | None = None,
    outgoing_filter: OutgoingFilter | None = None,
    summary_interval_s: float | None = DEFAULT_SUMMARY_INTERVAL_S,
) -> Hub:
    """Connect to the broker and run the hub's sync loops on one pump thread; returns a handle.

    ``engine`` must be migrated (``cloud.storage.migrate``). Several hubs may run with
    ``ingest=True`` (they share the subscription); run exactly one with ``downlink=True``.
    ``projector`` defaults to ``cloud.projections.apply`` when that module is importable.
    An ingest hub also publishes live availability (at most one ``stock.summary`` per source store
    per ``summary_interval_s``; None turns it off), coordinated with the other workers in the database.
    """
    if projector is None:
        projector = _default_projector()
    # Non-persistent session: a dead worker must not hoard its share of the shared subscription.
    mqtt = replace(
        mqtt, session_expiry_s=0, presence_topic=mqtt.presence_topic or hub_presence(mqtt.client_id)
    )
    transport = Transport(mqtt, outgoing_filter=outgoing_filter)
    quarantine = Quarantine(engine)
    agents: list[Agent] = []
    ingest_agent = None
    if ingest:
        ingest_agent = IngestAgent(
            StreamApplier(engine, projector),
            quarantine,
            transport.publish,
            on_presence=lambda store, state: presence.record(engine, store, state),
            on_status=lambda store, report: presence.record_status(engine, store, report),
        )
        transport.subscribe(shared(all_stores("up")), ingest_agent.on_batch_message)
        transport.subscribe(all_stores("presence"), ingest_agent.on_store_presence)
        # shared: one worker keeps each report (a retained report is not replayed to a shared
        # subscription; the store sends a new one within status_every_s)
        transport.subscribe(shared(all_stores("status")), ingest_agent.on_store_status)
        agents.append(ingest_agent)
        if summary_interval_s is not None:
            agents.append(
                SummaryPublisher(engine, HybridClock(mqtt.client_id.replace(".", "-")), summary_interval_s)
            )
    publisher = None
    if downlink:
        publisher = DownlinkPublisher(engine, transport.publish)
        transport.subscribe(all_stores("ack/down"), publisher.on_ack_message)
        transport.add_connection_listener(publisher.on_connection)
        agents.append(publisher)
    rpc = None
    if rpc_handlers:
        rpc = RpcServer(rpc_handlers, transport.publish)
        transport.subscribe(shared(all_stores("rpc/req")), rpc.on_request)
    pump = Pump(agents, name=f"hub-{mqtt.client_id}")
    pump.start()
    transport.start()
    summaries = next((a for a in agents if isinstance(a, SummaryPublisher)), None)
    return Hub(transport, pump, ingest_agent, publisher, quarantine, rpc, summaries=summaries)


def _default_projector() -> Projector:
    try:
        from cloud import projections
    except ImportError:  # projections not wired in this build: ingest still logs every op
        log.warning("cloud.projections not available: ingest keeps cloud_ops only")
        return no_projection
    return projections.apply
