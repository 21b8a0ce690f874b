"""One customer everywhere (issue 13, point 3), over a real Mosquitto, two real edge replicas with
their sync links and the hub's HTTP API, on SQLite and PostgreSQL.

* a rename at store A reaches store B, which holds the customer (it looked them up), and a
  change made online reaches both stores;
* registering an e-mail that already exists answers 409 with the way forward and changes nothing
  (it used to overwrite the name and turn marketing consent off);
* marketing consent changes only with the wording the customer agreed to, and the profile shows
  the proof (time, channel, wording version).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sync.broker import MosquittoProcess
from tests.cloud.helpers import SHOP
from tests.cloud.two_stores import two_stores
from tests.support.polling import wait_for

pytestmark = [pytest.mark.broker, pytest.mark.slow]


def test_one_customer_everywhere(tmp_path: Path, broker: MosquittoProcess, db_url: str) -> None:
    with two_stores(tmp_path, broker, db_url, "customers") as fleet:
        api, nodes, links = fleet.api, fleet.nodes, fleet.links
        ann = nodes["a"].customers.enrol(
            {"name": "Ann", "email": "ann@example.com", "consent_marketing": True}, consent_wording="kiosk-1"
        )
        cid = ann.customer_id
        links["a"].notify()
        wait_for(
            lambda: api.get(f"/shop/v1/customers/{cid}", headers=SHOP).status_code == 200,
            20,
            "Ann at the hub",
        )
        assert nodes["b"].customers.lookup("email", "ann@example.com").name == "Ann"  # B holds Ann now

        # A rename at A reaches B.
        nodes["a"].customers.update(cid, {"name": "Ann Smith"})
        links["a"].notify()
        wait_for(lambda: nodes["b"].customers.get(cid).name == "Ann Smith", 20, "the rename at store B")

        # A change online reaches both stores.
        r = api.patch(f"/shop/v1/customers/{cid}", json={"phone": "+44 20 7946 0000"}, headers=SHOP)
        assert r.status_code == 200, r.text
        for store in ("a", "b"):
            wait_for(
                lambda s=store: nodes[s].customers.get(cid).phone == "+44 20 7946 0000",
                20,
                f"the online change at store {store}",
            )

        # Registering an existing e-mail never overwrites: 409 with the way forward.
        r = api.post("/shop/v1/customers", json={"email": "ann@example.com", "name": "Mallory"}, headers=SHOP)
        assert r.status_code == 409, r.text
        assert cid in r.text and "PATCH" in r.text
        profile = api.get(f"/shop/v1/customers/{cid}", headers=SHOP).json()
        assert profile["name"] == "Ann Smith" and profile["consent_marketing"] is True

        # Consent changes only by the customer's own act, with the wording they saw: proof kept.
        r = api.patch(f"/shop/v1/customers/{cid}", json={"consent_marketing": False}, headers=SHOP)
        assert r.status_code == 422, r.text
        r = api.patch(
            f"/shop/v1/customers/{cid}",
            json={"consent_marketing": False, "consent_wording": "marketing-v3"},
            headers=SHOP,
        )
        assert r.status_code == 200, r.text
        proof = r.json()["consent_proof"]
        assert proof["granted"] is False and proof["wording_version"] == "marketing-v3"
        assert proof["channel"] == "online" and proof["at"]
        for store in ("a", "b"):
            wait_for(
                lambda s=store: nodes[s].customers.get(cid).consent_marketing is False,
                20,
                f"the consent change at store {store}",
            )
