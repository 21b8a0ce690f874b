"""What this store tells the hub about itself (``sync.status_report``): the facts of ``/health`` the
hub cannot see, its devices as the device hub last saw them, and its software and model versions."""

from __future__ import annotations

from importlib import metadata
from typing import Any

from fastapi import FastAPI

from edge.bootstrap.status import bootstrap_status
from edge.node import EdgeNode
from edge.sync_link import SyncLink


def software_version() -> str:
    try:
        return metadata.version("vitrine")
    except metadata.PackageNotFoundError:
        return "unknown"


def store_report(app: FastAPI, node: EdgeNode, link: SyncLink) -> dict[str, Any]:
    status = link.status()
    recommender = getattr(app.state, "recommender", None)
    device_hub = getattr(app.state, "device_hub", None)
    model = recommender.status() if recommender is not None else None
    return {
        "backlog": status.backlog,
        "oldest_unsynced_age_s": status.oldest_unsynced_age_s,
        "clock_skew_ms": node.hub_clock.status().skew_ms,
        "schema_version": node.replica.schema_version(),
        "software": software_version(),
        "model": None if model is None else {"model_id": model["model_id"], "fallback": model["fallback"]},
        "bootstrap": bootstrap_status(app, node),
        "devices": device_hub.health() if device_hub is not None else None,
    }
