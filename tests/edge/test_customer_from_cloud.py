"""A customer the cloud knows (web shop, another store) is found at a store that never saw them.

Real hub (SQLite) with its RPC handlers, real Mosquitto, the real edge app with its sync link: the
store asks ``customers.lookup`` on a local miss, adopts the record without emitting an op, shows the
hub's balance, and finds the customer again once the broker is gone. Then, in-process against the
hub's real handler: an adopted customer converges with later downlink ``customer.upsert`` ops.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select

from cloud import customers, projections
from cloud.api import create_app as create_cloud_app
from cloud.errors import NotFound as CloudNotFound
from cloud.ingest.hub import start_hub
from cloud.rpc import hub_handlers
from cloud.settings import CloudSettings
from cloud.shop import accounts
from cloud.storage import make_engine, migrate
from cloud.storage import schema as s
from edge.api.app import create_app
from edge.cloud_rpc import parse_customer
from edge.errors import NotFound
from edge.node import EdgeNode
from edge.replica import integrity
from edge.services.cloud_port import CloudCustomer
from edge.services.selling import Basket, BasketLine
from edge.settings import load_settings
from sync.broker import MosquittoProcess
from sync.hlc import HybridClock
from sync.ops import Op
from sync.transport import MqttConfig
from tests.cloud.helpers import ADMIN, SHOP, StoreStream, serve
from tests.edge.conftest import STORE, TOKENS, populate
from tests.support.polling import wait_for
from tests.support.server import served

STAFF = {"Authorization": f"Bearer {TOKENS['staff']}"}


def outbox_types(node: EdgeNode) -> list[str]:
    return [str(r[0]) for r in node.replica.reader().execute("SELECT type FROM outbox ORDER BY seq")]


@pytest.mark.broker
def test_cloud_customer_is_adopted_at_a_new_store_and_found_offline(
    tmp_path: Path, broker: MosquittoProcess
) -> None:
    cloud_url = f"sqlite:///{tmp_path / 'cloud.db'}"
    migrating = make_engine(cloud_url)
    migrate(migrating)
    migrating.dispose()
    cloud_settings = CloudSettings(
        database_url=cloud_url,
        admin_token=SecretStr("admin-secret-0123456789"),
        shop_token=SecretStr("shop-secret-0123456789"),
        broker_port=broker.port,
    )
    cloud_app = create_cloud_app(cloud_settings)
    engine = cloud_app.state.hub.engine
    node = EdgeNode.open(tmp_path / "store.db", STORE)
    populate(node)
    settings = load_settings(
        store_id=STORE,
        db_path=tmp_path / "store.db",
        kiosk_token=TOKENS["kiosk"],
        staff_token=TOKENS["staff"],
        manager_token=TOKENS["manager"],
        mqtt_host="127.0.0.1",
        mqtt_port=broker.port,
    )
    edge_app = create_app(settings, node=node)
    hub = start_hub(
        engine,
        MqttConfig(port=broker.port, client_id="hub-customers"),
        rpc_handlers=hub_handlers(engine, HybridClock("cloud-test")),
    )
    try:
        assert hub.transport.wait_connected(10)
        with (
            serve(cloud_app) as api,
            served(edge_app) as url,
            httpx.Client(base_url=url, headers=STAFF) as edge,
        ):
            r = api.post("/admin/v1/stores", json={"store_id": STORE, "name": "Store 1"}, headers=ADMIN)
            assert r.status_code == 201, r.text
            r = api.post(
                "/shop/v1/customers",
                json={
                    "name": "Ann",
                    "email": "ann@example.com",
                    "card": "VC-ANN1",
                    "consent_marketing": True,
                    "consent_wording": "marketing-v1",
                },
                headers=SHOP,
            )
            assert r.status_code == 201, r.text
            ann = r.json()["customer_id"]
            with engine.begin() as conn:  # points she earned at another store, already in the hub
                projections.apply(
                    conn,
                    [
                        StoreStream("store-9").op(
                            "loyalty.entry",
                            {"entry_id": "s9:e1", "customer_id": ann, "kind": "earn", "points": 150},
                        )
                    ],
                )
            dee = api.post(
                "/shop/v1/customers", json={"name": "Dee", "phone": "+44 20 7946 0000"}, headers=SHOP
            )
            assert dee.status_code == 201, dee.text
            link = edge_app.state.sync_link
            wait_for(lambda: link.transport.connected, 10, "the store's sync link")
            before = outbox_types(node)

            found = edge.get("/api/v1/customers/lookup", params={"kind": "card", "value": "vc-ann1"})
            assert found.status_code == 200, found.text
            proof = found.json()["consent_proof"]  # the proof of the consent comes with her profile
            assert (proof["granted"], proof["channel"], proof["wording_version"]) == (
                True,
                "online",
                "marketing-v1",
            )
            assert found.json() | {"created_at": None, "consent_proof": None} == {
                "customer_id": ann,
                "name": "Ann",
                "email": "ann@example.com",
                "phone": None,
                "card": "VC-ANN1",
                "consent_marketing": True,
                "created_at": None,
                "consent_proof": None,
            }
            assert outbox_types(node) == before  # adopted as a remote write: nothing goes back up
            loyalty = edge.get(f"/api/v1/customers/{ann}/loyalty").json()
            assert loyalty["balance"] == 150 and loyalty["allowance_remaining"] == 0

            # by customer id (get), for a customer the store never saw either
            got = edge.get(f"/api/v1/customers/{dee.json()['customer_id']}")
            assert got.status_code == 200 and got.json()["phone"] == "+442079460000", got.text
            unknown = edge.get("/api/v1/customers/lookup", params={"kind": "card", "value": "VC-NOBODY"})
            assert unknown.status_code == 404 and "the cloud says" in unknown.json()["detail"]

            # she buys here and spends points the hub approves: the store's entries add to the hub's balance
            receipt = node.selling.sell(
                Basket(lines=[BasketLine("22423", 1)], customer_id=ann, redeem_points=100)
            )
            assert receipt.points_redeemed == 100 and receipt.points_earned > 0
            balance = edge.get(f"/api/v1/customers/{ann}/loyalty").json()["balance"]
            assert balance == 150 - 100 + receipt.points_earned
            assert "customer.upsert" not in outbox_types(node)
            report = integrity.check(node.replica.reader(), STORE)
            assert report.ok, report.problems

            broker.stop()
            wait_for(lambda: not link.transport.connected, 10, "the link to notice the broker is gone")
            again = edge.get("/api/v1/customers/lookup", params={"kind": "card", "value": "VC-ANN1"})
            assert again.status_code == 200 and again.json()["customer_id"] == ann
            by_email = edge.get(
                "/api/v1/customers/lookup", params={"kind": "email", "value": "ann@example.com"}
            )
            assert by_email.status_code == 200 and by_email.json()["customer_id"] == ann
            assert edge.get(f"/api/v1/customers/{ann}/loyalty").json()["balance"] == balance
            missing = edge.get("/api/v1/customers/lookup", params={"kind": "card", "value": "VC-ELSEWHERE"})
            assert missing.status_code == 404
            assert missing.json()["detail"] == (
                "customer with card 'VC-ELSEWHERE' is not known in this store; "
                "the cloud cannot be reached to look them up"
            )
            missing_id = edge.get("/api/v1/customers/c-elsewhere")
            assert missing_id.status_code == 404 and "cannot be reached" in missing_id.json()["detail"]
    finally:
        hub.stop()
        node.close()
        engine.dispose()


class HubInProcess:
    """The hub's real ``customers.lookup`` handler called in-process, answers parsed by the edge's
    own boundary code (no broker: this test is about the replica)."""

    def __init__(self, engine: Engine) -> None:
        self.handler = hub_handlers(engine, HybridClock("cloud-test"))["customers.lookup"]

    def customer_for_lookup(
        self, *, kind: str | None = None, value: str | None = None, customer_id: str | None = None
    ) -> CloudCustomer | None:
        params = {"customer_id": customer_id} if customer_id else {"kind": kind, "value": value}
        try:
            return parse_customer(self.handler(STORE, params))
        except CloudNotFound as err:
            raise NotFound(str(err)) from err


def test_adopted_customer_converges_with_later_downlink_upserts(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cloud.db'}")
    migrate(engine)
    node = EdgeNode.open(tmp_path / "store.db", STORE, customer_directory=HubInProcess(engine))
    try:
        with engine.begin() as conn:
            online = accounts.register(conn, HybridClock("shop"), {"name": "Eve", "card": "VC-EVE1"})
            old_card_holder = accounts.register(conn, HybridClock("shop"), {"name": "E.", "card": "VC-EVE0"})
            cid = customers.merge(conn, online["customer_id"], old_card_holder["customer_id"])
            stamps = json.loads(
                conn.execute(
                    select(s.customers.c.field_hlc).where(s.customers.c.customer_id == cid)
                ).scalar_one()
            )
        before = outbox_types(node)
        eve = node.customers.lookup("card", "VC-EVE0")  # her older card, merged in the cloud
        assert eve.customer_id == cid and outbox_types(node) == before
        local = node.replica.reader().execute("SELECT field_hlc FROM customers WHERE customer_id = ?", (cid,))
        local_stamps = json.loads(local.fetchone()[0])
        assert stamps and all(local_stamps[k] == v for k, v in stamps.items())  # the cloud's own stamps
        assert node.customers.lookup("card", "VC-EVE1").customer_id == cid  # both cards resolve locally
        node.customers.directory = None  # offline from here on
        assert node.customers.lookup("card", "VC-EVE0").customer_id == cid
        assert node.customers.get(cid).name == eve.name

        def upsert(seq: int, hlc: str, fields: dict[str, object]) -> Op:
            return Op(
                origin="cloud",
                seq=seq,
                hlc=hlc,
                type="customer.upsert",
                body={"customer_id": cid, "fields": fields},
            )

        older = f"{int(stamps['name'].split('.')[0]) - 1:013d}.0000.cloud"
        node.inbox.apply("cloud", [upsert(1, older, {"name": "Stale"})])
        assert node.customers.get(cid).name == eve.name  # the adopted stamp is newer: stale write loses
        newer = f"{int(time.time() * 1000) + 5:013d}.0000.cloud"
        node.inbox.apply("cloud", [upsert(2, newer, {"name": "Eve Newer", "email": "eve@example.com"})])
        assert node.customers.lookup("email", "eve@example.com").name == "Eve Newer"
        assert outbox_types(node) == before
        with pytest.raises(NotFound, match="cannot be reached"):
            node.customers.get("c-never-seen")
        node.customers.directory = HubInProcess(engine)
        with pytest.raises(NotFound, match="unknown customer 'c-never-seen'"):
            node.customers.get("c-never-seen")
    finally:
        node.close()
        engine.dispose()
