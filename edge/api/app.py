"""The edge node's FastAPI app factory.

To add an area, write ``edge/api/routes/<area>.py`` (or anywhere) exposing ``router`` and append
it to :data:`ROUTERS`, or pass ``extra_routers`` to :func:`create_app`. Role checks: reuse
``edge.api.auth.require`` / ``KIOSK`` / ``STAFF`` / ``MANAGER``. The node is ``app.state.node``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import Response

from edge.api.auth import TokenTable
from edge.api.errors import install_error_handlers
from edge.api.metrics import EdgeMetrics
from edge.api.routes import admin, customers, health, orders, products, reservations, returns, sales, stock
from edge.api.routes.recommend import install_recommendations
from edge.bootstrap.agent import AgentConfig, BootstrapAgent
from edge.cloud_rpc import CloudRpc
from edge.devices.api import devices_router
from edge.hub_clock import SkewProbe
from edge.node import EdgeNode
from edge.replica.retention import OutboxRetention
from edge.settings import EdgeSettings
from edge.status_report import store_report
from edge.sync_link import SyncLink, SyncLinkConfig
from edge.web.routes import mount_web_ui
from sync import apidocs
from sync.wire import Ack

ROUTERS: list[APIRouter] = [
    health.router,
    products.router,
    stock.router,
    sales.router,
    returns.router,
    reservations.router,
    orders.router,
    customers.router,
    admin.router,
]


def create_app(
    settings: EdgeSettings, node: EdgeNode | None = None, extra_routers: Sequence[APIRouter] = ()
) -> FastAPI:
    """Build the app. Opens (and on shutdown closes) the node unless one is passed in."""
    owned = node is None
    the_node = node or EdgeNode.open(
        settings.db_path,
        settings.store_id,
        default_zone=settings.default_zone,
        reservation_max_hours=settings.reservation_max_hours,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        link = _start_sync_link(settings, the_node)  # #8 hook: the served node syncs when mqtt_host is set
        if link is not None:
            _app.state.sync_link = link
        cloud.attach(link)
        retention = OutboxRetention(the_node.outbox, settings.outbox_retention_days)
        retention.start()
        probe = SkewProbe(the_node.hub_clock, cloud.hub_ms, settings.clock_probe_s)  # hub clock offset
        if link is not None:
            probe.start()
        agent = _start_bootstrap(settings, the_node, link)
        if agent is not None:
            _app.state.bootstrap = agent
        if link is not None:  # the hub's fleet view: backlog, skew, versions, bootstrap, devices
            link.report_status(lambda: store_report(_app, the_node, link))
        yield
        if agent is not None:
            agent.request_stop()
        probe.stop()
        retention.stop()
        cloud.attach(None)
        if link is not None:
            link.stop()  # fails an RPC call in flight, so the agent's thread ends at once
        if agent is not None:
            agent.stop()
        if owned:
            the_node.close()

    cloud = CloudRpc()  # online authorisation, order and customer look-ups once the sync link is up
    the_node.attach_cloud(cloud)
    the_node.hub_clock.warn_s = settings.clock_skew_warn_s

    app = FastAPI(
        title=f"Vitrine edge — {settings.store_id}",
        version="1.0",
        description="Store node API. Bearer tokens per role: kiosk < staff (handheld) < manager.",
        lifespan=lifespan,
        docs_url=None,  # served offline below (sync/apidocs.py)
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.node = the_node
    app.state.tokens = TokenTable(settings)
    app.state.metrics = EdgeMetrics(the_node)

    @app.get("/docs", include_in_schema=False)
    @app.get("/docs/{name}", include_in_schema=False)
    def api_docs(name: str = "") -> Response:
        """Swagger UI served from a package (works offline; sync/apidocs.py)."""
        found = apidocs.answer(name, app.title)
        if found is None:
            raise HTTPException(404, "not part of the API docs")
        cache = "public, max-age=86400" if found.cacheable else "no-store"
        return Response(
            found.body, media_type=found.media_type, headers={**apidocs.HEADERS, "Cache-Control": cache}
        )

    install_error_handlers(app)
    for router in [*ROUTERS, *extra_routers, devices_router(settings, the_node)]:  # device hub (#5)
        app.include_router(router)
    install_recommendations(app, the_node)  # /api/v1/recommendations + model.release (VITRINE_EDGE_MODEL_*)
    mount_web_ui(app, settings)  # kiosk, handheld and manager pages (edge/web), VITRINE_WEB_* settings
    return app


def _start_sync_link(settings: EdgeSettings, node: EdgeNode) -> SyncLink | None:
    """The node's sync link to the cloud (``VITRINE_EDGE_MQTT_*``), or None when ``mqtt_host`` is empty."""
    if not settings.mqtt_host:
        return None

    def diverged(ack: Ack) -> bool:
        node.replica.require_recovery(
            f"The cloud holds this store's ops up to number {ack.hwm}; this replica has only "
            f"{node.outbox.last_seq()} (it was restored from an older backup or emptied)"
        )
        return False

    link = SyncLink(SyncLinkConfig.from_settings(settings), node.outbox, node.inbox, on_diverged=diverged)
    link.start()
    return link


def _start_bootstrap(settings: EdgeSettings, node: EdgeNode, link: SyncLink | None) -> BootstrapAgent | None:
    """The bootstrap from the hub (``VITRINE_EDGE_BOOTSTRAP``, set by the provisioning bundle): runs
    until the replica holds the hub's snapshot; a replica already bootstrapped starts no thread."""
    if not settings.bootstrap or link is None:
        return None
    return BootstrapAgent(
        node.replica,
        lambda method, params, timeout: link.rpc.call(method, params, timeout=timeout),
        lambda: link.transport.connected,
        AgentConfig(page_rows=settings.bootstrap_page_rows),
    ).start()
