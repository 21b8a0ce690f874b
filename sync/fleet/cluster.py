"""Start, drive and stop a fleet: broker, cloud hub (API + workers) and N edge stores, as processes.

Two ways to fill the stores (``FleetConfig.bootstrap``):

* the production path (``make demo``): the hub imports head office's data (``vitrine-cloud
  import --from online-retail``), provisions each store with a provisioning bundle, and every
  edge starts with ``vitrine-edge serve --bundle`` and bootstraps its replica from the hub;
* the developer path (the fleet tests): each replica is seeded from the CSV on its own disk
  (``vitrine-edge seed``) and the hub gets the shoppers' catalog afterwards.

``Fleet(config).start()`` is idempotent over its directory: secrets, broker credentials, the cloud
database and the replicas are kept, so a second start skips importing, seeding and provisioning.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sync.broker import MosquittoProcess, free_port
from sync.credentials import CONFIG_NAME, HUB_USER, generate
from sync.fleet.errors import FleetError
from sync.fleet.procs import Service, run_cli
from sync.fleet.proxy import LinkProxy
from sync.fleet.retail import RetailSlice, pick
from sync.ops import Op

Say = Callable[[str], None]
# The hub's console roles (cloud/console/identity.py; the CLI refuses any other): one demo user each.
CONSOLE_ROLES = ("admin", "marketing", "analyst")
LOYALTY_RULES = {
    "earn_per_unit_cents": 100,
    "multipliers": {"click_collect": 2},
    "expiry_days": 365,
    "effective_from": "2020-01-01T00:00:00Z",
}


@dataclass(frozen=True)
class StoreSpec:
    store_id: str
    months: int = 1
    port: int = 0


@dataclass
class FleetConfig:
    root: Path
    repo: Path
    csv: Path
    stores: list[StoreSpec]
    workers: int = 2
    devices: bool = False
    hub_port: int = 0
    skus: int = 40
    customers: int = 60
    bootstrap: bool = False  # True: hub import + provisioning bundles + bootstrap (production path)
    import_months: int = 1  # bootstrap: the CSV's last N months go into the hub
    import_max_products: int = 1500  # bootstrap: the window's N best sellers
    train_model: bool = False  # bootstrap: train on the hub's history and release to every store


@dataclass
class Store:
    spec: StoreSpec
    db: Path
    port: int
    tokens: dict[str, str]  # kiosk / staff / manager bearer tokens
    api_token: str  # the store's token on the cloud's store API
    proxy: LinkProxy
    service: Service
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=10.0)

    @property
    def store_id(self) -> str:
        return self.spec.store_id

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def headers(self, role: str = "staff") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def outbox(self) -> dict[str, int]:
        r = self.client.get("/api/v1/admin/outbox", headers=self.headers("manager"))
        r.raise_for_status()
        return dict(r.json())


class Fleet:
    def __init__(self, config: FleetConfig, say: Say = print) -> None:
        self.config = config
        self.say = say
        self.root = config.root.resolve()
        self.logs = self.root / "logs"
        self.secrets: dict[str, Any] = {}
        self.broker: MosquittoProcess | None = None
        self.hub_api: Service | None = None
        self.workers: list[Service] = []
        self.stores: dict[str, Store] = {}
        self.hub_port = config.hub_port or free_port()
        self.hub: httpx.Client | None = None
        self.retail: RetailSlice | None = None
        self.broker_passwords: dict[str, str] = {}

    # -- environment -------------------------------------------------------------------------------
    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VITRINE_")}
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra)
        return env

    def _cloud_env(self, worker_id: str = "api") -> dict[str, str]:
        return self._env(
            {
                "VITRINE_CLOUD_DATABASE_URL": f"sqlite:///{self.root / 'cloud.db'}",
                "VITRINE_CLOUD_ADMIN_TOKEN": self.secrets["admin_token"],
                "VITRINE_CLOUD_SHOP_TOKEN": self.secrets["shop_token"],
                "VITRINE_CLOUD_BROKER_HOST": "127.0.0.1",
                "VITRINE_CLOUD_BROKER_PORT": str(self.broker.port if self.broker else 1883),
                "VITRINE_CLOUD_BROKER_USERNAME": HUB_USER,
                "VITRINE_CLOUD_BROKER_PASSWORD": self.broker_passwords.get(HUB_USER, ""),
                "VITRINE_CLOUD_WORKER_ID": worker_id,
                "VITRINE_CLOUD_NODE_ID": f"cloud-{worker_id}",
                "VITRINE_CLOUD_MODEL_SIGNING_KEY": str(self._model_key()),
                # the demo's mailbox and phone: what the hub's senders deliver (docs/deployment.md)
                "VITRINE_CLOUD_MARKETING_SENDER": "log",
                "VITRINE_CLOUD_MAIL_LOG_PATH": str(self.notices["mail"]),
                "VITRINE_CLOUD_SMS_SENDER": "log",
                "VITRINE_CLOUD_SMS_LOG_PATH": str(self.notices["sms"]),
            }
        )

    @property
    def notices(self) -> dict[str, Path]:
        """Where the hub's log senders write the e-mails and SMS it sends (order ready, receipts)."""
        return {"mail": self.root / "mail.jsonl", "sms": self.root / "sms.jsonl"}

    def deliver_notices(self) -> None:
        """What the shipped ``vitrine-cloud-triggers.timer`` runs: queue notices, deliver the outbox."""
        run_cli(
            self._python("cloud.cli", "run-triggers"), self._cloud_env(), 300, "vitrine-cloud run-triggers"
        )

    def _python(self, module: str, *args: str) -> list[str]:
        return [sys.executable, "-m", module, *args]

    @property
    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets['admin_token']}"}

    @property
    def shop(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secrets['shop_token']}"}

    @property
    def hub_url(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}"

    # -- start ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start every process, then :meth:`prepare` the data shoppers need."""
        started = time.monotonic()
        self.start_processes()
        self.prepare()
        self.say(f"fleet up in {time.monotonic() - started:.1f}s")

    def start_processes(self) -> None:
        """Seed (once), then start the broker, the hub and every store; returns when all answer.
        With ``bootstrap``: import at the hub, provision with bundles, and return once every store
        sells (its catalog and prices are in; customers and history may still be coming)."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.load_secrets()
        self.say(f"fleet in {self.root}: {len(self.config.stores)} stores, {self.config.workers} hub workers")
        if self.config.bootstrap:
            started = time.monotonic()
            self._start_broker()
            self._start_hub()
            self._import_head_office()
            self._provision()
            if self.config.train_model:
                self._trust_model_key()
            self._start_stores()
            self._wait_bootstrap("selling", lambda st: bool(st.get("selling")))
            self.say(f"  every store sells {time.monotonic() - started:.1f}s after the fleet started")
            return
        seeding = self._seed_stores()  # in the background while the hub starts
        self._start_broker()
        self._start_hub()
        self._provision()
        self._wait_seeds(seeding)
        self._start_stores()

    def prepare(self) -> None:
        """Wait for the stores' first sync, then publish the shoppers' catalog on the hub (once)."""
        if self.config.bootstrap:
            self._wait_bootstrap("complete", lambda st: bool(st.get("complete")))
        took = self.wait_converged(300, "initial sync")
        self.say(f"  sync     every store's outbox in the cloud after {took:.1f}s")
        try:
            self._publish_catalog()
        except httpx.HTTPError as err:
            raise FleetError(f"publishing the catalog on the hub: {err}") from err
        self.wait_converged(120, "catalog to the stores")

    def load_secrets(self) -> None:
        path = self.root / "secrets.json"
        if path.is_file():
            self.secrets = json.loads(path.read_text())
        else:
            self.secrets = {
                "admin_token": "admin-" + secrets.token_urlsafe(18),
                "shop_token": "shop-" + secrets.token_urlsafe(18),
                "stores": {},
            }
            self.save_secrets()

    def save_secrets(self) -> None:
        path = self.root / "secrets.json"
        path.write_text(json.dumps(self.secrets, indent=2))
        path.chmod(0o600)

    def _start_broker(self) -> None:
        creds = self.root / "mosquitto"
        self.broker_passwords = generate([s.store_id for s in self.config.stores], creds)
        self.broker = MosquittoProcess(workdir=creds / "run", dynsec_file=creds / CONFIG_NAME)
        _readable_by_broker([creds / CONFIG_NAME, creds / "run"])
        self.broker.start()
        self.say(f"  broker   mqtt://127.0.0.1:{self.broker.port} (per-store users + ACL)")

    def _start_hub(self) -> None:
        run_cli(self._python("cloud.cli", "migrate"), self._cloud_env(), 60, "vitrine-cloud migrate")
        self._console_users()
        self.hub_api = Service(
            "hub-api",
            self._python("cloud.cli", "serve", "--host", "127.0.0.1", "--port", str(self.hub_port)),
            self._cloud_env(),
            self.logs / "hub-api.log",
        )
        self.hub_api.start()
        self.hub = httpx.Client(base_url=self.hub_url, timeout=60.0)
        wait_http(self.hub, "/health", self.hub_api)
        for n in range(1, self.config.workers + 1):
            worker = self._worker(n)
            worker.start()
            self.workers.append(worker)

    def _console_users(self) -> None:
        """One head-office console user per role (``vitrine-cloud user create``), passwords in secrets."""
        if "console" in self.secrets:
            return
        made = {}
        for role in CONSOLE_ROLES:
            name, password = f"ho-{role}", secrets.token_urlsafe(12)
            run_cli(self._python("cloud.cli", "user", "create", name, "--role", role, "--password-stdin"),
                    self._cloud_env(), 60, f"vitrine-cloud user create {name}", stdin=password + "\n")  # fmt: skip
            made[name] = {"role": role, "password": password}
        self.secrets["console"] = made
        self.save_secrets()

    def _worker(self, n: int) -> Service:
        args = ["worker", "--client-id", f"hub-{n}"] + (["--downlink"] if n == 1 else [])
        return Service(f"hub-worker-{n}", self._python("cloud.cli", *args), self._cloud_env(str(n)),
                       self.logs / f"hub-worker-{n}.log")  # fmt: skip

    def _provision(self) -> None:
        assert self.hub is not None
        for spec in self.config.stores:
            if spec.store_id in self.secrets["stores"]:
                continue
            r = self.hub.post(
                "/admin/v1/stores",
                json={"store_id": spec.store_id, "name": spec.store_id, "bootstrap": self.config.bootstrap},
                headers=self.admin,
            )
            if r.status_code != 201:
                raise FleetError(f"provisioning {spec.store_id}: {r.status_code} {r.text[:300]}")
            bundle = r.json()
            env = bundle["edge_env"]
            if self.config.bootstrap:
                path = self._bundle_path(spec.store_id)
                path.write_text(json.dumps(bundle["bundle"], indent=2) + "\n")
                path.chmod(0o600)
                self.say(f"  provision {spec.store_id}: bundle {path.name}")
            self.secrets["stores"][spec.store_id] = {
                "api_token": bundle["api_token"],
                "tokens": {
                    role: env[f"VITRINE_EDGE_{role.upper()}_TOKEN"] for role in ("kiosk", "staff", "manager")
                },
            }
            self.save_secrets()

    def _bundle_path(self, store_id: str) -> Path:
        return self.root / f"{store_id}.bundle.json"

    def _import_head_office(self) -> None:
        """The hub imports head office's data (once): the CSV through the Online Retail adapter,
        the fleet's stores named so the adapter shares customers and histories out among them."""
        assert self.hub is not None
        if self.secrets.get("imported"):
            return
        started = time.monotonic()
        ids = ",".join(s.store_id for s in self.config.stores)
        done = run_cli(
            self._python("cloud.cli", "import", str(self.config.csv), "--from", "online-retail", "--stores", ids,
                         "--months", str(self.config.import_months), "--max-products",
                         str(self.config.import_max_products), "--out", str(self.root / "import"), "--no-progress"),
            self._cloud_env(), 600, "vitrine-cloud import",
        )  # fmt: skip
        (self.logs / "import.log").write_text(done.stdout + done.stderr)
        r = self.hub.post("/admin/v1/loyalty/rules", json=LOYALTY_RULES, headers=self.admin)
        if r.status_code not in (200, 201):
            raise FleetError(f"hub loyalty rules: {r.status_code} {r.text[:300]}")
        self.secrets["imported"] = True
        self.save_secrets()
        last = [line for line in done.stdout.splitlines() if line.strip()][-1:] or [""]
        self.say(
            f"  import   head office data into the hub in {time.monotonic() - started:.1f}s ({last[0][:120]})"
        )

    def _model_key(self) -> Path:
        return self.root / "model-signing.pem"

    def _trust_model_key(self) -> None:
        """Every store trusts the hub's model-signing key before it starts, so the first release
        is accepted (vitrine-cloud train --public-key-only creates the key if missing)."""
        done = run_cli(
            self._python("cloud.cli", "train", "--key", str(self._model_key()), "--public-key-only"),
            self._cloud_env(), 120, "vitrine-cloud train --public-key-only",
        )  # fmt: skip
        line = next(
            (x for x in done.stdout.splitlines() if x.startswith("VITRINE_EDGE_MODEL_PUBLIC_KEY=")), ""
        )
        if not line:
            raise FleetError(f"no public key from vitrine-cloud train: {done.stdout[-300:]}")
        key = line.split("=", 1)[1]
        for spec in self.config.stores:
            self.secrets.setdefault("store_env", {}).setdefault(spec.store_id, {})[
                "VITRINE_EDGE_MODEL_PUBLIC_KEY"
            ] = key
        self.save_secrets()

    def train_and_release(self) -> None:
        """Train the recommender on the hub's history and release it to every store (once)."""
        if self.secrets.get("model_released"):
            return
        started = time.monotonic()
        done = run_cli(
            self._python("cloud.cli", "train", "--key", str(self._model_key()), "--out", str(self.root / "models")),
            self._cloud_env(), 900, "vitrine-cloud train",
        )  # fmt: skip
        (self.logs / "train.log").write_text(done.stdout + done.stderr)
        self.secrets["model_released"] = True
        self.save_secrets()
        self.say(
            f"  model    trained on the hub's history and released to every store in {time.monotonic() - started:.1f}s"
        )

    def _wait_bootstrap(
        self, what: str, reached: Callable[[dict[str, Any]], bool], timeout: float = 300
    ) -> None:
        started = time.monotonic()
        deadline = started + timeout
        pending = dict(self.stores)
        last_say = 0.0
        while pending and time.monotonic() < deadline:
            self.check_alive()
            for store_id, store in list(pending.items()):
                try:
                    status = store.client.get("/health").json().get("bootstrap") or {}
                except (httpx.HTTPError, ValueError):
                    continue
                if reached(status):
                    took = status.get(f"{what}_after_s")
                    since = f"{took}s after it started" if took is not None else "(done earlier)"
                    self.say(f"  bootstrap {store_id}: {what} {since}")
                    del pending[store_id]
                elif time.monotonic() - last_say > 5:
                    last_say = time.monotonic()
                    self.say(f"  bootstrap {store_id}: {status.get('phase')} {status.get('percent')}%")
            time.sleep(0.25)
        if pending:
            raise FleetError(
                f"bootstrap not {what} after {timeout:.0f}s: {sorted(pending)} (see logs/edge-*.log)"
            )

    def _seed_stores(self) -> list[tuple[StoreSpec, subprocess.Popen[bytes]]]:
        self.logs.mkdir(parents=True, exist_ok=True)
        running = []
        for spec in self.config.stores:
            db = self.root / f"{spec.store_id}.db"
            if (self.root / f"{spec.store_id}.seeded").is_file():
                continue  # seeding is idempotent anyway; this skips re-reading the CSV
            argv = self._python("edge.cli", "seed", "--db", str(db), "--store-id", spec.store_id,
                                "--months", str(spec.months), "--path", str(self.config.csv))  # fmt: skip
            with (self.logs / f"seed-{spec.store_id}.log").open("ab") as log:
                proc = subprocess.Popen(argv, env=self._env({}), stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)  # fmt: skip
            running.append((spec, proc))
        return running

    def _wait_seeds(self, running: list[tuple[StoreSpec, subprocess.Popen[bytes]]]) -> None:
        for spec, proc in running:
            try:
                code = proc.wait(300)
            except subprocess.TimeoutExpired as err:
                proc.kill()
                raise FleetError(f"seeding {spec.store_id} took more than 300 s") from err
            log = (self.logs / f"seed-{spec.store_id}.log").read_text(errors="replace")
            if code != 0:
                raise FleetError(f"seeding {spec.store_id} failed: {log[-1500:]}")
            (self.root / f"{spec.store_id}.seeded").write_text(f"months={spec.months}\n")
            line = next((x for x in reversed(log.splitlines()) if "seeded" in x), "")
            self.say(f"  seed     {spec.store_id}: {line[line.find('seeded') :][:160]}")

    def _store_env(self, spec: StoreSpec, proxy: LinkProxy, port: int) -> dict[str, str]:
        tokens = self.secrets["stores"][spec.store_id]["tokens"]
        env = {
            "VITRINE_EDGE_STORE_ID": spec.store_id,
            "VITRINE_EDGE_DB_PATH": str(self.root / f"{spec.store_id}.db"),
            "VITRINE_EDGE_HOST": "127.0.0.1",
            "VITRINE_EDGE_PORT": str(port),
            **{f"VITRINE_EDGE_{role.upper()}_TOKEN": token for role, token in tokens.items()},
            "VITRINE_EDGE_MQTT_HOST": "127.0.0.1",
            "VITRINE_EDGE_MQTT_PORT": str(proxy.port),
            "VITRINE_EDGE_MQTT_USERNAME": spec.store_id,
            "VITRINE_EDGE_MQTT_PASSWORD": self.broker_passwords[spec.store_id],
        }
        if self.config.devices:
            env["VITRINE_DEVICES_CONFIG_DIR"] = str(self.config.repo / "firmware-config")
        env.update(self.secrets.get("store_env", {}).get(spec.store_id, {}))
        return self._env(env)

    def _start_stores(self) -> None:
        assert self.broker is not None
        for spec in self.config.stores:
            port = spec.port or free_port()
            proxy = LinkProxy(self.broker.port, name=spec.store_id).start()
            bundle = ["--bundle", str(self._bundle_path(spec.store_id))] if self.config.bootstrap else []
            service = Service(
                f"edge-{spec.store_id}",
                self._python("edge.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *bundle),
                self._store_env(spec, proxy, port),
                self.logs / f"edge-{spec.store_id}.log",
            )
            service.start()
            info = self.secrets["stores"][spec.store_id]
            self.stores[spec.store_id] = Store(
                spec,
                self.root / f"{spec.store_id}.db",
                port,
                info["tokens"],
                info["api_token"],
                proxy,
                service,
            )
        for store in self.stores.values():
            wait_http(store.client, "/health", store.service)

    def _publish_catalog(self) -> None:
        """The cloud catalog, price list and loyalty rules for the skus shoppers buy (once)."""
        assert self.hub is not None
        self.retail = pick(self.config.csv, self.config.skus, self.config.customers)
        if self.config.bootstrap:
            self.retail = self._held_by_stores(self.retail)
            return  # the hub imported the catalog, the prices and the customers
        if self.secrets.get("catalog_published"):
            return
        first = next(iter(self.stores.values()))
        rows, prices = ["sku,gtin,name,category"], []
        for sku in self.retail.skus:
            r = first.client.get(f"/api/v1/products/{sku}", headers=first.headers())
            if r.status_code != 200:
                raise FleetError(f"{first.store_id} has no product {sku}: {r.status_code} {r.text[:200]}")
            p = r.json()
            name = str(p["name"]).replace('"', "'")
            rows.append(f'{sku},{p["gtin"]},"{name}",{p["category"] or "other"}')
            prices.append({"sku": sku, "cents": int(p["price_cents"] or 100)})
        for path, kwargs in (
            ("/admin/v1/catalog/import", {"content": "\n".join(rows) + "\n",
                                          "headers": {**self.admin, "Content-Type": "text/csv"}}),
            ("/admin/v1/price-lists", {"json": {"name": "base", "effective_from": "2020-01-01T00:00:00Z",
                                                "prices": prices}, "headers": self.admin}),
            ("/admin/v1/loyalty/rules", {"json": LOYALTY_RULES, "headers": self.admin}),
        ):  # fmt: skip
            r = self.hub.post(path, **kwargs)
            if r.status_code not in (200, 201):
                raise FleetError(f"hub {path}: {r.status_code} {r.text[:300]}")
        self.secrets["catalog_published"] = True
        self.save_secrets()

    def _held_by_stores(self, chosen: RetailSlice) -> RetailSlice:
        """The shoppers' products the stores received from the hub (the import keeps a window), and
        the shoppers the hub knows. Each store bootstrapped its own customers only: a shopper of
        another store shows their card once (the store looks them up at the hub and keeps them)."""
        first = next(iter(self.stores.values()))
        skus = [
            sku
            for sku in chosen.skus
            if first.client.get(f"/api/v1/products/{sku}", headers=first.headers()).status_code == 200
        ]
        if not skus:
            raise FleetError(f"{first.store_id} holds none of the shoppers' products after its bootstrap")
        known = [
            customer
            for customer in chosen.customers
            if all(
                s.client.get(f"/api/v1/customers/{customer}", headers=s.headers()).status_code == 200
                for s in self.stores.values()
            )
        ]
        return RetailSlice(skus, known)

    # -- observation -----------------------------------------------------------------------------
    def cloud_store(self, store_id: str) -> dict[str, Any]:
        assert self.hub is not None
        r = self.hub.get(f"/admin/v1/stores/{store_id}", headers=self.admin)
        r.raise_for_status()
        return dict(r.json())

    def lag(self, store: Store) -> tuple[int, int, int]:
        """(edge last seq, edge acked seq, cloud applied seq) of a store's uplink."""
        box = store.outbox()
        return box["last_seq"], box["acked_seq"], int(self.cloud_store(store.store_id)["uplink_applied_seq"])

    def converged(self, store: Store) -> bool:
        last, acked, applied = self.lag(store)
        cloud = self.cloud_store(store.store_id)
        return last == acked == applied and cloud["downlink_acked_seq"] == cloud["downlink_last_seq"]

    def wait_converged(self, timeout: float, what: str) -> float:
        started = time.monotonic()
        deadline = started + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                if all(self.converged(s) for s in self.stores.values()):
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        detail = {s.store_id: self.lag(s) for s in self.stores.values()}
        raise FleetError(f"{what}: not converged after {timeout:.0f}s (last, acked, cloud) = {detail}")

    def check_alive(self) -> None:
        self.check_alive_except_restarts(set())

    def check_alive_except_restarts(self, expected_down: set[str]) -> None:
        """Raise :class:`FleetError` if a service died that no fault of the scenario stopped."""
        for service in [self.hub_api, *self.workers, *(s.service for s in self.stores.values())]:
            if service is not None and service.name not in expected_down:
                service.check_alive()

    def export_ops(self, store: Store) -> tuple[list[Op], int]:
        done = run_cli(
            self._python("edge.cli", "export-ops", "--db", str(store.db), "--store-id", store.store_id),
            self._env({}), 120, f"export-ops {store.store_id}",
        )  # fmt: skip
        ops = [Op.from_dict(json.loads(line)) for line in done.stdout.splitlines() if line.strip()]
        acked = int(done.stderr.strip().rsplit("acked_seq=", 1)[-1])
        return ops, acked

    def cloud_state(self) -> dict[str, Any]:
        done = run_cli(
            self._python("cloud.cli", "sync-state"), self._cloud_env(), 120, "vitrine-cloud sync-state"
        )
        state: dict[str, Any] = json.loads(done.stdout)
        return state

    # -- faults ------------------------------------------------------------------------------------
    def restart_broker(self, down_s: float) -> None:
        assert self.broker is not None
        self.broker.stop()
        time.sleep(down_s)
        self.broker.start()

    def kill_worker(self, n: int) -> None:
        self.workers[n - 1].kill9()

    def restart_worker(self, n: int) -> None:
        self.workers[n - 1] = self._worker(n)
        self.workers[n - 1].start()

    def pids(self) -> list[int]:
        """Process ids of every service (the broker included) started so far."""
        services = [self.hub_api, *self.workers, *(s.service for s in self.stores.values())]
        pids = [s.pid for s in services if s is not None and s.pid is not None]
        proc = self.broker._proc if self.broker is not None else None
        return pids + ([proc.pid] if proc is not None else [])

    # -- stop --------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop everything in reverse order; safe to call twice and after a partial start."""
        for store in self.stores.values():
            store.service.stop()
            store.client.close()
            store.proxy.stop()
        for worker in self.workers:
            worker.stop()
        if self.hub_api is not None:
            self.hub_api.stop()
        if self.hub is not None:
            self.hub.close()
        if self.broker is not None:
            self.broker.stop()


def _readable_by_broker(paths: list[Path]) -> None:
    """Started as root, Mosquitto drops to its own user: hand it the files it must read (and its
    persistence directory) rather than widening their modes."""
    if os.geteuid() != 0:
        return
    try:
        import pwd

        user = pwd.getpwnam("mosquitto")
    except (ImportError, KeyError):
        for path in paths:
            path.chmod(0o755 if path.is_dir() else 0o644)
        return
    for path in paths:
        os.chown(path, user.pw_uid, user.pw_gid)


def wait_http(
    client: httpx.Client, path: str, service: Service, timeout: float = 60, interval: float = 0.2
) -> None:
    """Until ``path`` answers 200; FleetError (with the service's log tail) if the service dies or
    ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        service.check_alive()
        try:
            if client.get(path).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(interval)
    raise FleetError(f"{service.name} not answering {path} after {timeout:.0f}s:\n{service.tail()}")
