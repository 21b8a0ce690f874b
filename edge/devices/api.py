"""HTTP API of the device hub, mounted at ``/api/v1/devices`` (see docs/devices.md).

Server-sent-event streams are left out of the OpenAPI schema (it cannot describe them; generic
clients and fuzzers would wait on them forever); docs/devices.md documents them.

:func:`devices_router` builds the hub for one app; the router's lifespan starts and stops it, so the
app factory only includes the router.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from drivers.scan.model import Symbology
from edge.api.auth import MANAGER, STAFF, kiosk_device_token, session_scope
from edge.api.errors import ERROR_RESPONSES
from edge.devices.hub import ALERTS_TOPIC, TAGS_TOPIC, DeviceHub, alert_dict, count_topic, session_topic
from edge.devices.settings import DeviceSettings, load_device_settings
from edge.errors import NotFound
from edge.node import EdgeNode
from edge.settings import EdgeSettings

SESSION_PATTERN = r"^[A-Za-z0-9_.-]{1,64}$"
ZONE_PATTERN = r"^[a-z0-9_-]{1,32}$"
KEEPALIVE_S = 15.0
SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
SESSION = Depends(session_scope)  # a kiosk device token reaches its own session only

SessionId = Annotated[str, Path(pattern=SESSION_PATTERN, description="kiosk or handheld session id")]
CountId = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,128}$")]
Limit = Annotated[int | None, Query(ge=1, le=10_000, description="close the stream after this many events")]
Timeout = Annotated[float | None, Query(gt=0, le=86_400, description="close the stream after this long")]


class CountStartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zone: str | None = Field(default=None, pattern=r"^$|" + ZONE_PATTERN, description="one zone ('' = all)")
    zones: list[Annotated[str, Field(pattern=ZONE_PATTERN)]] | None = Field(default=None, max_length=64)


class CountFinishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confirm: bool = Field(
        default=False,
        description="record a count that sets many booked products to 0; without it such a count is "
        "refused with 409 and X-Vitrine-Reason: confirm_count (the session stays open)",
    )


class ScanIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4096)
    device_id: str = Field(default="manual", pattern=SESSION_PATTERN)
    symbology: Symbology | None = Field(
        default=None,
        description="what the scanner decoded, when it says (an 8-digit upce is UPC-E, not EAN-8)",
    )


def _frame(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


def _stream(
    hub: DeviceHub,
    topic: str,
    limit: int | None,
    timeout_s: float | None,
    first: dict[str, Any] | None = None,
) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        async with hub.topics.subscribe(topic) as queue:
            yield ": connected\n\n"
            sent = 0
            if first is not None:
                yield _frame(first.pop("_event", "progress"), first)
                sent += 1
            while limit is None or sent < limit:
                wait = KEEPALIVE_S if deadline is None else min(KEEPALIVE_S, deadline - time.monotonic())
                if wait <= 0:
                    return
                try:
                    name, data = await asyncio.wait_for(queue.get(), timeout=wait)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                yield _frame(name, data)
                sent += 1
                if name == "finished":
                    return

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


CATALOGUE_WAIT_S = 60.0  # a bootstrapping store's simulated readers wait this long for the catalogue


def devices_router(
    settings: EdgeSettings, node: EdgeNode, device_settings: DeviceSettings | None = None
) -> APIRouter:
    """Build the hub (reading ``VITRINE_DEVICES_*`` unless ``device_settings`` is given) and its routes."""
    config = device_settings or load_device_settings()
    state_db = config.state_db
    if state_db is None and config.config_dir is not None:
        state_db = settings.db_path.with_name(f"{settings.db_path.stem}-devices.db")
    hub = DeviceHub(
        node,
        config,
        state_db=state_db,
        keyring=config.keyring(),
        await_catalogue_s=CATALOGUE_WAIT_S if settings.bootstrap else 0.0,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.device_hub = hub
        await hub.start()
        try:
            yield
        finally:
            await hub.stop()
            hub.close()

    router = APIRouter(
        prefix="/api/v1/devices", tags=["devices"], responses=ERROR_RESPONSES, lifespan=lifespan
    )

    @router.get(
        "/health", dependencies=[MANAGER], summary="readers and scanners: connected, reads/s, last error"
    )
    def health() -> dict[str, Any]:
        return {"enabled": config.config_dir is not None, "running": hub.running, "devices": hub.health()}

    @router.get("/tags", dependencies=[STAFF], summary="live tag states per zone")
    def tags(zone: Annotated[str | None, Query(pattern=ZONE_PATTERN)] = None) -> dict[str, Any]:
        return hub.tag_states(zone)

    @router.get(
        "/tags/events",
        dependencies=[STAFF],
        summary="SSE: tag present / moved / departed",
        include_in_schema=False,
    )
    def tag_events(limit: Limit = None, timeout_s: Timeout = None) -> StreamingResponse:
        return _stream(hub, TAGS_TOPIC, limit, timeout_s)

    @router.post("/counts", status_code=201, dependencies=[STAFF], summary="start an RFID cycle count")
    def start_count(body: CountStartIn) -> dict[str, Any]:
        zones = list(body.zones or []) + ([body.zone] if body.zone else [])
        return hub.start_count(zones)

    @router.get("/counts/{count_id}", dependencies=[STAFF], summary="count progress (or result)")
    def count_progress(count_id: CountId) -> dict[str, Any]:
        return hub.count_progress(count_id)

    @router.get(
        "/counts/{count_id}/events",
        dependencies=[STAFF],
        summary="SSE: count progress",
        include_in_schema=False,
    )
    def count_events(count_id: CountId, limit: Limit = None, timeout_s: Timeout = None) -> StreamingResponse:
        first = hub.count_progress(count_id)
        first["_event"] = "finished" if first["state"] == "finished" else "progress"
        return _stream(hub, count_topic(count_id), limit, timeout_s, first)

    @router.post("/counts/{count_id}/finish", dependencies=[STAFF], summary="finish: record stock.count ops")
    def finish_count(count_id: CountId, body: CountFinishIn | None = None) -> dict[str, Any]:
        return hub.finish_count(count_id, confirm=bool(body and body.confirm))

    @router.get("/alerts", dependencies=[MANAGER], summary="loss-prevention alerts, newest first")
    def alerts(
        limit: Annotated[int, Query(ge=1, le=1000)] = 50, unacknowledged: bool = False
    ) -> dict[str, Any]:
        return {"alerts": [alert_dict(a) for a in hub.alerts.recent(limit, not unacknowledged)]}

    @router.post("/alerts/{alert_id}/acknowledge", dependencies=[MANAGER])
    def acknowledge(alert_id: Annotated[int, Path(ge=1, le=2**63 - 1)]) -> dict[str, Any]:
        if not hub.alerts.acknowledge(alert_id):
            raise NotFound(f"no alert {alert_id}")
        return {"alert_id": alert_id, "acknowledged": True}

    @router.get(
        "/alerts/events",
        dependencies=[MANAGER],
        summary="SSE: new loss-prevention alerts",
        include_in_schema=False,
    )
    def alert_events(limit: Limit = None, timeout_s: Timeout = None) -> StreamingResponse:
        return _stream(hub, ALERTS_TOPIC, limit, timeout_s)

    @router.get(
        "/sessions/{session_id}/scans",
        dependencies=[SESSION],
        summary="SSE: scans routed to a session",
        include_in_schema=False,
    )
    @router.get(
        "/sessions/{session_id}/events",
        dependencies=[SESSION],
        summary="SSE: same feed as /scans",
        include_in_schema=False,
    )
    def session_scans(
        session_id: SessionId, limit: Limit = None, timeout_s: Timeout = None
    ) -> StreamingResponse:
        return _stream(hub, session_topic(session_id), limit, timeout_s)

    @router.post("/sessions/{session_id}/scans", dependencies=[SESSION], summary="a typed/wedged scan")
    def inject_scan(session_id: SessionId, body: ScanIn) -> dict[str, Any]:
        return hub.inject_scan(session_id, body.text, body.device_id, body.symbology)

    @router.post(
        "/sessions/{session_id}/kiosk-token",
        dependencies=[MANAGER],
        summary="issue the token of the kiosk whose device session this is (it reaches that session only)",
    )
    def issue_kiosk_token(session_id: SessionId) -> dict[str, str]:
        return {
            "session_id": session_id,
            "token": kiosk_device_token(settings.kiosk_token.get_secret_value(), session_id),
        }

    return router
