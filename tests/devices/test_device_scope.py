"""Device scope on the real edge app (issue 14, point 4): a kiosk's token reaches its own device
session only. A copied kiosk token cannot read the handheld's live scans (where customers' signed card
tokens pass) nor inject scans into it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import pytest

from edge.node import EdgeNode
from edge.settings import EdgeSettings
from tests.devices.conftest import TOKENS, serve, wait_for
from tests.devices.test_hub import sse_events

FEED = "/api/v1/devices/sessions/{}/scans?limit=1&timeout_s=10"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_kiosk_token_reaches_its_own_session_only(
    tmp_path: Path, node: EdgeNode, edge_settings: EdgeSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serve(edge_settings, node, monkeypatch, None) as live:
        manager, staff, kiosk = live.client("manager"), live.client("staff"), live.client("kiosk")

        # the store's kiosk token, copied off a kiosk: no handheld feed, no scans into the handheld
        assert kiosk.get(FEED.format("handheld-1")).status_code == 403
        posted = kiosk.post("/api/v1/devices/sessions/handheld-1/scans", json={"text": "4006381333931"})
        assert posted.status_code == 403 and "device token" in posted.json()["detail"]

        # a manager issues kiosk-1's own token; it reaches kiosk-1 and nothing else
        issued = manager.post("/api/v1/devices/sessions/kiosk-1/kiosk-token")
        assert issued.status_code == 200
        device = live.client()
        device.headers.update(_bearer(issued.json()["token"]))
        for session in ("handheld-1", "kiosk-2"):
            assert device.get(FEED.format(session)).status_code == 403
            assert (
                device.post(f"/api/v1/devices/sessions/{session}/scans", json={"text": "x"}).status_code
                == 403
            )
        assert device.get("/api/v1/products/71053").status_code == 200  # still a kiosk for the rest
        assert device.post("/api/v1/devices/sessions/kiosk-2/kiosk-token").status_code == 403
        assert kiosk.post("/api/v1/devices/sessions/kiosk-1/kiosk-token").status_code == 403

        # its own feed works, and staff still reach any session
        got: list[list[tuple[str, dict[str, Any]]]] = []
        listener = threading.Thread(target=lambda: got.append(sse_events(device, FEED.format("kiosk-1"))))
        listener.start()
        assert wait_for(lambda: live.hub.topics.subscriber_count("session:kiosk-1") == 1)
        assert (
            device.post("/api/v1/devices/sessions/kiosk-1/scans", json={"text": "4006381333931"}).status_code
            == 200
        )
        listener.join(12)
        assert got and got[0][0][1]["session_id"] == "kiosk-1" and got[0][0][1]["kind"] == "gtin"
        assert staff.post("/api/v1/devices/sessions/handheld-1/scans", json={"text": "x"}).status_code == 200

        # a forged device token (another session's name, a made-up MAC) is unknown
        forged = issued.json()["token"].replace("kiosk-1", "handheld-1")
        assert httpx.get(live.url + FEED.format("handheld-1"), headers=_bearer(forged)).status_code == 401
        assert TOKENS["kiosk"] not in issued.text
