"""Proof of marketing consent made in a store (issue 13, point 2), through the edge's real HTTP API
under uvicorn, a real Mosquitto, the hub and two edges, on SQLite and PostgreSQL:

* enrolling at a store never writes ``consent_marketing = false`` as a change: a customer who
  agreed online and enrols again at a store (same e-mail, merged at the hub) keeps the consent;
* a consent change at a store carries the wording version the customer saw; without one it is
  refused (422) and nothing changes;
* the edge's profile shows the proof it holds (time, channel, wording version), the hub keeps the
  store's proof (the act's time, the store as channel), and an online change's proof reaches the
  store with the change.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from edge.api.app import create_app
from edge.settings import EdgeSettings
from sync.broker import MosquittoProcess
from tests.cloud.helpers import SHOP
from tests.cloud.two_stores import two_stores
from tests.support.polling import wait_for
from tests.support.server import served

pytestmark = [pytest.mark.broker, pytest.mark.slow]

STAFF = "staff-token-0123456789abcdef"


def test_consent_proof_from_a_store(tmp_path: Path, broker: MosquittoProcess, db_url: str) -> None:
    with two_stores(tmp_path, broker, db_url, "consent") as fleet:
        api, nodes, links = fleet.api, fleet.nodes, fleet.links
        settings = EdgeSettings(
            store_id="a",
            db_path=tmp_path / "a.db",
            kiosk_token="kiosk-token-0123456789abcdef",
            staff_token=STAFF,
            manager_token="manager-token-0123456789abcdef",
        )
        r = api.post(
            "/shop/v1/customers",
            json={"email": "fay@example.com", "name": "Fay", "consent_marketing": True,
                  "consent_wording": "mk-1"},
            headers=SHOP,
        )  # fmt: skip
        assert r.status_code == 201, r.text
        fay = r.json()["customer_id"]
        with (
            served(create_app(settings, node=nodes["a"])) as url,
            httpx.Client(base_url=url, headers={"Authorization": f"Bearer {STAFF}"}, timeout=15) as a,
        ):
            # Fay enrols again at the store's kiosk, not ticking the box: no change of her consent.
            r = a.post("/api/v1/customers", json={"name": "Fay", "email": "fay.again@example.com"})
            assert r.status_code == 201, r.text
            assert r.json()["consent_proof"] is None
            links["a"].notify()
            wait_for(lambda: nodes["a"].outbox.backlog() == 0, 20, "the enrolment at the hub")
            r = api.post(
                f"/shop/v1/customers/{fay}/identities", json={"kind": "email", "value": "fay.again@example.com"},
                headers=SHOP,
            )  # fmt: skip
            assert r.status_code == 200, r.text
            profile = api.get(f"/shop/v1/customers/{fay}", headers=SHOP).json()
            assert profile["consent_marketing"] is True, profile  # the merge kept her consent

            # Gus enrols at the store and says yes, with the wording he was shown.
            r = a.post(
                "/api/v1/customers",
                json={"name": "Gus", "email": "gus@example.com", "consent_marketing": True,
                      "consent_wording": "kiosk-2"},
            )  # fmt: skip
            assert r.status_code == 201, r.text
            gus = r.json()
            proof = gus["consent_proof"]
            assert (proof["granted"], proof["channel"], proof["wording_version"]) == (True, "a", "kiosk-2")
            assert proof["at"]
            # A change without the wording is not the customer's act: refused, nothing changes.
            r = a.patch(f"/api/v1/customers/{gus['customer_id']}", json={"consent_marketing": False})
            assert r.status_code == 422, r.text
            assert "consent_wording" in r.text
            r = a.patch(
                f"/api/v1/customers/{gus['customer_id']}",
                json={"consent_marketing": False, "consent_wording": "kiosk-3"},
            )
            assert r.status_code == 200, r.text
            assert r.json()["consent_proof"]["wording_version"] == "kiosk-3"
            links["a"].notify()

            def hub_proof() -> dict[str, object] | None:
                r = api.get(f"/shop/v1/customers/{gus['customer_id']}", headers=SHOP)
                return r.json()["consent_proof"] if r.status_code == 200 else None

            wait_for(
                lambda: (hub_proof() or {}).get("wording_version") == "kiosk-3", 20, "the proof at the hub"
            )
            held = hub_proof()
            assert held is not None
            assert (held["granted"], held["channel"]) == (False, "a")
            # the act's time (the hub keeps whole seconds), not the time the store's ops merged
            assert str(held["at"])[:19] == str(r.json()["consent_proof"]["at"])[:19]
            # An online change comes down with its proof.
            r = api.patch(
                f"/shop/v1/customers/{gus['customer_id']}",
                json={"consent_marketing": True, "consent_wording": "mk-4"},
                headers=SHOP,
            )
            assert r.status_code == 200, r.text

            def store_proof() -> dict[str, object]:
                return dict(a.get(f"/api/v1/customers/{gus['customer_id']}").json()["consent_proof"] or {})

            wait_for(
                lambda: store_proof().get("wording_version") == "mk-4", 20, "the online proof at the store"
            )
            assert (store_proof()["granted"], store_proof()["channel"]) == (True, "online")
